import type { Sink } from '../../src/hub/sink.js';
import { createParser, type ServerSentEvent } from '../../src/protocol/parse.js';

/**
 * A Sink with no transport behind it: it records each write as the text of its chunks, parses what
 * was written as a client would, and reports a queue of `queued` bytes (a test sets it, and
 * `taken`, to play a slow client).
 */
export class FakeSink implements Sink {
  readonly writes: string[][] = [];
  /** The events a client would see (`herald-` control events included), in order. */
  readonly events: ServerSentEvent[] = [];
  readonly retries: number[] = [];
  queued = 0;
  taken = true;
  ended = false;
  destroyed = false;
  readonly #parser = createParser({
    onEvent: (event) => this.events.push(event),
    onRetry: (ms) => this.retries.push(ms),
  });

  write(chunks: readonly Buffer[]): boolean {
    this.writes.push(chunks.map((chunk) => chunk.toString()));
    for (const chunk of chunks) this.#parser.feed(chunk);
    return this.taken;
  }

  buffered(): number {
    return this.queued;
  }

  end(): void {
    this.ended = true;
  }

  destroy(): void {
    this.destroyed = true;
  }

  drained(): Promise<void> {
    return Promise.resolve();
  }

  finished(): Promise<void> {
    return Promise.resolve();
  }

  /** The data of the application events written so far (the hub's `herald-` events left out). */
  get data(): string[] {
    return this.events.filter((event) => !event.type.startsWith('herald-')).map((event) => event.data);
  }

  /** The types of the hub's own `herald-` events written so far. */
  get notices(): string[] {
    return this.events.filter((event) => event.type.startsWith('herald-')).map((event) => event.type);
  }
}
