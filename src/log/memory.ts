import { randomBytes } from 'node:crypto';
import { encodeEventBytes } from '../protocol/encode.js';
import type { EventLog, NewEvent, ReadResult, StoredEvent, TailListener } from './event-log.js';

export interface MemoryLogOptions {
  /** Most events kept for replay. */
  maxEvents?: number;
  /** Most bytes (of encoded events) kept for replay. */
  maxBytes?: number;
}

export const MEMORY_LOG_DEFAULTS = { maxEvents: 10_000, maxBytes: 64 * 1024 * 1024 } as const;

/**
 * The embedded default log: a bounded history in one process. Ids are `<epoch>-<seq>`; the epoch
 * is new for every log, so an id from an earlier process is recognised as unknown (a gap), never
 * confused with an id of this one.
 */
export class MemoryLog implements EventLog {
  readonly #epoch = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  readonly #maxEvents: number;
  readonly #maxBytes: number;
  // Retained events: #events[#start + i] has seq #firstSeq + i. Compacted lazily to keep shifts O(1).
  #events: StoredEvent[] = [];
  #start = 0;
  #firstSeq = 1;
  #nextSeq = 1;
  #bytes = 0;
  #listeners: TailListener[] = [];
  #closed = false;

  constructor(options: MemoryLogOptions = {}) {
    this.#maxEvents = options.maxEvents ?? MEMORY_LOG_DEFAULTS.maxEvents;
    this.#maxBytes = options.maxBytes ?? MEMORY_LOG_DEFAULTS.maxBytes;
    if (!(this.#maxEvents >= 0) || !(this.#maxBytes >= 0))
      throw new RangeError('history limits must be >= 0');
  }

  async append(event: NewEvent): Promise<StoredEvent> {
    if (this.#closed) throw new Error('the log is closed');
    return this.appendNow(event);
  }

  /** Synchronous append: the memory log needs no I/O. */
  appendNow(event: NewEvent): StoredEvent {
    if (event.transient) {
      const wire = encodeEventBytes({ data: event.data, type: event.type, retry: event.retry });
      const passing: StoredEvent = { ...event, id: this.headNow(), wire };
      for (const listener of this.#listeners) listener(passing);
      return passing;
    }
    const id = `${this.#epoch}-${this.#nextSeq++}`;
    const wire = encodeEventBytes({ id, data: event.data, type: event.type, retry: event.retry });
    const stored: StoredEvent = {
      id,
      topics: event.topics,
      data: event.data,
      type: event.type,
      retry: event.retry,
      private: event.private,
      wire,
    };
    this.#events.push(stored);
    this.#bytes += wire.length;
    this.#evict();
    for (const listener of this.#listeners) listener(stored);
    return stored;
  }

  #evict(): void {
    while (this.#events.length - this.#start > this.#maxEvents || this.#bytes > this.#maxBytes) {
      const oldest = this.#events[this.#start];
      if (oldest === undefined) break;
      this.#bytes -= oldest.wire.length;
      this.#events[this.#start] = undefined as unknown as StoredEvent;
      this.#start++;
      this.#firstSeq++;
    }
    if (this.#start > 1024 && this.#start * 2 > this.#events.length) {
      this.#events = this.#events.slice(this.#start);
      this.#start = 0;
    }
  }

  /** The sequence number of an id of this log, or undefined for a foreign or malformed id. */
  #seqOf(id: string): number | undefined {
    const dash = id.lastIndexOf('-');
    if (dash < 0 || id.slice(0, dash) !== this.#epoch) return undefined;
    const text = id.slice(dash + 1);
    if (!/^\d{1,15}$/.test(text)) return undefined;
    return Number(text);
  }

  async readAfter(
    afterId: string,
    filter: (event: StoredEvent) => boolean,
    limit: number,
  ): Promise<ReadResult> {
    const seq = this.#seqOf(afterId);
    const lastSeq = this.#nextSeq - 1;
    // Unknown, from the future, or older than what is retained: say so and replay all that is kept.
    const gap = seq === undefined || seq > lastSeq || seq < this.#firstSeq - 1;
    const fromSeq = gap ? this.#firstSeq : seq + 1;
    const events: StoredEvent[] = [];
    let index = this.#start + (fromSeq - this.#firstSeq);
    const end = this.#events.length;
    for (; index < end && events.length < limit; index++) {
      const event = this.#events[index]!;
      if (filter(event)) events.push(event);
    }
    const examinedSeq = this.#firstSeq + (index - this.#start) - 1;
    return { events, gap, more: index < end, cursor: `${this.#epoch}-${examinedSeq}` };
  }

  async head(): Promise<string> {
    return this.headNow();
  }

  headNow(): string {
    return `${this.#epoch}-${this.#nextSeq - 1}`;
  }

  compareIds(a: string, b: string): number {
    return (this.#seqOf(a) ?? -1) - (this.#seqOf(b) ?? -1);
  }

  tail(listener: TailListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  size(): { events: number; bytes: number } {
    return { events: this.#events.length - this.#start, bytes: this.#bytes };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners = [];
  }
}
