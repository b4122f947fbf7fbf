import {
  type EventLog,
  type IdempotencyRule,
  LogUnavailableError,
  type NewEvent,
  type StoredEvent,
} from '../log/event-log.js';
import type { Authorizer, Credential, Grant, IssuedTicket, Tickets } from './authorizer.js';
import { gapEvent, reauthEvent, resumeEvent, retryBlock } from './control-events.js';
import { type HubCounters, newCounters } from './counters.js';
import { Delivery } from './delivery.js';
import { type BatchOptions, type PublishedBatch, toNewEvents } from './event-batch.js';
import { type Published, type PublishInput, toNewEvent } from './event-rules.js';
import { FanOut } from './fan-out.js';
import { Handover } from './handover.js';
import { type HistoryAnswer, type HistoryRequest, readHistory } from './history.js';
import { idempotencyRule } from './idempotency-key.js';
import { KeptRevocations } from './kept-revocations.js';
import type { Limits } from './limits.js';
import { OperationAdmission } from './operation-admission.js';
import type { Operation } from './operations.js';
import { checkPublishGrant } from './publish-grant.js';
import { ReceiveRule } from './receive-rule.js';
import { HeraldError } from './refusal.js';
import { ReplayBudget } from './replay-budget.js';
import {
  DEFAULT_REVOCATION_LIMITS,
  parseRevocationRecord,
  REVOCATION_TOPIC,
  type Revocation,
  type RevocationLimits,
  type RevocationRecord,
  Revocations,
  revocationCovers,
} from './revocations.js';
import { SelectorCache } from './selector-cache.js';
import { Session, type Subscription } from './session.js';
import { SessionRegistry } from './session-registry.js';
import type { Sink } from './sink.js';
import { StoreHealth } from './store-health.js';
import {
  type Admission,
  admitSubscriber,
  checkMonitorGrant,
  type SubscribeRequest,
} from './subscriber-admission.js';
import { isSystemTopic, parseTopic, type TopicSelector } from './topic-selector.js';
import { watchedLog } from './watched-log.js';
import { WireCache } from './wire-cache.js';

export interface HubCoreOptions {
  log: EventLog;
  limits: Limits;
  /** Verifies publishers' credentials; without it, publishing from outside the process is refused. */
  publishers: Authorizer | undefined;
  /**
   * Verifies subscribers' credentials, tickets included (source 'ticket'); without it, subscriber
   * tokens are refused.
   */
  subscribers: Authorizer | undefined;
  /** Where tickets are issued (redeeming them is `subscribers`' business); without it, none are. */
  tickets?: Tickets | undefined;
  /** Take subscriber credentials found in a URL (source `url`)? Default true. */
  urlTokens?: boolean;
  /** How long revocations are kept, and how many. */
  revocations?: RevocationLimits;
  /** `$SYS/` topics and the monitor's figures need a grant listing `$SYS/**`. Default false (public). */
  monitorAuth?: boolean;
  /** Private namespaces: an event with a topic under one of these is private, whatever its publisher said. */
  privateTopics?: readonly TopicSelector[];
  /** `retry:` sent to every new subscriber (ms). */
  retryMs: number;
  /** A comment is written to streams quiet for this long (ms), to keep proxies from timing out. */
  heartbeatMs: number;
  /** Base of the jittered `retry:` sent when shedding load or shutting down (ms). */
  shedRetryMs: number;
  /** On close, how long streams get to send what is queued for them before they are cut (ms). */
  drainTimeoutMs: number;
}

export interface OpenOptions {
  /** Keep-alive comments while quiet (long-poll answers go without). */
  heartbeat: boolean;
}

/** What /healthz reports: the hub's state, decided here; HTTP picks the status from it. */
export interface HubHealth {
  /** `ok`; `degraded` while the store is unavailable; `closing` once shutting down. */
  readonly status: 'ok' | 'degraded' | 'closing';
  readonly store: 'up' | 'unavailable';
  /** While the store is unavailable: since when (ms since the epoch), and why. */
  readonly storeDownSince?: number;
  readonly storeReason?: string;
  /** The newest event id (the last one this hub knew, while the store is unavailable). */
  readonly head: string;
}

