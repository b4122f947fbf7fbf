import { encodeEventBytes } from '../protocol/encode.js';

/** The hub's own words on a stream: reserved `herald-` events and control lines. */

/** `retry:` then a blank line: sets the reconnection delay, dispatches nothing. */
export function retryBlock(retryMs: number): Buffer {
  return Buffer.from(`retry: ${retryMs}\n\n`);
}

/** The reserved type of the event that carries a resume point and nothing else. */
export const RESUME_TYPE = 'herald-resume';

/**
 * Moves the client's resume point to `id` (and sets its `retry:`) without an application event: an
 * event of the reserved type `herald-resume` with data `{"lastEventId": id}`. An id-only block would
 * do by the spec, but some clients take an id only from a dispatched event (event-source-polyfill,
 * the eventsource package before v5); a named event reaches no `onmessage`, only listeners of its
 * own type, in every client. Ids come from the log: no CR, LF or NUL.
 */
export function resumeEvent(id: string, retryMs?: number): Buffer {
  return encodeEventBytes({
    type: RESUME_TYPE,
    id,
    retry: retryMs,
    data: JSON.stringify({ lastEventId: id }),
  });
}

/** Events may be missing before the replay that follows. */
export function gapEvent(lastEventId: string, reason: string): Buffer {
  return encodeEventBytes({ type: 'herald-gap', data: JSON.stringify({ lastEventId, reason }) });
}

/** The stream's credential has expired: fetch a fresh one, then reconnect. */
export function reauthEvent(why: 'expired' | 'revoked', at: number): Buffer {
  const data =
    why === 'expired'
      ? { reason: 'the credential has expired', expiredAt: new Date(at).toISOString() }
      : { reason: 'the credential has been revoked', revokedAt: new Date(at).toISOString() };
  return encodeEventBytes({ type: 'herald-reauth', data: JSON.stringify(data) });
}
