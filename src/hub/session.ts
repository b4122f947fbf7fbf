import type { Grant } from './authorizer.js';
import type { Sink } from './sink.js';
import { anySelectorMatchesSplit, type TopicSelector } from './topic-selector.js';
import type { Outgoing } from './wire-cache.js';

export type SessionState = 'replaying' | 'live' | 'closed';

/** What an admitted subscriber asked for and may see. */
export interface Subscription {
  readonly selectors: readonly TopicSelector[];
  /** The verified credential's grant; undefined for an anonymous subscriber (public events only). */
  readonly grant: Grant | undefined;
  /** Resume point from `Last-Event-ID` / `lastEventId`; undefined for a fresh subscriber. */
  readonly lastEventId: string | undefined;
  readonly client: string;
}

const NO_SELECTORS: readonly TopicSelector[] = Object.freeze([]);

/**
 * One subscriber's stream. Kept small: no timers, no closures, no copies of history. It knows what
 * it may receive; the hub's delivery queues due bytes here and flushes once per tick.
 */
export class Session {
  state: SessionState = 'replaying';
  readonly selectors: readonly TopicSelector[];
  /** Private topics this subscriber is authorized for. */
  readonly privateSelectors: readonly TopicSelector[];
  readonly client: string;
  /** The verified grant it subscribed with (for revocation); undefined: anonymous. */
  readonly grant: Grant | undefined;
  /** When the credential expires (ms); the stream ends then. */
  readonly expiresAt: number | undefined;
  /**
   * Wire chunks due in this tick: the first in `first`, all of them in `all` once there are two.
   * Most ticks carry one event per session, so the common case allocates and resizes no array (and
   * an idle session keeps none).
   */
  first: Buffer | undefined;
  all: Buffer[] | undefined;
  /**
   * Its only chunk this turn is the turn's first event, which the delivery holds for every session
   * (so fan-out stores a flag here, not a pointer to a new Buffer: no write barrier per session).
   */
  onCommon = false;
  pendingBytes = 0;
  /** How many of the pending chunks are events (the rest are control lines). */
  pendingEvents = 0;
  /** Queued in the delivery's dirty list for this tick. */
  dirty = false;
  /** The last write found the transport's queue past its high-water mark. */
  congested = false;
  /** Live events that arrived while the replay was being read; delivered after it, without duplicates. */
  held: Outgoing[] | undefined = [];
  heldBytes = 0;
  /**
   * Where the replay ended, until the tail passes it: a shared log's tail can lag its reads, so
   * live events at or before this id were already replayed and are skipped.
   */
  liveAfter: string | undefined;
  /** Last fan-out round that visited this session, so an event with several topics is delivered once. */
  round = 0;
  /**
   * The delivery's heartbeat sweep at the stream's last write: a small integer, stored in the
   * session itself (a time in ms is a heap number, kept in a box of its own or, declared without a
   * value, stored anew with a write barrier on every write).
   */
  lastBeat = 0;

  constructor(
    readonly sink: Sink,
    subscription: Subscription,
    /** Keep-alive comments when quiet (off for long-poll answers, which end soon anyway). */
    readonly heartbeat: boolean,
    /** The delivery's heartbeat sweep now (`Delivery.beat`). */
    beat: number,
  ) {
    this.selectors = subscription.selectors;
    this.privateSelectors = subscription.grant?.subscribe ?? NO_SELECTORS;
    this.client = subscription.client;
    this.grant = subscription.grant;
    this.expiresAt = subscription.grant?.expiresAt;
    this.lastBeat = beat;
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Subscribed with a credential: its selectors are nobody else's business. */
  get authenticated(): boolean {
    return this.privateSelectors !== NO_SELECTORS;
  }

  /** May this subscriber see an event that matched one of its selectors? (`segments`: its topics, split.) */
  mayReceive(event: Outgoing, segments: readonly (readonly string[])[]): boolean {
    return !event.private || anySelectorMatchesSplit(this.privateSelectors, segments);
  }

  /** Adds a chunk after the others; the delivery's `enqueue` is the way in (it knows the turn). */
  push(chunk: Buffer, isEvent: boolean): void {
    if (this.first === undefined) this.first = chunk;
    else if (this.all === undefined) this.all = [this.first, chunk];
    else this.all.push(chunk);
    this.pendingBytes += chunk.length;
    if (isEvent) this.pendingEvents++;
  }

  get hasPending(): boolean {
    return this.first !== undefined || this.onCommon;
  }

  /** Forgets what was due (written, or the stream closed). */
  clearPending(): void {
    this.first = undefined;
    this.all = undefined;
    this.onCommon = false;
    this.pendingBytes = 0;
    this.pendingEvents = 0;
  }
}
