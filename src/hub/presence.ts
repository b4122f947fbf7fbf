import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClusterBoard } from '../log/event-log.js';
import type { Grant } from './authorizer.js';
import type { Hub } from './hub.js';
import { HeraldError } from './refusal.js';
import { parseSelector, selectorCovers, TopicError, type TopicSelector } from './topic-selector.js';

/** What each hub of a cluster says about itself on the board, every heartbeat. */
export interface HubRecord {
  readonly id: string;
  /** Where it listens (`http://host:port/`), or '' before it does. */
  readonly address: string;
  readonly connections: number;
  /** Events it took off the log per second, over the last heartbeat. */
  readonly eventsPerSecond: number;
  /** When it wrote this record (ms since the Unix epoch). */
  readonly lastSeen: number;
  /** Subscriptions per selector of anonymous sessions. */
  readonly public: readonly (readonly [string, number])[];
  /** Subscriptions per selector of authenticated sessions (counted for authorized callers only). */
  readonly private: readonly (readonly [string, number])[];
}

/** The answer of `GET /subscriptions`. */
export interface SubscriptionCounts {
  /** Subscriptions covered by each selector asked about. */
  readonly counts: Record<string, number>;
  /** `cluster` when the hubs share a board (Redis), else `hub`. */
  readonly scope: 'cluster' | 'hub';
  /** Hubs counted. */
  readonly hubs: number;
}

export const DEFAULT_PRESENCE_MS = 2_000;
/** Events per second are measured over at least this long, however short the heartbeat. */
const RATE_WINDOW_MS = 1_000;
/** A hub not heard of for this many heartbeats is taken for dead. */
const LIVES = 3;

/**
 * Who is subscribed, across the cluster: with a shared log's board, one timer per hub writes this
 * hub's counts (expiring after three heartbeats) and reads everyone else's, so a dead hub drops out
 * within three heartbeats; without a board, this hub's own counts. Private subscriptions' selectors
 * are counted only for a caller whose grant covers the selector asked about, never listed.
 */
export class Presence {
  readonly id: string;
  readonly #hub: Hub;
  readonly #board: ClusterBoard | undefined;
  readonly #intervalMs: number;
  readonly #onError: (error: unknown) => void;
  #address = '';
  #others: HubRecord[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** (time, events published) at recent heartbeats: the rate is taken over at least a second. */
  readonly #samples: [number, number][] = [];
  #eventsPerSecond = 0;
  #beating = false;

  constructor(
    hub: Hub,
    board: ClusterBoard | undefined,
    intervalMs: number,
    onError: (error: unknown) => void,
  ) {
    this.#hub = hub;
    this.#board = board;
    this.#intervalMs = intervalMs;
    this.#onError = onError;
    this.id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.#samples.push([Date.now(), hub.counters.eventsPublished]);
    this.#timer = setInterval(() => void this.beat(), intervalMs).unref();
    void this.beat();
  }

  get clustered(): boolean {
    return this.#board !== undefined;
  }

  set address(address: string) {
    this.#address = address;
  }

  /** This hub's record now. */
  own(now = Date.now()): HubRecord {
    return {
      id: this.id,
      address: this.#address,
      connections: this.#hub.connections,
      eventsPerSecond: this.#eventsPerSecond,
      lastSeen: now,
      public: [...this.#hub.topicCounts()],
      private: [...this.#hub.privateTopicCounts()],
    };
  }

  /** Every live hub: this one (its figures now) first, then the others as last heard. */
  hubs(now = Date.now()): HubRecord[] {
    const horizon = now - LIVES * this.#intervalMs;
    return [this.own(now), ...this.#others.filter((r) => r.lastSeen >= horizon)];
  }

  /** One heartbeat: figures of the last interval, this hub's record written, the others' read. */
  async beat(): Promise<void> {
    const now = Date.now();
    const published = this.#hub.counters.eventsPublished;
    this.#samples.push([now, published]);
    while (this.#samples.length > 2 && now - this.#samples[1]![0] >= RATE_WINDOW_MS) this.#samples.shift();
    const [since, before] = this.#samples[0]!;
    const seconds = Math.max(0.001, (now - since) / 1000);
    this.#eventsPerSecond = Math.round(((published - before) / seconds) * 10) / 10;
    if (this.#board === undefined || this.#beating) return;
    this.#beating = true;
    try {
      await this.#board.write(this.id, JSON.stringify(this.own(now)), LIVES * this.#intervalMs);
      const records = await this.#board.read();
      const others: HubRecord[] = [];
      for (const [id, text] of records) {
        if (id === this.id) continue;
        try {
          others.push(JSON.parse(text) as HubRecord);
        } catch {
          // A record from another version, or damaged: left out.
        }
      }
      this.#others = others;
    } catch (error) {
      // The store is unavailable: the others' records age out of hubs() on their own.
      this.#onError(error);
    } finally {
      this.#beating = false;
    }
  }

  /**
   * Subscriptions covered by each selector (`chat/*` counts `chat/lobby` and `chat/kitchen`).
   * Authenticated sessions' subscriptions count only where `grant` covers the selector.
   */
  counts(texts: readonly string[], grant: Grant | undefined, maxTopics: number): SubscriptionCounts {
    if (texts.length === 0)
      throw new HeraldError('invalid', 'at least one topic is required', { advice: 'name-topics' });
    if (texts.length > maxTopics)
      throw new HeraldError('invalid', `at most ${maxTopics} topics per request (maxTopicsPerSubscription)`);
    let selectors: TopicSelector[];
    try {
      selectors = [...new Set(texts)].map(parseSelector);
    } catch (error) {
      if (error instanceof TopicError) throw new HeraldError('invalid', error.message);
      throw error;
    }
    const hubs = this.hubs();
    const counts: Record<string, number> = {};
    for (const selector of selectors) {
      const mayCountPrivate = grant?.subscribe.some((g) => selectorCovers(g, selector)) ?? false;
      let n = 0;
      for (const record of hubs) {
        n += sumCovered(selector, record.public);
        if (mayCountPrivate) n += sumCovered(selector, record.private);
      }
      counts[selector.text] = n;
    }
    return { counts, scope: this.clustered ? 'cluster' : 'hub', hubs: hubs.length };
  }

  /** Stops the heartbeat and takes this hub's record off the board. */
  async close(): Promise<void> {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#board?.remove(this.id).catch(() => {});
  }
}

function sumCovered(selector: TopicSelector, counts: readonly (readonly [string, number])[]): number {
  let n = 0;
  for (const [text, count] of counts) {
    let subscribed: TopicSelector;
    try {
      subscribed = parseSelector(text);
    } catch {
      continue;
    }
    if (selectorCovers(selector, subscribed)) n += count;
  }
  return n;
}
