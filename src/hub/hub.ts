import type { EventLog, NewEvent, StoredEvent } from '../log/event-log.js';
import { encodeEventBytes } from '../protocol/encode.js';
import { ClientCounters, type Limits } from './limits.js';
import { HeraldError } from './refusal.js';
import { Session, type Sink } from './session.js';
import { TopicIndex } from './topic-index.js';
import {
  anySelectorMatches,
  anySelectorMatchesSplit,
  parseTopic,
  TopicError,
  type TopicSelector,
} from './topic-selector.js';
import { type Outgoing, WireCache } from './wire-cache.js';

/** What `hub.publish` takes. */
export interface PublishInput {
  /** One topic or several; the event reaches each subscriber once however many match. */
  topics: string | readonly string[];
  data: string;
  /** Event type (`event:`); names starting with `herald-` are reserved for the hub. */
  type?: string;
  /** Reconnection delay (ms) sent to subscribers with this event. */
  retry?: number;
  /** Only subscribers whose token authorizes one of the topics receive it. */
  private?: boolean;
}

export interface HubCoreOptions {
  log: EventLog;
  limits: Limits;
  /** `retry:` sent to every new subscriber (ms). */
  retryMs: number;
  /** A comment is written to streams quiet for this long (ms), to keep proxies from timing out. */
  heartbeatMs: number;
  /** Base of the jittered `retry:` sent when shedding load or shutting down (ms). */
  shedRetryMs: number;
  /** Long-poll: the response ends this long after the last event of a burst (ms). */
  pollQuietMs: number;
  /** Long-poll: the response ends after this long in any case (ms). */
  pollTimeoutMs: number;
}

export interface OpenParams {
  selectors: readonly TopicSelector[];
  privateSelectors: readonly TopicSelector[];
  /** Resume point from `Last-Event-ID` or `lastEventId`; undefined for a fresh subscriber. */
  lastEventId: string | undefined;
  client: string;
  poll: boolean;
}

/** Plain counters, read by /metrics and the monitor; cheap to bump on the hot path. */
export interface HubCounters {
  startedAt: number;
  connectionsOpened: number;
  connectionsClosed: number;
  connectionsShed: number;
  httpRequests: number;
  eventsPublished: number;
  eventsDelivered: number;
  bytesOut: number;
  slowConsumerDisconnects: number;
}

const REPLAY_PAGE = 1000;
const HEARTBEAT = Buffer.from(':\n\n');
const RESERVED_TYPE_PREFIX = 'herald-';

/**
 * The hub: publishes through the log, fans out from the log's tail to matching sessions, and runs
 * each subscriber's replay-then-live handover. Knows nothing of HTTP.
 */
export class Hub {
  readonly counters: HubCounters = {
    startedAt: Date.now(),
    connectionsOpened: 0,
    connectionsClosed: 0,
    connectionsShed: 0,
    httpRequests: 0,
    eventsPublished: 0,
    eventsDelivered: 0,
    bytesOut: 0,
    slowConsumerDisconnects: 0,
  };
  readonly clients = new ClientCounters();
  readonly log: EventLog;
  readonly options: HubCoreOptions;
  readonly #sessions = new Set<Session>();
  readonly #index = new TopicIndex<Session>();
  readonly #pollSessions = new Set<Session>();
  readonly #wires = new WireCache();
  #dirty: Session[] = [];
  #flushScheduled = false;
  #round = 0;
  #event: Outgoing | undefined;
  #segments: readonly (readonly string[])[] = [];
  #closing = false;
  readonly #untail: () => void;
  readonly #tick: NodeJS.Timeout;
  readonly #heartbeat: NodeJS.Timeout;
  #pollTimer: NodeJS.Timeout | undefined;

