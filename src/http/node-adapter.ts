import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type Http2ServerRequest,
  type Http2ServerResponse,
  constants as http2,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Sink } from '../hub/sink.js';
import type { HttpRequest } from './exchange.js';
import type { HttpCounters, HubLogger } from './http-counters.js';
import { readLimited } from './read-body.js';
import type { Router } from './router.js';

/** A request from node:http, or from node:http2 through its compatibility API. */
export type NodeRequest = IncomingMessage | Http2ServerRequest;
export type NodeResponse = ServerResponse | Http2ServerResponse;

/** What the sink writes to: both responses have it (the HTTP/2 one through its compatibility API). */
interface Writer {
  readonly writableFinished: boolean;
  write(chunk: Buffer): unknown;
  cork(): void;
  uncork(): void;
  end(): unknown;
  destroy(): unknown;
  once(event: 'finish', listener: () => void): unknown;
}

/** What the sink watches for backpressure and ends: the response itself, or its HTTP/2 stream. */
interface Wire {
  readonly writableLength: number;
  readonly writableNeedDrain: boolean;
  readonly destroyed: boolean;
  once(event: 'drain' | 'close', listener: () => void): unknown;
}

function isHttp2(req: NodeRequest): req is Http2ServerRequest {
  return req.httpVersionMajor === 2;
}

/**
 * A session's sink on a node:http response or a node:http2 compatibility response. Over HTTP/2 the
 * unsent bytes, the drain and the end are those of the response's own stream, so backpressure, the
 * slow-consumer cut-off (a reset of that stream only) and the drain on close work per stream.
 */
class NodeSink implements Sink {
  readonly res: Writer;
  readonly #wire: Wire;
  readonly #http2: ServerHttp2Stream | undefined;

  constructor(res: NodeResponse) {
    this.res = res;
    this.#http2 = 'stream' in res ? res.stream : undefined;
    this.#wire = this.#http2 ?? res;
  }

  write(chunks: readonly Buffer[]): void {
    if (chunks.length === 1) {
      this.res.write(chunks[0]!);
      return;
    }
    // One tick's events for this socket leave in one writev.
    this.res.cork();
    for (const chunk of chunks) this.res.write(chunk);
    this.res.uncork();
  }

  buffered(): number {
    return this.#wire.writableLength;
  }

  end(): void {
    this.res.end();
  }

  /** Cuts the stream: over HTTP/2 a reset of this stream alone (CANCEL), the connection stays. */
  destroy(): void {
    if (this.#http2 !== undefined) {
      if (!this.#http2.destroyed) this.#http2.close(http2.NGHTTP2_CANCEL);
    } else this.res.destroy();
  }

  drained(): Promise<void> {
    const wire = this.#wire;
    if (!wire.writableNeedDrain || wire.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      wire.once('drain', resolve);
      wire.once('close', resolve);
    });
  }

  finished(): Promise<void> {
    const res = this.res;
    if (res.writableFinished || this.#wire.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      res.once('finish', resolve);
      this.#wire.once('close', resolve);
    });
  }
}

/** Express and Connect keep the URL the client sent in `originalUrl` when they strip a mount path. */
function originalPath(req: NodeRequest): string | undefined {
  const original = (req as { originalUrl?: unknown }).originalUrl;
  if (typeof original !== 'string' || original === req.url || !original.startsWith('/')) return undefined;
  const query = original.indexOf('?');
  return query === -1 ? original : original.slice(0, query);
}

function toHttpRequest(req: NodeRequest): HttpRequest {
  return {
    originalPath: originalPath(req),
    method: req.method ?? 'GET',
    // Only the path and query matter; the host part is a placeholder.
    url: new URL(req.url?.startsWith('/') ? req.url : '/', 'http://herald.invalid'),
    header(name) {
      const value = req.headers[name];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(', ') : value;
    },
    client: req.socket.remoteAddress ?? 'unknown',
    body: (limit) => readLimited(req, limit, () => req.pause()),
  };
}

/** Does the request still have body bytes on the wire that nobody read? */
function hasUnreadBody(req: NodeRequest): boolean {
  if (isHttp2(req)) return !req.stream.endAfterHeaders && !req.readableEnded && !req.stream.destroyed;
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Did the client go away mid-request (an aborted upload)? Not a hub error. */
function clientWentAway(req: NodeRequest, error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return req.destroyed || code === 'ECONNRESET' || (error as Error).message === 'aborted';
}

export type NodeHandler = (req: NodeRequest, res: NodeResponse) => void;

/**
 * Refused before its body was read: over HTTP/1.1 the connection is closed rather than read (and
 * discarded) to the end of an endless body; over HTTP/2 only the request's stream is, once the
 * answer is out (RST_STREAM with NO_ERROR, as RFC 9113 8.1 allows), and the connection stays.
 */
function closeUnread(req: NodeRequest, res: NodeResponse, headers: Record<string, string>): void {
  if (!isHttp2(req)) {
    headers.connection = 'close';
    return;
  }
  const stream = req.stream;
  res.once('finish', () => {
    if (!stream.destroyed) stream.close(http2.NGHTTP2_NO_ERROR);
  });
}

/**
 * The HTTP API as a request listener for node:http and node:http2 servers (HTTP/2 through its
 * compatibility API, HTTP/1.1 on the same port with `allowHTTP1`); also usable as Express middleware.
 */
export function nodeHandler(router: Router, counters: HttpCounters, logger: HubLogger): NodeHandler {
  return (req, res) => {
    router(toHttpRequest(req)).then(
      (reply) => {
        if (reply.kind === 'plain') {
          const headers: Record<string, string> = {
            ...reply.headers,
            'content-length': String(Buffer.byteLength(reply.body)),
          };
          // Refused before its body was read: close rather than read (and discard) an endless body.
          if (hasUnreadBody(req)) {
            closeUnread(req, res, headers);
            counters.closedUnread++;
          }
          res.writeHead(reply.status, headers);
          if (req.method === 'HEAD') res.end();
          else res.end(reply.body);
          return;
        }
        res.writeHead(200, reply.headers);
        // Over HTTP/2 writeHead has sent the headers already.
        if (!('stream' in res)) res.flushHeaders();
        if ('stream' in res ? res.stream.destroyed : res.destroyed) return;
        const gone = reply.start(new NodeSink(res));
        res.once('close', gone);
      },
      (error: unknown) => {
        if (clientWentAway(req, error)) {
          counters.aborted++;
          logger.debug({ url: req.url }, 'client went away before its request was read');
          res.destroy();
          return;
        }
        logger.error({ err: error }, 'unexpected error');
        if (!res.headersSent) {
          const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
          if (hasUnreadBody(req)) closeUnread(req, res, headers);
          res.writeHead(500, headers);
        }
        res.end('internal error; see the hub log\n');
      },
    );
  };
}
