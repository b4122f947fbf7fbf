import type { StoredEvent } from './event-log.js';

/**
 * The page a read gathers, bounded as every read of the log is: the events that pass the filter,
 * at most `limit` of them and no more than `maxBytes` of `data` (UTF-16 code units) unless the
 * first alone is larger. Each store examines events in its own order and offers them here.
 */
export class BoundedPage {
  readonly events: StoredEvent[] = [];
  #bytes = 0;

  constructor(
    private readonly filter: (event: StoredEvent) => boolean,
    private readonly limit: number,
    private readonly maxBytes: number,
  ) {}

  /** Takes the next event examined; false when it does not fit (so it is not examined: the next read starts with it). */
  offer(event: StoredEvent): boolean {
    if (!this.filter(event)) return true;
    this.#bytes += event.data.length;
    if (this.#bytes > this.maxBytes && this.events.length > 0) return false;
    this.events.push(event);
    return true;
  }

  /** Holds `limit` events: the read stops. */
  get full(): boolean {
    return this.events.length >= this.limit;
  }

  /** Bytes of data that still fit. */
  get room(): number {
    return this.maxBytes - this.#bytes;
  }
}