/**
 * A failed append as the caller is told it: a store that is unavailable is a 503 to retry, and
 * when it may have taken `what` all the same, only a retry with the same idempotency key is safe.
 */
function storeRefusal(error: unknown, what: string): unknown {
  if (!(error instanceof LogUnavailableError)) return error;
  if (error.outcomeUnknown)
    return new HeraldError(
      'unavailable',
      `the event store is unavailable: it did not answer in time (${error.message}); ${what} may have been stored`,
      { retryAfterMs: 1000, advice: 'retry-with-idempotency-key', cause: error },
    );
  return new HeraldError('unavailable', `the event store is unavailable: ${error.message}`, {
    retryAfterMs: 1000,
    cause: error,
  });
}

const STORE_GAP_REASON = 'the event store lost events (it restarted or went back in time)';

/**
 * The hub decides: it admits subscribers and publishers, publishes through the log, fans out from
 * the log's tail (the one path in every mode) and ends streams. It knows nothing of HTTP: the
 * transports hand it credentials, addresses and parameters, and a Sink per stream.
 */
export class Hub {
  readonly counters: HubCounters = newCounters();
  /** Whether the store answers: read by /healthz, /metrics, the monitor and the log lines. */
  readonly storeHealth = new StoreHealth();
  readonly #options: HubCoreOptions;
  readonly #log: EventLog;
  readonly #sessions = new SessionRegistry();
  readonly #selectors = new SelectorCache();
  readonly #wires = new WireCache();
  readonly #rule: ReceiveRule;
  readonly #delivery: Delivery;
  readonly #fanOut: FanOut;
  readonly #handover: Handover;
  readonly #replayBudget: ReplayBudget;
  readonly #admission: OperationAdmission;
  readonly #revocations: Revocations;
  readonly #keptRevocations: KeptRevocations;
  readonly #untail: () => void;
  readonly #tick: NodeJS.Timeout;
  readonly #heartbeat: NodeJS.Timeout;
  #closed: Promise<void> | undefined;
  /** The newest id this hub knows of (from its tail), so that system snapshots never ask the store. */
  #head: string | undefined;
  #probing = false;

