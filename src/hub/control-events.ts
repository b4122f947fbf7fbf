import { encodeEventBytes } from '../protocol/encode.js';

/** The hub's own words on a stream: reserved `herald-` events and control lines. */

/** `retry:` then a blank line: sets the reconnection delay, dispatches nothing. */
export function retryBlock(retryMs: number): Buffer {
  return Buffer.from(`retry: ${retryMs}\n\n`);
}

/** An id-only block: moves the client's resume point without an event (ids come from the log: no CR/LF). */
export function resumeBlock(id: string, retryMs?: number): Buffer {
  return Buffer.from(`${retryMs === undefined ? '' : `retry: ${retryMs}\n`}id: ${id}\n\n`);
}

/** Events may be missing before the replay that follows. */
export function gapEvent(lastEventId: string, reason: string): Buffer {
  return encodeEventBytes({ type: 'herald-gap', data: JSON.stringify({ lastEventId, reason }) });
}

/** The stream's credential has expired: fetch a fresh one, then reconnect. */
export function reauthEvent(expiredAt: number): Buffer {
  return encodeEventBytes({
    type: 'herald-reauth',
    data: JSON.stringify({
      reason: 'the credential has expired',
      expiredAt: new Date(expiredAt).toISOString(),
    }),
  });
}