  constructor(options: HubCoreOptions) {
    this.options = options;
    this.log = options.log;
    this.#untail = this.log.tail({ event: (event) => this.#fanOut(this.#wires.encode(event)) });
    // One timer each for the whole hub, never one per connection.
    this.#tick = setInterval(() => this.clients.newWindow(), 1000).unref();
    this.#heartbeat = setInterval(() => this.#beat(), Math.max(250, options.heartbeatMs / 2)).unref();
  }

  get closing(): boolean {
    return this.#closing;
  }

  /** Open streams now. */
  get connections(): number {
    return this.#sessions.size;
  }

  /** Subscriptions per selector, for the monitor. */
  topicCounts(): ReadonlyMap<string, number> {
    return this.#index.counts();
  }

  /** Checks a publish and turns it into the event the log stores. Throws HeraldError (400/413). */
  validate(input: PublishInput): NewEvent {
    const limits = this.options.limits;
    const list = typeof input.topics === 'string' ? [input.topics] : input.topics;
    if (!Array.isArray(list) || list.length === 0)
      throw new HeraldError('invalid', 'at least one topic is required');
    if (list.length > limits.maxTopicsPerEvent) {
      throw new HeraldError(
        'invalid',
        `an event may have at most ${limits.maxTopicsPerEvent} topics (maxTopicsPerEvent)`,
      );
    }
    for (const topic of list) {
      try {
        parseTopic(topic);
      } catch (error) {
        if (error instanceof TopicError) throw new HeraldError('invalid', error.message);
        throw error;
      }
    }
    if (typeof input.data !== 'string') throw new HeraldError('invalid', 'data must be a string');
    const bytes = Buffer.byteLength(input.data);
    if (bytes > limits.maxEventBytes) {
      throw new HeraldError(
        'too-large',
        `data is ${bytes} bytes; the limit is ${limits.maxEventBytes} (maxEventBytes)`,
      );
    }
    if (input.type !== undefined) {
      if (typeof input.type !== 'string' || input.type === '' || /[\r\n\0]/.test(input.type)) {
        throw new HeraldError('invalid', 'type must be a non-empty string without CR, LF or NUL');
      }
      if (input.type.length > 128) throw new HeraldError('invalid', 'type is longer than 128 characters');
      if (input.type.startsWith(RESERVED_TYPE_PREFIX)) {
        throw new HeraldError(
          'invalid',
          `event types starting with "${RESERVED_TYPE_PREFIX}" are reserved for the hub`,
        );
      }
    }
    if (input.retry !== undefined && (!Number.isSafeInteger(input.retry) || input.retry < 0)) {
      throw new HeraldError('invalid', 'retry must be a non-negative integer (milliseconds)');
    }
    return {
      topics: [...new Set(list)],
      data: input.data,
      type: input.type,
      retry: input.retry,
      private: input.private === true,
    };
  }

  /** Publishes one event; resolves with its id once the log has stored it. */
  async publish(input: PublishInput): Promise<{ id: string }> {
    return this.append(this.validate(input));
  }

  /** Appends an event that `validate` already returned (the HTTP route checks claims in between). */
  async append(event: NewEvent): Promise<{ id: string }> {
    if (this.#closing) throw new HeraldError('unavailable', 'the hub is shutting down');
    // The hub's own system topics are live snapshots, not history: they bypass the log.
    if (event.topics.every((topic) => topic.startsWith('$'))) {
      this.#fanOut(WireCache.transient(event));
      return { id: await this.log.head() };
    }
    const stored = await this.log.append(event);
    return { id: stored.id };
  }

  #fanOut(event: Outgoing): void {
    this.counters.eventsPublished++;
    this.#round++;
    this.#event = event;
    // Split once per event, for the index walk and for every private-event check.
    const segments = event.topics.map((topic) => topic.split('/'));
    this.#segments = segments;
    for (const topic of segments) this.#index.forEachMatch(topic, this.#visit);
    this.#event = undefined;
  }