  constructor(options: HubCoreOptions) {
    this.#options = options;
    this.#log = watchedLog(options.log, this.storeHealth);
    this.#delivery = new Delivery(this.counters, options.limits.maxUnsentBytesPerSession, (session) =>
      this.closeSession(session, 'destroy'),
    );
    this.#rule = new ReceiveRule(options.privateTopics ?? []);
    this.#fanOut = new FanOut(
      this.#sessions.index,
      this.#rule,
      this.#delivery,
      (a, b) => this.#log.compareIds(a, b),
      (session) => this.#expire(session),
    );
    this.#replayBudget = new ReplayBudget(options.limits.maxReplayBytes);
    this.#handover = new Handover(
      this.#log,
      this.#rule,
      this.#wires,
      this.#delivery,
      this.#replayBudget,
      options.retryMs,
    );
    this.#revocations = new Revocations(options.revocations ?? DEFAULT_REVOCATION_LIMITS);
    this.#keptRevocations = new KeptRevocations(this.#log.kept, this.#revocations);
    this.#admission = new OperationAdmission({
      limits: options.limits,
      authorizers: { publisher: options.publishers, subscriber: options.subscribers },
      urlTokens: options.urlTokens ?? true,
      revocations: this.#revocations,
      counters: this.counters,
    });
    this.#untail = this.#log.tail({
      event: (event) => this.#onEvent(event),
      gap: (lastId, head) => this.#onLogGap(lastId, head),
    });
    this.#log.head().then(
      (head) => {
        this.#head ??= head;
      },
      () => {}, // Reported to storeHealth; the tail or the probe fills #head later.
    );
    // One timer each for the whole hub, never one per connection.
    this.#tick = setInterval(() => this.#everySecond(), 1000).unref();
    // A sweep every half interval (at least 250 ms); a stream quiet for `heartbeatMs` gets a
    // comment, within 1.5 intervals of its last write: quiet for `quietBeats` sweeps.
    const sweepMs = Math.max(250, options.heartbeatMs / 2);
    const quietBeats = Math.ceil(options.heartbeatMs / sweepMs) + 1;
    this.#heartbeat = setInterval(
      () => this.#delivery.heartbeat(this.#sessions, quietBeats),
      sweepMs,
    ).unref();
  }

  get closing(): boolean {
    return this.#closed !== undefined;
  }

  get limits(): Readonly<Limits> {
    return this.#options.limits;
  }

  /** Revoked subjects and token ids kept now. */
  get revocationCount(): number {
    return this.#revocations.size;
  }

  /** Open streams now. */
  get connections(): number {
    return this.#sessions.size;
  }

  /** Open streams subscribed with a credential (their topics are never listed). */
  get authenticatedConnections(): number {
    return this.#sessions.authenticated;
  }

  /** Anonymous subscriptions per selector, for the monitor. */
  topicCounts(): ReadonlyMap<string, number> {
    return this.#sessions.publicCounts();
  }

  /** Does any open stream (anonymous or not) subscribe to a selector matching `topic`? */
  hasSubscribers(topic: string): boolean {
    let found = false;
    this.#sessions.index.forEachMatch(parseTopic(topic), () => {
      found = true;
    });
    return found;
  }

  /** Subscriptions per selector of authenticated sessions: for presence, counted, never listed. */
  privateTopicCounts(): ReadonlyMap<string, number> {
    return this.#sessions.privateCounts();
  }

  /** Retained history, for stats. */
  historySize(): { events: number; bytes: number } {
    return this.#log.size();
  }

  head(): Promise<string> {
    return this.#log.head();
  }

  /**
   * The hub's health: the store is asked for its head only while it is up (an outage's end is
   * noticed by the probe), so a health check answers promptly during an outage.
   */
  async health(): Promise<HubHealth> {
    let head = this.#head ?? '';
    if (this.storeHealth.up)
      try {
        head = await this.#log.head();
      } catch (error) {
        if (!(error instanceof LogUnavailableError)) throw error;
      }
    const store = this.storeHealth;
    if (store.downSince === undefined) return { status: this.closing ? 'closing' : 'ok', store: 'up', head };
    return {
      status: this.closing ? 'closing' : 'degraded',
      store: 'unavailable',
      storeDownSince: store.downSince,
      storeReason: store.reason,
      head,
    };
  }

  /** Orders two event ids of this hub's log. */
  compareIds(a: string, b: string): number {
    return this.#log.compareIds(a, b);
  }

  /** A jittered delay in [base, 2 x base), so that shed or shut-down clients come back spread out. */
  jitteredRetry(): number {
    const base = this.#options.shedRetryMs;
    return Math.floor(base + Math.random() * base);
  }

  // ---- publishing

  /** Publishes one event from inside the process (trusted: no credential, system topics allowed). */
  publish(input: PublishInput): Promise<Published> {
    const limits = this.#options.limits;
    return this.#append(toNewEvent(input, limits), idempotencyRule(input.idempotencyKey, undefined, limits));
  }

  /**
   * Publishes a batch from inside the process (trusted, as `publish`), all or nothing: every event
   * is checked before any is stored; they are stored at consecutive positions and reach
   * subscribers in order. The idempotency key, if any, covers the whole batch.
   */
  publishMany(inputs: readonly PublishInput[], options: BatchOptions = {}): Promise<PublishedBatch> {
    const limits = this.#options.limits;
    const events = toNewEvents(inputs, options, limits);
    return this.#storeMany(events, idempotencyRule(options.idempotencyKey, undefined, limits));
  }

  /**
   * Publishes a batch for an admitted publisher: every event valid and covered by its grant, and
   * the client's publish budget spent once per event (the admission spent the first).
   */
  publishManyAs(
    grant: Grant,
    client: string,
    inputs: readonly PublishInput[],
    options: BatchOptions = {},
  ): Promise<PublishedBatch> {
    const limits = this.#options.limits;
    const events = toNewEvents(inputs, options, limits, (event) => checkPublishGrant(grant, event));
    const rule = idempotencyRule(options.idempotencyKey, grant.subject, limits);
    this.#admission.spendMore('maxPublishesPerSecondPerClient', client, events.length - 1);
    return this.#storeMany(events, rule);
  }

  async #storeMany(events: readonly NewEvent[], rule: IdempotencyRule | undefined): Promise<PublishedBatch> {
    if (this.closing) throw new HeraldError('unavailable', 'the hub is shutting down');
    try {
      const marked = events.map((event) => this.#rule.marked(event));
      const stored = await this.#log.appendMany(marked, { idempotency: rule });
      return stored.replayed ? { ids: stored.ids, replayed: true } : { ids: stored.ids };
    } catch (error) {
      throw storeRefusal(error, 'the events');
    }
  }

  async #append(event: NewEvent, rule: IdempotencyRule | undefined): Promise<Published> {
    if (this.closing) throw new HeraldError('unavailable', 'the hub is shutting down');
    // The hub's own system topics are live snapshots, not history: they bypass the log (and go on
    // while the store is out), and are counted apart from the application's events.
    if (event.topics.every(isSystemTopic)) {
      this.counters.systemEventsPublished++;
      this.#fanOut.send(WireCache.transient(event));
      return { id: await this.#knownHead() };
    }
    return this.#store(event, rule);
  }

  /**
   * The newest id this hub knows of, without asking the store once known (a system snapshot must not
   * wait for, or fail with, the store); '' while the store has never answered.
   */
  async #knownHead(): Promise<string> {
    if (this.#head !== undefined) return this.#head;
    try {
      this.#head ??= await this.#log.head();
      return this.#head;
    } catch (error) {
      if (error instanceof LogUnavailableError) return '';
      throw error;
    }
  }

  /**
   * Appends to the log; nothing acknowledged when the store fails: the caller is told to retry, and
   * when the store may have taken the event all the same, that only a retry with the same
   * idempotency key is safe.
   */
  async #store(event: NewEvent, rule?: IdempotencyRule): Promise<Published> {
    try {
      const stored = await this.#log.append(this.#rule.marked(event), { idempotency: rule });
      return stored.replayed ? { id: stored.id, replayed: true } : { id: stored.id };
    } catch (error) {
      throw storeRefusal(error, 'the event');
    }
  }

  /**
   * The steps every operation from outside the process shares once its transport found the
   * credential: verification (key, source rules, revocation; failures on their own per-client
   * budget), then the operation's per-client budget. Resolves with the grant, undefined for an
   * anonymous caller where the operation takes one.
   */
  admit(
    operation: Operation,
    credential: Credential | undefined,
    client: string,
  ): Promise<Grant | undefined> {
    // A credential is checked against the revocations kept in the store, so they are read first.
    if (credential !== undefined && !this.#keptRevocations.known)
      return this.#keptRevocations.ready().then(() => this.#admission.admit(operation, credential, client));
    return this.#admission.admit(operation, credential, client);
  }

  /** Publishes for an admitted publisher: the event must be valid and covered by its grant. */
  async publishAs(grant: Grant, input: PublishInput): Promise<Published> {
    const limits = this.#options.limits;
    const event = toNewEvent(input, limits);
    const rule = idempotencyRule(input.idempotencyKey, grant.subject, limits);
    checkPublishGrant(grant, event);
    return this.#append(event, rule);
  }

  // ---- revoking

  /**
   * Revokes a subject's tokens issued until now, or one token by its id: this hub's matching
   * streams get `herald-reauth` and end at once, and the revocation goes through the log, so every
   * hub of a cluster ends its own and refuses those tokens from then on. Resolves with how many
   * streams this hub ended.
   */
  /** Revokes for an admitted caller: a publisher's grant (one that may publish somewhere) may. */
  revokeAs(grant: Grant, revocation: Revocation): Promise<{ ended: number }> {
    if (grant.publish.length === 0)
      throw new HeraldError(
        'forbidden',
        'the token may not revoke tokens: its herald.publish claim is empty',
      );
    return this.revoke(revocation);
  }

  async revoke(revocation: Revocation): Promise<{ ended: number }> {
    if (this.closing) throw new HeraldError('unavailable', 'the hub is shutting down');
    this.#revocations.checkRoom();
    const record: RevocationRecord = { ...revocation, at: Date.now() };
    // Applied here first, so this hub's streams end even while the store is out (a retry after a
    // 503 is harmless: applying again ends nothing more); kept in the store for hubs that start
    // later, and carried by the log to those running now.
    const ended = this.#applyRevocation(record);
    await this.#keptRevocations.keep(record);
    await this.#store({ topics: [REVOCATION_TOPIC], data: JSON.stringify(record), private: true });
    return { ended };
  }

  #applyRevocation(record: RevocationRecord): number {
    this.#revocations.add(record);
    const covered: Session[] = [];
    for (const session of this.#sessions)
      if (session.authenticated && revocationCovers(record, session)) covered.push(session);
    for (const session of covered) this.endWithReauth(session, reauthEvent('revoked', record.at));
    this.counters.revokedStreams += covered.length;
    return covered.length;
  }

  /** From another hub, through the log (or this one's own again: applying twice ends nothing more). */
  #onRevocation(event: StoredEvent): void {
    const record = parseRevocationRecord(event.data);
    if (record !== undefined) this.#applyRevocation(record);
  }

  #onEvent(event: StoredEvent): void {
    this.#head = event.id;
    if (event.topics[0] === REVOCATION_TOPIC) {
      this.#onRevocation(event);
      return;
    }
    this.counters.eventsPublished++;
    this.#fanOut.send(this.#wires.encode(event));
  }

  /** The log lost continuity: every live stream is told, and its resume point moves to the new head. */
  #onLogGap(lastId: string, head: string): void {
    // A store that restarted empty lost its kept revocations too: this hub still knows them.
    this.#keptRevocations.rewrite();
    this.#head = head;
    for (const session of this.#sessions) {
      if (!session.live) continue;
      // Ids start over after the gap: nothing from the new head on was replayed.
      session.forgetReplayEnd();
      this.#delivery.enqueue(session, gapEvent(lastId, STORE_GAP_REASON), false);
      this.#delivery.enqueue(session, resumeEvent(head), false);
    }
  }

  // ---- subscribing

  /** The subscribe operation for an admitted caller (see `admit`): a subscription, or shed. */
  admitSubscriber(request: SubscribeRequest): Admission {
    const admission = admitSubscriber(
      {
        limits: this.#options.limits,
        monitorAuth: this.#options.monitorAuth ?? false,
        selectors: this.#selectors,
        sessions: this.#sessions,
        closing: () => this.closing,
        jitteredRetry: () => this.jitteredRetry(),
      },
      request,
    );
    if (admission.kind === 'shed') this.counters.connectionsShed++;
    return admission;
  }

  /**
   * The history operation for an admitted caller (see `admit`): the newest events it may see under
   * the selectors, as a stream with its grant would receive them, oldest first.
   */
  history(grant: Grant | undefined, request: HistoryRequest): Promise<HistoryAnswer> {
    return readHistory(
      {
        limits: this.#options.limits,
        monitorAuth: this.#options.monitorAuth ?? false,
        selectors: this.#selectors,
        log: this.#log,
        rule: this.#rule,
      },
      grant,
      request,
    );
  }

  /** A single-use ticket carrying an admitted caller's grant (see `admit`). */
  issueTicket(grant: Grant): IssuedTicket {
    if (this.#options.tickets === undefined)
      throw new HeraldError('forbidden', 'no one may get tickets: this hub has no subscriber key', {
        advice: 'set-subscriber-key',
      });
    return this.#options.tickets.issue(grant);
  }

  /** Whether the monitor's figures need a credential (see `admitMonitorViewer`). */
  get monitorAuth(): boolean {
    return this.#options.monitorAuth ?? false;
  }

  /**
   * The monitor's figures (its history) for an admitted caller (see `admit`): anyone while the
   * monitor is public, else a grant that lists `$SYS/**`, as for subscribing to `$SYS/` topics.
   */
  checkMonitorViewer(grant: Grant | undefined): void {
    if (this.monitorAuth) checkMonitorGrant(grant);
  }

  /**
   * Starts an admitted subscriber's stream on `sink` (headers already sent). Returns at once; the
   * replay runs in the background and hands over to live delivery with no gap and no duplicate.
   */
  open(sink: Sink, subscription: Subscription, options: OpenOptions): Session {
    const session = new Session(sink, subscription, options.heartbeat, this.#delivery.beat);
    // Registered before the replay is read, so nothing published meanwhile is missed: it is held.
    this.#sessions.add(session);
    this.counters.connectionsOpened++;
    this.#handover
      .start(session, subscription.lastEventId)
      .catch(() => this.closeSession(session, 'destroy'));
    return session;
  }

  /** Forgets a session; `end` closes the response cleanly, `destroy` cuts it, `gone` means the client left. */
  closeSession(session: Session, how: 'end' | 'destroy' | 'gone'): void {
    if (session.closed) return;
    // What is queued (a shutdown's retry:, a long-poll's last events) goes out before the end.
    if (how === 'end') this.#delivery.writeNow(session);
    session.close();
    this.#sessions.delete(session);
    this.counters.connectionsClosed++;
    if (how === 'end') session.sink.end();
    else if (how === 'destroy') session.sink.destroy();
  }

  #everySecond(): void {
    this.#admission.newWindow();
    this.#replayBudget.tick();
    const now = Date.now();
    this.#options.tickets?.sweep(now);
    this.#revocations.sweep(now);
    for (const session of this.#sessions.expired(now)) this.#expire(session);
    this.#probeStore();
  }

  /** Asks the store whether it answers (one probe at a time): an idle hub notices outages too. */
  #probeStore(): void {
    if (this.#probing) return;
    this.#probing = true;
    this.#log.probe!()
      .catch(() => {}) // Reported to storeHealth by the watched log.
      .finally(() => {
        this.#probing = false;
      });
  }

  /** Ends a stream whose credential has expired (the sweep, or fan-out refusing it an event). */
  #expire(session: Session): void {
    this.counters.credentialExpiries++;
    this.endWithReauth(session, reauthEvent('expired', session.expiresAt!));
  }

  /**
   * Ends a stream whose credential no longer holds with `notice` (a `herald-reauth` event): the
   * page may fetch a fresh credential and reconnect; the old one is refused from now on.
   */
  endWithReauth(session: Session, notice: Buffer): void {
    if (session.closed) return;
    this.#delivery.enqueue(session, notice, false);
    this.closeSession(session, 'end');
  }

  /**
   * Stops the hub: every stream gets a jittered `retry:` and ends once what is queued for it is out
   * (so clients come back spread out, with nothing lost); streams still sending after the drain
   * timeout are cut. Then the log is closed.
   */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#untail();
    this.#keptRevocations.stop();
    clearInterval(this.#tick);
    clearInterval(this.#heartbeat);
    this.#delivery.flush();
    const sinks: Sink[] = [];
    for (const session of [...this.#sessions]) {
      this.#delivery.enqueue(session, retryBlock(this.jitteredRetry()), false);
      sinks.push(session.sink);
      this.closeSession(session, 'end');
    }
    const pending = new Set(sinks);
    const finished = Promise.all(sinks.map((sink) => sink.finished().then(() => pending.delete(sink))));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#options.drainTimeoutMs);
    });
    await Promise.race([finished, timeout]);
    clearTimeout(timer);
    for (const sink of pending) sink.destroy();
    await this.#log.close();
  }
}
