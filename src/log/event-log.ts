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

/**
 * How an append is made idempotent: the first append with `key` within `windowMs` stores its event;
 * later ones store nothing and resolve with the first event's id and time. A log remembers at most
 * `maxKeys` keys (the oldest are forgotten first) and forgets each `windowMs` after it was first used.
 */
export interface IdempotencyRule {
  /** Opaque to the log (the hub scopes and bounds it). */
  readonly key: string;
  readonly windowMs: number;
  readonly maxKeys: number;
}

export interface AppendOptions {
  /** Decided atomically with the append, on every instance sharing the log, across restarts of a durable one. */
  readonly idempotency?: IdempotencyRule;
}

/**
 * What an append resolves with: the stored event; for an idempotent append whose key was known,
 * the first event's id and time with the fields given (the log does not compare them), and
 * `replayed`.
 */
export interface AppendedEvent extends StoredEvent {
  /** Present (true) when nothing was appended: the key named an event stored before. */
  readonly replayed?: true;
}

/**
 * What a batch append resolves with: the new events' ids, in the order given (consecutive in the
 * log); for an idempotent batch whose key was known, the ids of the first append with that key
 * (one id when that was a single append), and `replayed`.
 */
export interface AppendedBatch {
  readonly ids: readonly string[];
  /** Present (true) when nothing was appended: the key named an earlier append. */
  readonly replayed?: true;
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

/** The answer to a history request: the newest matching events before a point. */
export interface HistoryPage {
  /** Matching events before the point, the newest `limit` of them, answered oldest first. */
  readonly events: StoredEvent[];
  /**
   * True when older events were left unexamined (`limit`, `maxBytes` or the store's scan budget cut
   * the read short): read again before `cursor`.
   */
  readonly more: boolean;
  /** Id of the oldest event examined (the point itself when none was): where the next read stops. */
  readonly cursor: string;
  /** True when the point is no id of this log (malformed, or of another epoch): nothing was read. */
  readonly foreign: boolean;
}

/** Most events one readBefore examines, matching or not, before it answers `more`. */
export const HISTORY_SCAN_BUDGET = 5000;

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
  /**
   * True when the request reached the store but no answer came in time (a stalled server): an
   * append may still be stored afterwards, so the caller cannot tell whether it was.
   */
  readonly outcomeUnknown: boolean;

  constructor(message: string, options?: { cause?: unknown; outcomeUnknown?: boolean }) {
    super(message, { cause: options?.cause });
    this.name = 'LogUnavailableError';
    this.outcomeUnknown = options?.outcomeUnknown ?? false;
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
 * Records kept beside the log for a time of their own, whatever its retention trims: the hub keeps
 * its revocations there, so a hub that restarts or joins a cluster still refuses revoked tokens.
 * Bounded by what the hub keeps (it writes at most its revocation limit of them).
 */
export interface KeptRecords {
  /** Keeps `value` under `key` until `until` (ms since the Unix epoch); the same key replaces it. */
  keep(key: string, value: string, until: number): Promise<void>;
  /** Every record whose time has not come, by key (expired ones are dropped on the way). */
  all(): Promise<Map<string, string>>;
}

/**
 * The event log every event goes through, in every mode: it assigns ids, keeps history for
 * replay, and feeds the hub's fan-out through its tail. Memory, SQLite and Redis implement it, and
 * `test/log/conformance.ts` holds each of them to the same rules.
 */
/** What a store held when it was opened. */
export interface StoreOpening {
  /** Opening made it: nothing was there before. */
  created: boolean;
  /** Events it held (retained history). */
  events: number;
  /** Folders opening had to make for it (SQLite), outermost first. */
  createdFolders?: string[];
}

export interface EventLog {
  /**
   * Stores the event; resolves once it is durable at the store's level (the publish is then
   * acknowledged). Rejects with LogUnavailableError when the store cannot take it now. The tail
   * delivers the event to listeners in log order, before or after this resolves. With
   * `idempotency`, a key already known stores nothing (nothing is tailed) and resolves `replayed`
   * with the first event's id: so a caller that retries after a timed-out append, with the same
   * key, never stores the event twice.
   */
  append(event: NewEvent, options?: AppendOptions): Promise<AppendedEvent>;
  /**
   * Stores every event of `events` or none (one transaction, one script): they get consecutive
   * positions, with no other append between them, and the tail reports them in order. Resolves
   * and rejects as `append` does; with `idempotency`, the key covers the whole batch (a known key
   * stores nothing and resolves `replayed` with the first append's ids).
   */
  appendMany(events: readonly NewEvent[], options?: AppendOptions): Promise<AppendedBatch>;
  /**
   * Events after `afterId` (exclusive) that pass `filter`, oldest first: at most `limit` of them,
   * and no more than `maxBytes` of `data` (UTF-16 code units) unless the first alone is larger, so
   * that a page of large events stays small (the rest comes with `more`).
   */
  readAfter(
    afterId: string,
    filter: (event: StoredEvent) => boolean,
    limit: number,
    maxBytes?: number,
  ): Promise<ReadResult>;
  /**
   * History: events before `beforeId` (exclusive; undefined: the newest) that pass `filter`, the
   * newest `limit` of them, oldest first, and no more than `maxBytes` of `data` (UTF-16 code units)
   * unless the newest alone is larger. One call examines at most HISTORY_SCAN_BUDGET events, so a
   * filter that passes few of them costs a bounded read and an answer with `more`.
   */
  readBefore(
    beforeId: string | undefined,
    filter: (event: StoredEvent) => boolean,
    limit: number,
    maxBytes?: number,
  ): Promise<HistoryPage>;
  /** Id of the newest event, or the log's starting id when it is empty. */
  head(): Promise<string>;
  /** Orders two ids of this log: negative, zero or positive, like a sort comparator. */
  compareIds(a: string, b: string): number;
  /** Reports every event appended from now on, in log order. Returns an unsubscribe function. */
  tail(listener: TailListener): () => void;
  /** Retained history, for stats (may be an estimate for a shared store). */
  size(): { events: number; bytes: number };
  /**
   * What opening the store found, for the start-up log: whether it was made new (a new SQLite file,
   * a Redis stream that did not exist) and how many events it held. Absent: one process's memory.
   */
  readonly opening?: StoreOpening;
  /** Records that outlive retention (see KeptRecords); a log of one process's memory may have none. */
  readonly kept?: KeptRecords;
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
