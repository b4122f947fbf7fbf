/** Every bound the hub enforces, in one place, with its default. */
export interface Limits {
  /** Open event streams at once; past it, new subscribers are shed. */
  maxConnections: number;
  /** Open event streams from one client address. */
  maxConnectionsPerClient: number;
  /** `topic=` parameters in one subscription. */
  maxTopicsPerSubscription: number;
  /** Topics one event may be published to. */
  maxTopicsPerEvent: number;
  /** Bytes of `data` in one event (UTF-8). */
  maxEventBytes: number;
  /** Bytes of one publish request body. */
  maxPublishBodyBytes: number;
  /** Events in one batch publish (`publishMany`, an NDJSON body). */
  maxEventsPerBatch: number;
  /** Bytes of one batch publish request body (NDJSON); each event keeps its own `maxEventBytes`. */
  maxPublishBatchBytes: number;
  /**
   * Authenticated published events per second from one client address (a batch spends one per
   * event, so that batching is no way around it; other publisher requests one each).
   */
  maxPublishesPerSecondPerClient: number;
  /**
   * Publish attempts with a missing or bad credential per second from one client address; counted
   * apart, so that an anonymous flood never spends a real publisher's budget.
   */
  maxAuthFailuresPerSecondPerClient: number;
  /**
   * `POST /tickets` requests per second from one client address, counted before the token is
   * verified (so a flood of bad tokens is bounded too).
   */
  maxTicketsPerSecondPerClient: number;
  /**
   * History reads (`GET /history`) per second from one client address: each one makes the store
   * examine up to a few thousand events.
   */
  maxHistoryReadsPerSecondPerClient: number;
  /** Unsent bytes a subscriber may fall behind before it is disconnected (it resumes from history). */
  maxUnsentBytesPerSession: number;
  /**
   * Bytes of replay the hub has in memory at once, across every reconnecting subscriber (pages read
   * and not yet taken by their sockets): a reconnect storm costs time, not memory.
   */
  maxReplayBytes: number;
  /** How long a publish's idempotency key answers its first event's id (ms). */
  idempotencyWindowMs: number;
  /** Idempotency keys remembered at once (the oldest are forgotten first). */
  maxIdempotencyKeys: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxConnections: 50_000,
  maxConnectionsPerClient: 1_000,
  maxTopicsPerSubscription: 32,
  maxTopicsPerEvent: 16,
  maxEventBytes: 256 * 1024,
  maxPublishBodyBytes: 1024 * 1024,
  maxEventsPerBatch: 1_000,
  maxPublishBatchBytes: 8 * 1024 * 1024,
  maxPublishesPerSecondPerClient: 2_000,
  maxAuthFailuresPerSecondPerClient: 50,
  maxTicketsPerSecondPerClient: 50,
  maxHistoryReadsPerSecondPerClient: 50,
  maxUnsentBytesPerSession: 1024 * 1024,
  maxReplayBytes: 64 * 1024 * 1024,
  idempotencyWindowMs: 5 * 60 * 1000,
  maxIdempotencyKeys: 100_000,
};
