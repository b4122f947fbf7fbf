// The scripted stream that herald/client is compared on, against Chromium's native EventSource and
// against the `eventsource` npm package: named events, multi-line data, CRLF, ids, an id-only
// block, an id reset, a drop mid-event, a clean end and a final 204. Each client (the `client`
// query parameter) gets its own connection count. With `drop=ack` the first connection breaks only
// once the client has asked for `/stream/drop?client=...` (after it saw `persists`): a browser may
// discard bytes that arrive with the connection's end, so a timed drop would test the machine's load.
import type { ServerResponse } from 'node:http';
import { type Entry, type RecordedRequest, status, stream } from './helpers.js';

/**
 * `full` uses every spec feature. `portable` avoids the two places where the `eventsource` npm
 * package (v3) departs from the spec and from browsers: an event without an `id:` field reports
 * `lastEventId: ''` there instead of the persisting last event ID, and a block with an id but no
 * data does not move the last event ID. In `portable` every event before the reset carries its id.
 */
export type Variant = 'full' | 'portable';

export const PARITY_TYPES = ['message', 'tick', 'done'];

/** Per-connection scripts; `lastEventId` is the header the client sent. */
function script(variant: Variant, connection: number, lastEventId: string | undefined): string | undefined {
  const full = variant === 'full';
  switch (connection) {
    case 0:
      return (
        'retry: 50\n: hello\n\n' +
        'data: one\n\n' +
        'event: tick\ndata: a\ndata: b\nid: 1\n\n' +
        'id: 1\ndata: crlf\r\ndata: lines\r\n\r\n' +
        'event: tick\nid: 1\ndata:\n\n' +
        'id: 2\ndata: x\n\n' +
        (full ? 'data: persists\n\nid: 3\n\n' : 'id: 3\ndata: persists\n\n') +
        'data: partial'
      );
    case 1:
      return (
        `${full ? '' : 'id: 3\n'}data: last-event-id=${lastEventId ?? '<none>'}\n\n` +
        'id:\ndata: reset\n\n' +
        'event: done\ndata: bye\n\n'
      );
    case 2:
      return `data: last-event-id=${lastEventId ?? '<none>'}\n\nid: 4\nevent: tick\ndata: 🦊 ünïcode\n\n`;
    default:
      return undefined;
  }
}

/** Answers `/stream?client=...&variant=...`; returns false for other paths. */
export function createParityResponder(): {
  respond(res: ServerResponse, req: RecordedRequest): boolean;
  /** The header `name` (lower case) as each connection of `client` carried it. */
  header(client: string, name: string): (string | string[] | undefined)[];
  /** The Last-Event-ID header each connection of `client` carried, decoded from UTF-8. */
  lastEventIds(client: string): (string | undefined)[];
} {
  const seen = new Map<string, RecordedRequest[]>();
  const pendingDrops = new Map<string, ServerResponse>();
  return {
    respond(res, req) {
      const url = new URL(req.url, 'http://x');
      const client = url.searchParams.get('client') ?? '';
      if (url.pathname === '/stream/drop') {
        const dropped = pendingDrops.get(client);
        pendingDrops.delete(client);
        dropped?.socket?.end();
        status(res, dropped === undefined ? 404 : 204);
        return true;
      }
      if (url.pathname !== '/stream') return false;
      const variant = url.searchParams.get('variant') === 'portable' ? 'portable' : 'full';
      const mine = seen.get(client) ?? [];
      seen.set(client, mine);
      const connection = mine.length;
      mine.push(req);
      const header = req.headers['last-event-id'];
      const text = script(variant, connection, typeof header === 'string' ? header : undefined);
      if (text === undefined) status(res, 204);
      else if (connection !== 0) stream(res, text, 'end');
      else if (url.searchParams.get('drop') === 'ack') {
        stream(res, text, 'open');
        pendingDrops.set(client, res);
      } else stream(res, text, 'drop');
      return true;
    },
    header(client, name) {
      return (seen.get(client) ?? []).map((r) => r.headers[name]);
    },
    lastEventIds(client) {
      return (seen.get(client) ?? []).map((r) => {
        const header = r.headers['last-event-id'];
        return typeof header === 'string' ? Buffer.from(header, 'latin1').toString('utf8') : undefined;
      });
    },
  };
}

/** The spec's reading of the full stream (Chromium's native EventSource agrees: see the browser test). */
export function expectedFull(origin: string): Entry[] {
  const event = (type: string, data: string, lastEventId: string): Entry => ({
    kind: 'event',
    type,
    data,
    lastEventId,
    origin,
    readyState: 1,
  });
  return [
    { kind: 'open', type: 'open', readyState: 1 },
    event('message', 'one', ''),
    event('tick', 'a\nb', '1'),
    event('message', 'crlf\nlines', '1'),
    event('tick', '', '1'),
    event('message', 'x', '2'),
    event('message', 'persists', '2'),
    { kind: 'error', type: 'error', readyState: 0 },
    { kind: 'open', type: 'open', readyState: 1 },
    event('message', 'last-event-id=3', '3'),
    event('message', 'reset', ''),
    event('done', 'bye', ''),
    { kind: 'error', type: 'error', readyState: 0 },
    { kind: 'open', type: 'open', readyState: 1 },
    event('message', 'last-event-id=<none>', ''),
    event('tick', '🦊 ünïcode', '4'),
    { kind: 'error', type: 'error', readyState: 0 },
    { kind: 'error', type: 'error', readyState: 2 },
  ];
}
