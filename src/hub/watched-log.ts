import { type EventLog, LogUnavailableError } from '../log/event-log.js';
import { reasonOf } from '../log/store-errors.js';
import type { StoreHealth } from './store-health.js';

/**
 * The log as the hub uses it: every request that reaches the store reports to `health`, so an
 * outage is seen by whatever meets it first (a publish, a replay, /healthz, the hub's probe).
 */
export function watchedLog(log: EventLog, health: StoreHealth): EventLog {
  async function asked<T>(request: () => Promise<T>): Promise<T> {
    const sentAt = Date.now();
    try {
      const answer = await request();
      health.succeeded(sentAt);
      return answer;
    } catch (error) {
      if (error instanceof LogUnavailableError) health.failed(reasonOf(error));
      throw error;
    }
  }
  return {
    // Every argument passes through: a wrapper that dropped one would drop a feature silently.
    append: (...args) => asked(() => log.append(...args)),
    appendMany: (...args) => asked(() => log.appendMany(...args)),
    readAfter: (...args) => asked(() => log.readAfter(...args)),
    readBefore: (...args) => asked(() => log.readBefore(...args)),
    head: () => asked(() => log.head()),
    probe: () => asked(() => log.probe?.() ?? Promise.resolve()),
    compareIds: (a, b) => log.compareIds(a, b),
    tail: (listener) => log.tail(listener),
    size: () => log.size(),
    board: log.board,
    kept: log.kept,
    close: () => log.close(),
  };
}
