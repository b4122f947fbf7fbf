import type { Sink } from '../hub/sink.js';

/** A request as the routes see it, whatever server it came from (node:http, Fetch, ...). */
export interface HttpRequest {
  readonly method: string;
  readonly url: URL;
  /** A header's value (several joined with ", "), or null. */
  header(name: string): string | null;
  /** The client's address, for per-client limits. */
  readonly client: string;
  /** Reads the whole body; rejects with a 413 HeraldError past `limit` bytes. */
  body(limit: number): Promise<Buffer>;
  /**
   * The path as the client sent it, when an app mounted the hub under a prefix and handed it the
   * rest (Express's `req.originalUrl`: `/realtime/events` while `url` says `/events`).
   */
  readonly originalPath?: string;
}

export type Headers = Record<string, string>;

/** A finished answer. */
export interface PlainReply {
  readonly kind: 'plain';
  readonly status: number;
  readonly headers: Headers;
  readonly body: string | Buffer;
}

/**
 * An event stream: the adapter sends status 200 and the headers at once, then hands a sink to
 * `start`, and calls the function `start` returns when the client goes away.
 */
export interface StreamReply {
  readonly kind: 'stream';
  readonly headers: Headers;
  start(sink: Sink): () => void;
}

export type HttpReply = PlainReply | StreamReply;

export const EVENT_STREAM_HEADERS: Readonly<Headers> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};

export function plain(status: number, body: string | Buffer, headers: Headers = {}): PlainReply {
  return {
    kind: 'plain',
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', ...headers },
    body,
  };
}

export function json(status: number, value: unknown, headers: Headers = {}): PlainReply {
  return plain(status, `${JSON.stringify(value)}\n`, { 'content-type': 'application/json', ...headers });
}

const MAX_REASON = 400;
const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeControl(c: string): string {
  return SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * A reason made safe to send: control characters (CR and LF included) escaped, so it is always one
 * line whatever input it quotes, and cut to a bounded length.
 */
export function oneLine(reason: string): string {
  const flat = reason.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, escapeControl);
  return flat.length > MAX_REASON ? `${flat.slice(0, MAX_REASON)}…` : flat;
}

/** A one-line reason, ending in a newline so that curl users see it cleanly. */
export function refuse(status: number, reason: string, headers: Headers = {}): PlainReply {
  return plain(status, `${oneLine(reason)}\n`, headers);
}
