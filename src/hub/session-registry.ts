import type { Session } from './session.js';
import { TopicIndex } from './topic-index.js';

/**
 * Who is connected: every open session, the topic index that fan-out walks, streams per client,
 * subscriber counts per selector for the monitor, and the sessions whose credential expires.
 */
export class SessionRegistry {
  readonly index = new TopicIndex<Session>();
  readonly #sessions = new Set<Session>();
  readonly #perClient = new Map<string, number>();
  /** Subscriptions per selector of anonymous sessions only: an authenticated one's topics are private. */
  readonly #publicCounts = new Map<string, number>();
  /** Subscriptions per selector of authenticated sessions: counted for callers whose token covers them. */
  readonly #privateCounts = new Map<string, number>();
  readonly #expiring = new Set<Session>();
  #authenticated = 0;

  get size(): number {
    return this.#sessions.size;
  }

  /** Sessions subscribed with a credential (counted, never listed). */
  get authenticated(): number {
    return this.#authenticated;
  }

  streamsOf(client: string): number {
    return this.#perClient.get(client) ?? 0;
  }

  add(session: Session): void {
    this.#sessions.add(session);
    this.#perClient.set(session.client, this.streamsOf(session.client) + 1);
    for (const selector of session.selectors) this.index.add(selector, session);
    if (session.authenticated) this.#authenticated++;
    const counts = session.authenticated ? this.#privateCounts : this.#publicCounts;
    for (const selector of session.selectors) bump(counts, selector.text, 1);
    if (session.expiresAt !== undefined) this.#expiring.add(session);
  }

  delete(session: Session): void {
    if (!this.#sessions.delete(session)) return;
    bump(this.#perClient, session.client, -1);
    for (const selector of session.selectors) this.index.remove(selector, session);
    if (session.authenticated) this.#authenticated--;
    const counts = session.authenticated ? this.#privateCounts : this.#publicCounts;
    for (const selector of session.selectors) bump(counts, selector.text, -1);
    this.#expiring.delete(session);
  }

  /** Anonymous subscriptions per selector, for the monitor. */
  publicCounts(): ReadonlyMap<string, number> {
    return this.#publicCounts;
  }

  /** Subscriptions per selector of authenticated sessions (never listed; counted for authorized callers). */
  privateCounts(): ReadonlyMap<string, number> {
    return this.#privateCounts;
  }

  /** Sessions whose credential has expired by `now`. */
  expired(now: number): Session[] {
    const out: Session[] = [];
    for (const session of this.#expiring) if (session.expiredBy(now)) out.push(session);
    return out;
  }

  [Symbol.iterator](): IterableIterator<Session> {
    return this.#sessions.values();
  }
}

function bump(map: Map<string, number>, key: string, delta: number): void {
  const n = (map.get(key) ?? 0) + delta;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}
