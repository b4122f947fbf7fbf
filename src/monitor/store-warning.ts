import type { StoreHealth } from '../hub/store-health.js';
import type { ThresholdEvent } from './thresholds.js';

/** The rule name of the store's warning in snapshots and on `$SYS/warnings`. */
export const STORE_RULE = 'store';

/**
 * The store's availability as monitor warnings: a `warning` ("store unavailable since ...") on the
 * first tick that finds it down, a `recovered` on the first that finds it back, nothing between.
 */
export class StoreWarning {
  readonly #health: StoreHealth;
  /** The outage this watcher has reported (its start), if any. */
  #reported: number | undefined;

  constructor(health: StoreHealth) {
    this.#health = health;
  }

  get active(): boolean {
    return this.#reported !== undefined;
  }

  /** The crossing since the last tick, if any. */
  evaluate(now: number): ThresholdEvent | undefined {
    const since = this.#health.downSince;
    const base = { rule: STORE_RULE, warn: 1, clear: 0, t: now };
    if (since !== undefined && this.#reported === undefined) {
      this.#reported = since;
      const reason = this.#health.reason;
      return {
        kind: 'warning',
        ...base,
        value: 1,
        message: `store unavailable since ${new Date(since).toISOString()}${reason ? ` (${reason})` : ''}`,
      };
    }
    if (since === undefined && this.#reported !== undefined) {
      const durationMs = now - this.#reported;
      this.#reported = undefined;
      return {
        kind: 'recovered',
        ...base,
        value: 0,
        durationMs,
        message: `store back after ${(durationMs / 1000).toFixed(1)} s`,
      };
    }
    return undefined;
  }
}
