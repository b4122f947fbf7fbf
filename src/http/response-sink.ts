import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type Http2ServerRequest,
  type Http2ServerResponse,
  constants as http2,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Sink } from '../hub/sink.js';

/** A request from node:http, or from node:http2 through its compatibility API. */
export type NodeRequest = IncomingMessage | Http2ServerRequest;
export type NodeResponse = ServerResponse | Http2ServerResponse;

/**
 * Resolves at once when `ready`, else on `event` or when the stream closes. Whichever comes first
 * takes the other listener off: a long replay waits for a drain per page on the same stream.
 */
export function when(ready: boolean, emitter: EventEmitter, event: string): Promise<void> {
  if (ready) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      emitter.off(event, done);
      emitter.off('close', done);
      resolve();
    };
    emitter.on(event, done);
    emitter.on('close', done);
  });
}

/** What the sink writes to: both responses have it (the HTTP/2 one through its compatibility API). */
interface Writer extends EventEmitter {
  readonly writableFinished: boolean;
  write(chunk: Buffer): unknown;
  cork(): void;
  uncork(): void;
  end(): unknown;
  destroy(): unknown;
}

/** What the sink watches for backpressure and ends: the response itself, or its HTTP/2 stream. */
interface Wire extends EventEmitter {
  readonly writableLength: number;
  readonly writableNeedDrain: boolean;
  readonly destroyed: boolean;
}

/**
 * A session's sink on a node:http response or a node:http2 compatibility response, every write
 * through the response. Over HTTP/2 the unsent bytes, the drain and the end are those of the
 * response's own stream, so backpressure, the slow-consumer cut-off (a reset of that stream only)
 * and the drain on close work per stream.
 */
export class ResponseSink implements Sink {
  protected readonly res: Writer;
  readonly #wire: Wire;
  readonly #http2: ServerHttp2Stream | undefined;

  constructor(res: NodeResponse) {
    this.res = res;
    this.#http2 = 'stream' in res ? res.stream : undefined;
    this.#wire = this.#http2 ?? res;
  }

  write(chunks: readonly Buffer[]): boolean {
    if (chunks.length === 1) return this.res.write(chunks[0]!) !== false;
    // One tick's events for this socket leave in one writev.
    this.res.cork();
    let taken = true;
    for (const chunk of chunks) taken = this.res.write(chunk) !== false;
    this.res.uncork();
    return taken;
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
    return when(!wire.writableNeedDrain || wire.destroyed, wire, 'drain');
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
