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
 */
export class WireCache {
  readonly #recent = new Map<string, Buffer>();
  #bytes = 0;

  /** A `$SYS/` snapshot: delivered live without an id. */
  static transient(event: NewEvent): Outgoing {
    const wire = encodeEventBytes({ data: event.data, type: event.type, retry: event.retry });
    return { topics: event.topics, private: event.private, id: undefined, wire };
  }

  /** An event coming off the log's tail. */
  encode(event: StoredEvent): Outgoing {
    return { topics: event.topics, private: event.private, id: event.id, wire: this.wireOf(event) };
  }

  /** The event's bytes, from the cache or encoded now (and kept). */
  wireOf(event: StoredEvent): Buffer {
    const cached = this.#recent.get(event.id);
    if (cached !== undefined) return cached;
    const wire = encodeEventBytes({ id: event.id, data: event.data, type: event.type, retry: event.retry });
    this.#recent.set(event.id, wire);
    this.#bytes += wire.length;
    while (this.#recent.size > CACHE_EVENTS || this.#bytes > CACHE_BYTES) {
      const [oldestId, oldest] = this.#recent.entries().next().value as [string, Buffer];
      this.#recent.delete(oldestId);
      this.#bytes -= oldest.length;
    }
    return wire;
  }
}
