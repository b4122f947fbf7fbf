import type { Grant } from './authorizer.js';
import type { Receiver } from './receive-rule.js';
import type { Sink } from './sink.js';
import { anySelectorMatchesSplit, type SplitTopics, type TopicSelector } from './topic-selector.js';
import type { Outgoing } from './wire-cache.js';

/** What an admitted subscriber asked for and may see. */
export interface Subscription {
  readonly selectors: readonly TopicSelector[];
  /** The verified credential's grant; undefined for an anonymous subscriber (public events only). */
  readonly grant: Grant | undefined;
  /** Resume point from `Last-Event-ID` / `lastEventId`; undefined for a fresh subscriber. */
  readonly lastEventId: string | undefined;
  readonly client: string;
}

type SessionState = 'replaying' | 'live' | 'closed';

const NO_SELECTORS: readonly TopicSelector[] = Object.freeze([]);

/**
 * One subscriber's stream: what it asked for and may see, and its state on the way to the socket.
 * Kept small: no timers, no closures, no copies of history. Its fields are its own: fan-out,
 * delivery and the handover change them through the methods below (`receive-rule.ts` decides what
 * it gets, from its answers here).
 */
export class Session implements Receiver {
  #state: SessionState = 'replaying';
  readonly #selectors: readonly TopicSelector[];
  /** Private topics this subscriber is authorized for. */
  readonly #claims: readonly TopicSelector[];
  readonly #grant: Grant | undefined;
  readonly #client: string;
  /** When the credential expires (ms), Infinity for never: one number comparison per event. */
  readonly #expiresAt: number;
  /**
   * Wire chunks due in this tick: the first in `#first`, all of them in `#all` once there are two.
   * Most ticks carry one event per session, so the common case allocates and resizes no array (and
   * an idle session keeps none).
   */
  #first: Buffer | undefined;
  #all: Buffer[] | undefined;
  /**
   * Its only chunk this turn is the turn's first event, which the delivery holds for every session
   * (so fan-out stores a flag here, not a pointer to a new Buffer: no write barrier per session).
   */
  #onCommon = false;
  #pendingBytes = 0;
  /** How many of the pending chunks are events (the rest are control lines). */
  #pendingEvents = 0;
  /** Queued in the delivery's dirty list for this tick. */
  #dirty = false;
  /** The last write found the transport's queue past its high-water mark. */
  #congested = false;
  /** Live events that arrived while the replay was being read; delivered after it, without duplicates. */
  #held: Outgoing[] | undefined = [];
  #heldBytes = 0;
  /** Held events were dropped (too many bytes): the replay must read the log again before going live. */
  #heldDropped = false;
  /**
   * Where the replay ended, until the tail passes it: a shared log's tail can lag its reads, so
   * live events at or before this id were already replayed and are skipped.
   */
  #liveAfter: string | undefined;
  /** Last fan-out round that visited this session, so an event with several topics is delivered once. */
  #round = 0;
  /**
   * The delivery's heartbeat sweep at the stream's last write: a small integer, stored in the
   * session itself (a time in ms is a heap number, kept in a box of its own or, declared without a
   * value, stored anew with a write barrier on every write).
   */
  #lastBeat = 0;

  constructor(
    readonly sink: Sink,
    subscription: Subscription,
    /** Keep-alive comments when quiet (off for long-poll answers, which end soon anyway). */
    readonly heartbeat: boolean,
    /** The delivery's heartbeat sweep now (`Delivery.beat`). */
    beat: number,
  ) {
    const grant = subscription.grant;
    this.#selectors = subscription.selectors;
    this.#claims = grant?.subscribe ?? NO_SELECTORS;
    this.#grant = grant;
    this.#client = subscription.client;
    this.#expiresAt = grant?.expiresAt ?? Number.POSITIVE_INFINITY;
    this.#lastBeat = beat;
  }

  // ---- who it is and what it asked for

  get selectors(): readonly TopicSelector[] {
    return this.#selectors;
  }

  get client(): string {
    return this.#client;
  }

  /** Subscribed with a credential: its selectors are nobody else's business. */
  get authenticated(): boolean {
    return this.#grant !== undefined;
  }

  /** The credential's subject (`sub`), for revocation; undefined when anonymous or unnamed. */
  get subject(): string | undefined {
    return this.#grant?.subject;
  }

  /** The credential's own id (`jti`), for revocation. */
  get tokenId(): string | undefined {
    return this.#grant?.tokenId;
  }

  /** When the credential was issued (`iat`, ms), for revocation. */
  get issuedAt(): number | undefined {
    return this.#grant?.issuedAt;
  }

  /** When the credential expires (ms); undefined: never (or anonymous). */
  get expiresAt(): number | undefined {
    return this.#grant?.expiresAt;
  }

  /** Has the credential expired by `now` (ms)? */
  expiredBy(now: number): boolean {
    return this.#expiresAt <= now;
  }

