import { request } from 'node:http';
import { createParser } from '../../src/protocol/parse.js';

/**
 * A reconnecting subscriber that checks, by the sequence number each event's data starts with
 * (`<seq>:...`), that events `from`..`to` arrive once each and in order, and nothing else; it keeps
 * no text, so hundreds of them can read megabytes each.
 */
export function catchUp(
  url: string,
  lastEventId: string,
  from: number,
  to: number,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = from;
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(
      () => settle(new Error(`timed out at event ${next} of ${from}..${to}`)),
      timeoutMs,
    );
    const parser = createParser({
      onEvent(event) {
        if (event.type === 'herald-resume') return;
        if (event.type !== 'message') return settle(new Error(`a ${event.type} event: ${event.data}`));
        const seq = Number(event.data.slice(0, event.data.indexOf(':')));
        if (seq !== next) return settle(new Error(`event ${seq} where ${next} was due`));
        if (++next > to) settle();
      },
    });
    const req = request(
      url,
      { headers: { accept: 'text/event-stream', 'last-event-id': lastEventId }, agent: false },
      (res) => {
        res.on('data', (chunk: Buffer) => parser.feed(chunk));
        res.on('end', () => settle(new Error(`the stream ended at event ${next} of ${from}..${to}`)));
      },
    );
    req.on('error', (error) => settle(error));
    req.end();
  });
}
