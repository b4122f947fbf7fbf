/** A change of the store's availability, as the log lines, /healthz, /metrics and the monitor see it. */
export type StoreChange =
  | { readonly up: false; readonly since: number; readonly reason: string }
  | { readonly up: true; readonly since: number; readonly downForMs: number };

/**
 * Whether the event store answers, as the hub last saw it: the one state that `/healthz`,
 * `herald_store_up`, the monitor's warning and the log lines all read. A failure marks it down once
 * (later failures change nothing), the next success marks it up: listeners hear each edge once, so
 * an outage is two log lines however long it lasts.
 */
export class StoreHealth {
  #downSince: number | undefined;
  #reason = '';
  #listeners: Array<(change: StoreChange) => void> = [];

  get up(): boolean {
    return this.#downSince === undefined;
  }

  /** When the outage began (ms since the epoch), while it lasts. */
  get downSince(): number | undefined {
    return this.#downSince;
  }

  /** Why the store was first found unavailable, while it is. */
  get reason(): string {
    return this.#downSince === undefined ? '' : this.#reason;
  }

  onChange(listener: (change: StoreChange) => void): void {
    this.#listeners.push(listener);
  }

  /** The store failed a request: down from now, unless it already is. */
  failed(reason: string, now = Date.now()): void {
    if (this.#downSince !== undefined) return;
    this.#downSince = now;
    this.#reason = reason;
    this.#tell({ up: false, since: now, reason });
  }

  /**
   * The store served a request sent at `sentAt`: up again, if it was down. An answer to a request
   * sent before the outage began says nothing about now (it does not end the outage).
   */
  succeeded(sentAt = Date.now(), now = Date.now()): void {
    const since = this.#downSince;
    if (since === undefined || sentAt < since) return;
    this.#downSince = undefined;
    this.#tell({ up: true, since: now, downForMs: now - since });
  }

  #tell(change: StoreChange): void {
    // Told from inside a store request: a listener's failure must not fail the request (an event
    // already stored would be reported as refused); it still surfaces.
    for (const listener of this.#listeners)
      try {
        listener(change);
      } catch (error) {
        process.nextTick(() => {
          throw error;
        });
      }
  }
}
