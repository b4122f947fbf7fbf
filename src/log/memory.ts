import { BoundedPage } from './bounded-page.js';
import { EpochIds } from './epoch-ids.js';
import {
  type AppendedBatch,
  type AppendedEvent,
  type AppendOptions,
  type EventLog,
  HISTORY_SCAN_BUDGET,
  type HistoryPage,
  type NewEvent,
  type ReadResult,
  type Retention,
  type StoredEvent,
  type TailListener,
} from './event-log.js';
import { IdempotencyKeys } from './idempotency-keys.js';
import { MemoryKeptRecords } from './memory-kept-records.js';
import { retentionBounds, storedSize } from './retention.js';
import { replayedEvent, storedEvent } from './stored-event.js';

export type MemoryLogOptions = Retention;

/**
 * The embedded default log: a bounded history in one process. Ids are `<epoch>-<seq>`; the epoch
 * is new for every log, so an id from an earlier process is recognised as unknown (a gap), never
 * confused with an id of this one.
 */
export class MemoryLog implements EventLog {
  readonly #ids = new EpochIds(EpochIds.newEpoch(2));
  readonly kept = new MemoryKeptRecords();
  readonly #maxEvents: number;
  readonly #maxBytes: number;
  readonly #maxAgeMs: number;
  // Retained events: #events[#start + i] has seq #firstSeq + i. Compacted lazily to keep shifts O(1).
  #events: StoredEvent[] = [];
  #sizes: number[] = [];
  #start = 0;
  #firstSeq = 1;
  #nextSeq = 1;
  #bytes = 0;
  #listeners: TailListener[] = [];
  readonly #keys = new IdempotencyKeys();
  #closed = false;

  constructor(options: MemoryLogOptions = {}) {
    ({
      maxEvents: this.#maxEvents,
      maxBytes: this.#maxBytes,
      maxAgeMs: this.#maxAgeMs,
    } = retentionBounds(options));
  }

  async append(event: NewEvent, options?: AppendOptions): Promise<AppendedEvent> {
    return this.appendNow(event, options);
  }

  /** Synchronous append: the memory log needs no I/O. */
  appendNow(event: NewEvent, options: AppendOptions = {}): AppendedEvent {
    if (this.#closed) throw new Error('the log is closed');
    const time = Date.now();
    const rule = options.idempotency;
    const known = rule && this.#keys.find(rule, time);
    if (known) return replayedEvent(event, known.ids[0]!, known.time);
    const stored = this.#keep(event, time);
    if (rule) this.#keys.remember(rule, { ids: [stored.id], time });
    this.#evict(time);
    for (const listener of this.#listeners) listener.event(stored);
    return stored;
  }

  async appendMany(events: readonly NewEvent[], options?: AppendOptions): Promise<AppendedBatch> {
    return this.appendManyNow(events, options);
  }

  /** Synchronous batch append: nothing runs between its events, so their positions are consecutive. */
  appendManyNow(events: readonly NewEvent[], options: AppendOptions = {}): AppendedBatch {
    if (this.#closed) throw new Error('the log is closed');
    const time = Date.now();
    const rule = options.idempotency;
    const known = rule && this.#keys.find(rule, time);
    if (known) return { ids: known.ids, replayed: true };
    const stored = events.map((event) => this.#keep(event, time));
    const ids = stored.map((event) => event.id);
    if (rule) this.#keys.remember(rule, { ids, time });
    this.#evict(time);
    for (const event of stored) for (const listener of this.#listeners) listener.event(event);
    return { ids };
  }

  /** Gives the event the next position and keeps it (retention runs after). */
  #keep(event: NewEvent, time: number): StoredEvent {
    const stored: StoredEvent = storedEvent(event, this.#ids.id(this.#nextSeq++), time);
    const size = storedSize(stored);
    this.#events.push(stored);
    this.#sizes.push(size);
    this.#bytes += size;
    return stored;
  }

  #evict(now: number): void {
    const oldestAllowed = now - this.#maxAgeMs;
    for (;;) {
      const oldest = this.#events[this.#start];
      if (oldest === undefined) break;
      const over = this.#events.length - this.#start > this.#maxEvents || this.#bytes > this.#maxBytes;
      if (!over && oldest.time >= oldestAllowed) break;
      this.#bytes -= this.#sizes[this.#start]!;
      this.#events[this.#start] = undefined as unknown as StoredEvent;
      this.#start++;
      this.#firstSeq++;
    }
    if (this.#start > 1024 && this.#start * 2 > this.#events.length) {
      this.#events = this.#events.slice(this.#start);
      this.#sizes = this.#sizes.slice(this.#start);
      this.#start = 0;
    }
  }

  async readAfter(
    afterId: string,
    filter: (event: StoredEvent) => boolean,
    limit: number,
    maxBytes = Number.POSITIVE_INFINITY,
  ): Promise<ReadResult> {
    if (this.#maxAgeMs !== Number.POSITIVE_INFINITY) this.#evict(Date.now());
    const seq = this.#ids.seqOf(afterId);
    const lastSeq = this.#nextSeq - 1;
    // Unknown, from the future, or older than what is retained: say so and replay all that is kept.
    const gap = seq === undefined || seq > lastSeq || seq < this.#firstSeq - 1;
    const fromSeq = gap ? this.#firstSeq : seq + 1;
    const events: StoredEvent[] = [];
    let index = this.#start + (fromSeq - this.#firstSeq);
    const end = this.#events.length;
    let bytes = 0;
    for (; index < end && events.length < limit; index++) {
      const event = this.#events[index]!;
      if (!filter(event)) continue;
      bytes += event.data.length;
      if (bytes > maxBytes && events.length > 0) break;
      events.push(event);
    }
    const examinedSeq = this.#firstSeq + (index - this.#start) - 1;
    return { events, gap, more: index < end, cursor: this.#ids.id(examinedSeq) };
  }

  async readBefore(
    beforeId: string | undefined,
    filter: (event: StoredEvent) => boolean,
    limit: number,
    maxBytes = Number.POSITIVE_INFINITY,
  ): Promise<HistoryPage> {
    if (this.#maxAgeMs !== Number.POSITIVE_INFINITY) this.#evict(Date.now());
    const seq = beforeId === undefined ? this.#nextSeq : this.#ids.seqOf(beforeId);
    if (seq === undefined) return { events: [], more: false, cursor: beforeId!, foreign: true };
    const endSeq = Math.min(seq, this.#nextSeq);
    const page = new BoundedPage(filter, limit, maxBytes);
    // The index of the next event to examine, newest first; below #start nothing is kept.
    let index = this.#start + (endSeq - this.#firstSeq) - 1;
    const stop = Math.max(this.#start, index + 1 - HISTORY_SCAN_BUDGET);
    for (; index >= stop && !page.full; index--) if (!page.offer(this.#events[index]!)) break;
    const cursorSeq = this.#firstSeq + (index + 1 - this.#start);
    return {
      events: page.events.reverse(),
      more: index >= this.#start,
      cursor: this.#ids.id(cursorSeq),
      foreign: false,
    };
  }

  async head(): Promise<string> {
    return this.headNow();
  }

  headNow(): string {
    return this.#ids.id(this.#nextSeq - 1);
  }

  compareIds(a: string, b: string): number {
    return this.#ids.compare(a, b);
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
