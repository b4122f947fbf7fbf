import type { Sink } from '../hub/sink.js';
import type { HttpRequest } from './exchange.js';
import { readLimited } from './read-body.js';
import type { Router } from './router.js';
import type { TrustedProxies } from './trusted-proxies.js';

const STREAM_HIGH_WATER_MARK = 64 * 1024;

/** A session's sink on a Fetch ReadableStream. */
class StreamSink implements Sink {
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  #waiters: Array<() => void> = [];
  #ended: Array<() => void> = [];
  #done = false;

  attach(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#controller = controller;
  }

  write(chunks: readonly Buffer[]): boolean {
    if (this.#done) return true;
    this.#controller!.enqueue(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    return (this.#controller!.desiredSize ?? 0) > 0;
  }

  buffered(): number {
    if (this.#done) return 0;
    return Math.max(0, STREAM_HIGH_WATER_MARK - (this.#controller!.desiredSize ?? 0));
  }

  end(): void {
    if (this.#done) return;
    this.#finish();
    this.#controller!.close();
  }

  destroy(): void {
    if (this.#done) return;
    this.#finish();
    this.#controller!.error(new Error('subscriber too slow: disconnected'));
  }

  /** The reader wants more, or went away. */
  pulled(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }

  #finish(): void {
    this.#done = true;
    this.pulled();
    const ended = this.#ended;
    this.#ended = [];
    for (const resolve of ended) resolve();
  }

  /** The reader went away. */
  closed(): void {
    this.#finish();
  }

  /**
   * A Fetch server sends the stream's bytes itself, out of sight: once ended, everything is handed
   * over to it, and that is as finished as this side can know.
   */
  finished(): Promise<void> {
    if (this.#done) return Promise.resolve();
    return new Promise((resolve) => this.#ended.push(resolve));
  }

  drained(): Promise<void> {
    if (this.#done || this.buffered() <= STREAM_HIGH_WATER_MARK) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

export interface FetchInfo {
  /**
   * The peer's address, for per-client limits (Fetch requests do not carry one). When it is one of
   * the hub's trusted proxies, the client is the address its forwarding headers name.
   */
  client?: string;
}

interface FetchHttpRequest extends HttpRequest {
  /** Has the body been read to its end (or is there none)? */
  bodyDone(): boolean;
}

function clientOf(request: Request, info: FetchInfo, proxies: TrustedProxies | undefined): string {
  const peer = info.client;
  if (peer === undefined) return 'unknown';
  if (proxies === undefined) return peer;
  return proxies.clientAddress(peer, {
    forwarded: request.headers.get('forwarded'),
    xForwardedFor: request.headers.get('x-forwarded-for'),
  });
}

function toHttpRequest(
  request: Request,
  info: FetchInfo,
  proxies: TrustedProxies | undefined,
): FetchHttpRequest {
  let done = request.body === null;
  const url = new URL(request.url);
  return {
    bodyDone: () => done,
    method: request.method,
    url,
    // Some Fetch servers leave Host out of the headers; the URL was built from it.
    header: (name) => request.headers.get(name) ?? (name === 'host' ? url.host : null),
    client: clientOf(request, info, proxies),
    async body(limit) {
      if (request.body === null) return Buffer.alloc(0);
      const reader = request.body.getReader();
      const chunks = {
        async *[Symbol.asyncIterator]() {
          for (;;) {
            const chunk = await reader.read();
            if (chunk.done) {
              done = true;
              return;
            }
            yield chunk.value;
          }
        },
      };
      return readLimited(chunks, limit, () => void reader.cancel());
    },
  };
}

export type FetchHandler = (request: Request, info?: FetchInfo) => Promise<Response>;

/**
 * The HTTP API for Fetch-API servers (Hono, Deno-style, Bun-style): Request in, Response out;
 * `proxies`: whose forwarding headers name the client.
 */
export function fetchHandler(router: Router, proxies?: TrustedProxies): FetchHandler {
  return async (request, info = {}) => {
    const httpRequest = toHttpRequest(request, info, proxies);
    const reply = await router(httpRequest);
    if (reply.kind === 'plain') {
      const body =
        request.method === 'HEAD' || reply.status === 204 || reply.status === 302 ? null : reply.body;
      let headers = reply.headers;
      // Refused before its body was read: stop reading it, and ask the server to close the connection.
      if (!httpRequest.bodyDone()) {
        headers = { ...headers, connection: 'close' };
        request.body?.cancel().catch(() => {});
      }
      // A Buffer is a Uint8Array; the DOM typings only object to its ArrayBufferLike backing.
      return new Response(body as BodyInit | null, { status: reply.status, headers });
    }
    const sink = new StreamSink();
    let gone: (() => void) | undefined;
    const stream = new ReadableStream<Uint8Array>(
      {
        start(controller) {
          sink.attach(controller);
          gone = reply.start(sink);
        },
        pull() {
          sink.pulled();
        },
        cancel() {
          sink.closed();
          gone?.();
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: STREAM_HIGH_WATER_MARK }),
    );
    return new Response(stream, { status: 200, headers: reply.headers });
  };
}
