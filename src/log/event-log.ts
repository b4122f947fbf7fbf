/** What a publisher hands to the log: everything but the id and time, which the log assigns. */
export interface NewEvent {
  /** One or more topics (`/`-separated paths). */
  readonly topics: readonly string[];
  readonly data: string;
  readonly type?: string;
  readonly retry?: number;
  /** Private events reach only subscribers authorized for one of their topics. */
  readonly private: boolean;
}

/** An event once stored. The log keeps events, not wire bytes: the hub encodes each event once. */
export interface StoredEvent extends NewEvent {
  /** Opaque, strictly increasing in log order (across every hub sharing the log). */
  readonly id: string;
  /** When the log stored it (ms since the Unix epoch); retention by age uses it. */
  readonly time: number;
}

/** The answer to a replay request. */
export interface ReadResult {
  /** Matching events after the resume point, oldest first, at most `limit` of them. */
  readonly events: StoredEvent[];
  /** True when the resume point is unknown or older than the retained history: events may be missing. */
  readonly gap: boolean;
  /** True when `limit` cut the answer short: read again after `cursor`. */
  readonly more: boolean;
  /** Id of the last event examined (matching or not); where the next read starts. */
  readonly cursor: string;
}

/** What the tail reports, in log order. */
export interface TailListener {
  /** An event appended by anyone sharing the log (this process included). */
  event(event: StoredEvent): void;
  /**
   * The log lost continuity: events after `lastId` may never be delivered (a shared store restarted
   * empty, or went back in time). Delivery goes on from `head`; subscribers must be told.
   */
  gap?(lastId: string, head: string): void;
}

/** Retention every log applies (each bound optional; the oldest events go first). */
export interface Retention {
  /** Most events kept for replay. */
  maxEvents?: number;
  /** Most bytes kept for replay (counted as the log stores them). */
  maxBytes?: number;
  /** Events older than this (ms) are dropped. */
  maxAgeMs?: number;
}

/**
 * The store could not take or serve the request now (unreachable, timed out, locked). The hub turns
 * it into a "try again later" refusal; nothing was acknowledged.
 */
export class LogUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LogUnavailableError';
  }
}

/**
 * A shared notice board beside a shared log (Redis): each hub of a cluster keeps a record there
 * that expires unless renewed, so the others see who is up (presence, the monitor's cluster view).
 * Logs that only one process uses have none.
 */
export interface ClusterBoard {
  /** Writes (or renews) this hub's record; it disappears `ttlMs` after the last write. */
  write(hubId: string, record: string, ttlMs: number): Promise<void>;
  /** Every hub's live record, by hub id (this hub's included). */
  read(): Promise<Map<string, string>>;
  /** Removes this hub's record at once (a clean shutdown). */
  remove(hubId: string): Promise<void>;
}

/**
 * The event log every event goes through, in every mode: it assigns ids, keeps history for
 * replay, and feeds the hub's fan-out through its tail. Memory, SQLite and Redis implement it, and
 * `test/log/conformance.ts` holds each of them to the same rules.
 */
export interface EventLog {
  /**
   * Stores the event; resolves once it is durable at the store's level (the publish is then
   * acknowledged). Rejects with LogUnavailableError when the store cannot take it now. The tail
   * delivers the event to listeners in log order, before or after this resolves.
   */
  append(event: NewEvent): Promise<StoredEvent>;
  /** Events after `afterId` (exclusive) that pass `filter`, oldest first. */
  readAfter(afterId: string, filter: (event: StoredEvent) => boolean, limit: number): Promise<ReadResult>;
  /** Id of the newest event, or the log's starting id when it is empty. */
  head(): Promise<string>;
  /** Orders two ids of this log: negative, zero or positive, like a sort comparator. */
  compareIds(a: string, b: string): number;
  /** Reports every event appended from now on, in log order. Returns an unsubscribe function. */
  tail(listener: TailListener): () => void;
  /** Retained history, for stats (may be an estimate for a shared store). */
  size(): { events: number; bytes: number };
  /** The cluster's board, for a log that hubs share (Redis); undefined for one process's log. */
  readonly board?: ClusterBoard;
  /**
   * Checks, cheaply, that the store would take a request now; rejects with LogUnavailableError
   * when it would not. The hub calls it about once a second, so that an idle hub notices an outage
   * and its end. Absent: the store cannot fail (memory).
   */
  probe?(): Promise<void>;
  /** Flushes and releases resources; pending appends settle first. */
  close(): Promise<void>;
}
