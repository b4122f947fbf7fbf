import type { NewEvent, StoredEvent } from '../log/event-log.js';
import { encodeEventBytes } from '../protocol/encode.js';

/** An event on its way to subscribers: what fan-out needs, and its bytes, encoded once. */
export interface Outgoing {
  readonly topics: readonly string[];
  readonly private: boolean;
  /** Undefined for a transient event (written without `id:`, never replayed). */
  readonly id: string | undefined;
  readonly wire: Buffer;
}

const CACHE_EVENTS = 4096;
const CACHE_BYTES = 8 * 1024 * 1024;

/**
 * Encodes each event once. The bytes of recent events are kept (bounded), so that a storm of
 * reconnecting subscribers replaying the same recent events shares them instead of re-encoding.
 * Older events a replay encodes are remembered weakly as long as something holds their bytes (a
 * socket's queue, a page in flight): sessions replaying the same stretch of history share one copy.
 */
export class WireCache {
  readonly #recent = new Map<string, Buffer>();
  /**
   * The cached ids in the order they came, as a ring: the oldest is evicted in O(1) (taking the
   * first of a Map's entries skips every deleted entry still in its table: thousands, per event).
   */
  readonly #order: (string | undefined)[] = new Array<string | undefined>(CACHE_EVENTS).fill(undefined);
  #oldest = 0;
  #bytes = 0;
  /** Replay encodings still alive somewhere (only the replay's: the live path makes no WeakRef). */
  readonly #replayed = new Map<string, WeakRef<Buffer>>();
  readonly #collected = new FinalizationRegistry<string>((id) => {
    if (this.#replayed.get(id)?.deref() === undefined) this.#replayed.delete(id);
  });

  /** A `$SYS/` snapshot: delivered live without an id. */
  static transient(event: NewEvent): Outgoing {
    const wire = encodeEventBytes({ data: event.data, type: event.type, retry: event.retry });
    return { topics: event.topics, private: event.private, id: undefined, wire };
  }

  /** An event coming off the log's tail. */
  encode(event: StoredEvent): Outgoing {
    const wire = this.#recent.get(event.id) ?? this.#encodeRecent(event);
    return { topics: event.topics, private: event.private, id: event.id, wire };
  }

  /** The event's bytes for a replay: from the cache, from another replay, or encoded now (and kept). */
  wireOf(event: StoredEvent): Buffer {
    const cached = this.#recent.get(event.id) ?? this.#replayed.get(event.id)?.deref();
    if (cached !== undefined) return cached;
    const wire = this.#encodeRecent(event);
    this.#replayed.set(event.id, new WeakRef(wire));
    this.#collected.register(wire, event.id);
    return wire;
  }

  #encodeRecent(event: StoredEvent): Buffer {
    const wire = encodeEventBytes({ id: event.id, data: event.data, type: event.type, retry: event.retry });
    while (
      this.#recent.size >= CACHE_EVENTS ||
      (this.#recent.size > 0 && this.#bytes + wire.length > CACHE_BYTES)
    )
      this.#evictOldest();
    this.#order[(this.#oldest + this.#recent.size) % CACHE_EVENTS] = event.id;
    this.#recent.set(event.id, wire);
    this.#bytes += wire.length;
    return wire;
  }

  #evictOldest(): void {
    const id = this.#order[this.#oldest]!;
    this.#order[this.#oldest] = undefined;
    this.#oldest = (this.#oldest + 1) % CACHE_EVENTS;
    this.#bytes -= this.#recent.get(id)!.length;
    this.#recent.delete(id);
  }
}
