import type { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Sink } from '../hub/sink.js';

/** Resolves at once when `ready`, else on `event` or when the stream closes. */
export function when(ready: boolean, emitter: EventEmitter, event: string): Promise<void> {
  if (ready) return Promise.resolve();
  return new Promise((resolve) => {
    emitter.once(event, resolve);
    emitter.once('close', resolve);
  });
}

/** A session's sink on a node:http response, every write through `ServerResponse.write`. */
export class ResponseSink implements Sink {
  constructor(protected readonly res: ServerResponse) {}

  write(chunks: readonly Buffer[]): void {
    if (chunks.length === 1) {
      this.res.write(chunks[0]);
      return;
    }
    // One tick's events for this socket leave in one writev.
    this.res.cork();
    for (const chunk of chunks) this.res.write(chunk);
    this.res.uncork();
  }

  buffered(): number {
    return this.res.writableLength;
  }

  end(): void {
    this.res.end();
  }

  destroy(): void {
    this.res.destroy();
  }

  drained(): Promise<void> {
    return when(!this.res.writableNeedDrain || this.res.destroyed, this.res, 'drain');
  }

  finished(): Promise<void> {
    return when(this.res.writableFinished || this.res.destroyed, this.res, 'finish');
  }
}