  /** Does one of its selectors match one of the topics (split into segments)? */
  subscribesTo(topics: SplitTopics): boolean {
    return anySelectorMatchesSplit(this.#selectors, topics);
  }

  /** Does its grant cover one of the topics (split), so that it may see a private event there? */
  claims(topics: SplitTopics): boolean {
    return anySelectorMatchesSplit(this.#claims, topics);
  }

  // ---- its life: replaying, live, closed

  get live(): boolean {
    return this.#state === 'live';
  }

  get replaying(): boolean {
    return this.#state === 'replaying';
  }

  get closed(): boolean {
    return this.#state === 'closed';
  }

  /** Keeps a live event that arrived during the replay; its bytes count against the ceiling. */
  hold(event: Outgoing): void {
    this.#held!.push(event);
    this.#heldBytes += event.wire.length;
  }

  /** Bytes of the live events held during the replay. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /**
   * Forgets the held events (too many bytes): they are in the log, and the replay reads them from
   * there (a transient one, never in the log, is not missed: it was for live streams only).
   */
  dropHeld(): void {
    this.#held = [];
    this.#heldBytes = 0;
    this.#heldDropped = true;
  }

  /** Were held events dropped since `keepHeld`? Then the replay is not over. */
  get heldDropped(): boolean {
    return this.#heldDropped;
  }

  /** A replay read starts: events dropped before it are in what it reads. */
  keepHeld(): void {
    this.#heldDropped = false;
  }

  /** Ends the replay: from now on fan-out queues its events; returns those held meanwhile. */
  goLive(): readonly Outgoing[] {
    const held = this.#held!;
    this.#held = undefined;
    this.#heldBytes = 0;
    this.#state = 'live';
    return held;
  }

  /** Live events up to `id` were sent by the replay (the tail may still be behind it). */
  replayedUpTo(id: string): void {
    this.#liveAfter = id;
  }

  /** Ids started over (the log lost continuity): nothing live was replayed. */
  forgetReplayEnd(): void {
    this.#liveAfter = undefined;
  }

  /** Did the replay already send the live event `id`? Once the tail passes the replay's end, never. */
  alreadyReplayed(id: string | undefined, compareIds: (a: string, b: string) => number): boolean {
    if (this.#liveAfter === undefined || id === undefined) return false;
    if (compareIds(id, this.#liveAfter) <= 0) return true;
    this.#liveAfter = undefined;
    return false;
  }

  /** The fan-out's first visit in `round` (an event with several topics reaches a session once)? */
  firstVisitIn(round: number): boolean {
    if (this.#round === round) return false;
    this.#round = round;
    return true;
  }

  /** Marks it closed and forgets what it held or had due. */
  close(): void {
    this.#state = 'closed';
    this.#held = undefined;
    this.clearPending();
  }

  // ---- bytes due in this turn (the delivery's `enqueue` is the way in: it knows the turn)

  /** Its only chunk is the delivery's common event of this turn, of `bytes` bytes. */
  queueCommon(bytes: number): void {
    this.#onCommon = true;
    this.#pendingBytes += bytes;
    this.#pendingEvents++;
  }

  /** Adds a chunk after the others; `common` is the turn's common event, made its own first if it had it. */
  push(chunk: Buffer, isEvent: boolean, common: Buffer | undefined): void {
    if (this.#onCommon) {
      // Already counted by `queueCommon`: it only becomes the first chunk of its own.
      this.#onCommon = false;
      this.#first = common;
    }
    if (this.#first === undefined) this.#first = chunk;
    else if (this.#all === undefined) this.#all = [this.#first, chunk];
    else this.#all.push(chunk);
    this.#pendingBytes += chunk.length;
    if (isEvent) this.#pendingEvents++;
  }

  get hasPending(): boolean {
    return this.#first !== undefined || this.#onCommon;
  }

  get onCommon(): boolean {
    return this.#onCommon;
  }

  /** The only chunk due (when `all` is undefined). */
  get first(): Buffer | undefined {
    return this.#first;
  }

  /** Every chunk due, once there are two or more. */
  get all(): readonly Buffer[] | undefined {
    return this.#all;
  }

  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  get pendingEvents(): number {
    return this.#pendingEvents;
  }

  /** Forgets what was due (written, or the stream closed). */
  clearPending(): void {
    this.#first = undefined;
    this.#all = undefined;
    this.#onCommon = false;
    this.#pendingBytes = 0;
    this.#pendingEvents = 0;
  }

  /** Marks it queued for this turn's flush; false when it already was. */
  markDirty(): boolean {
    if (this.#dirty) return false;
    this.#dirty = true;
    return true;
  }

  /** Taken off the dirty list (the flush reached it). */
  clearDirty(): void {
    this.#dirty = false;
  }

  /** The last write met backpressure: the transport's queue is worth asking before the next. */
  get congested(): boolean {
    return this.#congested;
  }

  /** The heartbeat sweep of its last write. */
  get lastBeat(): number {
    return this.#lastBeat;
  }

  /** A write to its sink at heartbeat sweep `beat`; `taken`: what the sink answered. */
  wrote(taken: boolean, beat: number): void {
    this.#congested = !taken;
    this.#lastBeat = beat;
  }
}