  // A bound arrow kept on the instance: no closure allocated per event.
  readonly #visit = (session: Session): void => {
    const event = this.#event!;
    if (session.round === this.#round) return;
    session.round = this.#round;
    if (event.private && !anySelectorMatchesSplit(session.privateSelectors, this.#segments)) return;
    if (session.state === 'live') {
      session.enqueue(event.wire);
      session.pendingEvents++;
      this.#markDirty(session);
    } else if (session.state === 'replaying') {
      session.held!.push(event);
      session.heldBytes += event.wire.length;
      if (session.heldBytes > this.options.limits.maxUnsentBytesPerSession) this.#dropSlow(session);
    }
  };

  #markDirty(session: Session): void {
    if (session.dirty) return;
    session.dirty = true;
    this.#dirty.push(session);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flush);
    }
  }

  /** Writes everything due to each socket in this tick in one write. */
  readonly #flush = (): void => {
    this.#flushScheduled = false;
    const dirty = this.#dirty;
    this.#dirty = [];
    const now = Date.now();
    const ceiling = this.options.limits.maxUnsentBytesPerSession;
    for (const session of dirty) {
      session.dirty = false;
      if (session.closed || session.pending.length === 0) continue;
      if (session.sink.buffered() > ceiling) {
        this.#dropSlow(session);
        continue;
      }
      session.sink.write(session.pending);
      this.counters.eventsDelivered += session.pendingEvents;
      this.counters.bytesOut += session.pendingBytes;
      if (session.poll && session.pendingEvents > 0) session.poll.quietUntil = now + this.options.pollQuietMs;
      session.lastWriteAt = now;
      session.pending.length = 0;
      session.pendingBytes = 0;
      session.pendingEvents = 0;
    }
  };

  #dropSlow(session: Session): void {
    this.counters.slowConsumerDisconnects++;
    this.closeSession(session, 'destroy');
  }

  #beat(): void {
    const now = Date.now();
    const quiet = this.options.heartbeatMs;
    for (const session of this.#sessions) {
      if (session.state !== 'live' || session.poll || now - session.lastWriteAt < quiet) continue;
      session.sink.write([HEARTBEAT]);
      session.lastWriteAt = now;
      this.counters.bytesOut += HEARTBEAT.length;
    }
  }

  #checkPolls = (): void => {
    const now = Date.now();
    for (const session of this.#pollSessions) {
      const poll = session.poll!;
      if (now >= poll.deadline || (poll.quietUntil > 0 && now >= poll.quietUntil))
        this.closeSession(session, 'end');
    }
    if (this.#pollSessions.size === 0 && this.#pollTimer) {
      clearInterval(this.#pollTimer);
      this.#pollTimer = undefined;
    }
  };

  /** A jittered delay in [base, 2 x base), so that shed or shut-down clients come back spread out. */
  jitteredRetry(): number {
    const base = this.options.shedRetryMs;
    return Math.floor(base + Math.random() * base);
  }

  /**
   * Starts a subscriber's stream on `sink` (headers already sent). Returns at once; the replay runs
   * in the background and hands over to live delivery with no gap and no duplicate.
   */
  open(sink: Sink, params: OpenParams): Session {
    const now = Date.now();
    const poll = params.poll ? { deadline: now + this.options.pollTimeoutMs, quietUntil: 0 } : undefined;
    const session = new Session(sink, params.selectors, params.privateSelectors, params.client, poll, now);
    this.#sessions.add(session);
    this.clients.openStream(params.client);
    this.counters.connectionsOpened++;
    // Registered before the replay is read, so nothing published meanwhile is missed: it is held.
    for (const selector of params.selectors) this.#index.add(selector, session);
    if (poll) {
      this.#pollSessions.add(session);
      this.#pollTimer ??= setInterval(this.#checkPolls, Math.min(50, this.options.pollQuietMs)).unref();
    }
    this.#start(session, params.lastEventId).catch(() => this.closeSession(session, 'destroy'));
    return session;
  }

  async #start(session: Session, lastEventId: string | undefined): Promise<void> {
    const retry = `retry: ${this.options.retryMs}\n`;
    let cursor: string;
    if (lastEventId === undefined) {
      // A fresh subscriber's resume point is now: `id:` with no data sets it without an event.
      cursor = await this.log.head();
      session.enqueue(Buffer.from(`${retry}id: ${cursor}\n\n`));
    } else {
      session.enqueue(Buffer.from(`${retry}\n`));
      cursor = await this.#replay(session, lastEventId);
      if (session.closed) return;
    }
    const held = session.held!;
    session.held = undefined;
    session.state = 'live';
    for (const event of held) {
      if (event.id === undefined || this.log.compareIds(event.id, cursor) > 0) {
        session.enqueue(event.wire);
        session.pendingEvents++;
      }
    }
    this.#markDirty(session);
  }

  /** Sends what the subscriber missed after `lastEventId`; returns the id the stream has reached. */
  async #replay(session: Session, lastEventId: string): Promise<string> {
    const visible = (event: StoredEvent) =>
      anySelectorMatches(session.selectors, event.topics) &&
      (!event.private || anySelectorMatches(session.privateSelectors, event.topics));
    let cursor = lastEventId;
    let lastSent: string | undefined;
    for (let page = 0; ; page++) {
      const result = await this.log.readAfter(cursor, visible, REPLAY_PAGE);
      if (session.closed) return cursor;
      if (page === 0 && result.gap) session.enqueue(gapEvent(lastEventId));
      for (const event of result.events) {
        session.enqueue(this.#wires.wireOf(event));
        session.pendingEvents++;
        lastSent = event.id;
      }
      cursor = result.cursor;
      if (!result.more) break;
      // Long replay: send this page and wait for the socket to drain before reading the next.
      this.#writeNow(session);
      if (session.sink.buffered() > this.options.limits.maxUnsentBytesPerSession)
        await session.sink.drained();
      if (session.closed) return cursor;
    }
    // Move the client's resume point past events it may not see, and past a gap.
    if (lastSent !== cursor) session.enqueue(Buffer.from(`id: ${cursor}\n\n`));
    return cursor;
  }

  #writeNow(session: Session): void {
    if (session.pending.length === 0 || session.closed) return;
    session.sink.write(session.pending);
    this.counters.eventsDelivered += session.pendingEvents;
    this.counters.bytesOut += session.pendingBytes;
    session.pending.length = 0;
    session.pendingBytes = 0;
    session.pendingEvents = 0;
  }

  /** Forgets a session; `end` closes the response cleanly, `destroy` cuts it, `gone` means the client left. */
  closeSession(session: Session, how: 'end' | 'destroy' | 'gone'): void {
    if (session.closed) return;
    // What is queued (a shutdown's retry:, a long-poll's last events) goes out before the end.
    if (how === 'end') this.#writeNow(session);
    session.state = 'closed';
    for (const selector of session.selectors) this.#index.remove(selector, session);
    this.#sessions.delete(session);
    this.#pollSessions.delete(session);
    this.clients.closeStream(session.client);
    this.counters.connectionsClosed++;
    session.held = undefined;
    if (how === 'end') {
      session.sink.end();
    } else if (how === 'destroy') {
      session.sink.destroy();
    }
    session.pending.length = 0;
  }

  /**
   * Stops the hub: every stream gets a jittered `retry:` and is closed, so clients come back spread
   * out (to this hub's successor); then the log is flushed and closed.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#untail();
    clearInterval(this.#tick);
    clearInterval(this.#heartbeat);
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    this.#flush();
    for (const session of [...this.#sessions]) {
      session.enqueue(Buffer.from(`retry: ${this.jitteredRetry()}\n\n`));
      this.closeSession(session, 'end');
    }
    await this.log.close();
  }
}

/** The hub's notice that events may be missing before the replay that follows. */
function gapEvent(lastEventId: string): Buffer {
  const data = JSON.stringify({
    lastEventId,
    reason: 'the resume point is older than the history or unknown',
  });
  return encodeEventBytes({ type: 'herald-gap', data });
}
