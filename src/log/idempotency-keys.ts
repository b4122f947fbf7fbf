import type { IdempotencyRule } from './event-log.js';

/** What a log remembers of an idempotent append: its events' ids and when the key was first used. */
export interface KeyRecord {
  /** One id for a single append, every id of a batch in order. */
  readonly ids: readonly string[];
  readonly time: number;
}

/**
 * The idempotency keys of a one-process log (the memory log): a map in first-use order, so the
 * oldest key is always first, whether it goes for its age or for the count bound.
 */
export class IdempotencyKeys {
  readonly #records = new Map<string, KeyRecord>();

  /** The record of a key used within the window, or undefined. */
  find(rule: IdempotencyRule, now: number): KeyRecord | undefined {
    this.#forget(now - rule.windowMs, rule.maxKeys);
    return this.#records.get(rule.key);
  }

  /** Remembers a key just used for `record.ids`. */
  remember(rule: IdempotencyRule, record: KeyRecord): void {
    this.#records.delete(rule.key);
    this.#records.set(rule.key, record);
    this.#forget(record.time - rule.windowMs, rule.maxKeys);
  }

  get size(): number {
    return this.#records.size;
  }

  /** Forgets keys first used before `oldest`, and the oldest past `maxKeys`. */
  #forget(oldest: number, maxKeys: number): void {
    for (const [key, record] of this.#records) {
      if (record.time >= oldest && this.#records.size <= maxKeys) break;
      this.#records.delete(key);
    }
  }
}
