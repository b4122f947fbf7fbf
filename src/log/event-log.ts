/** What a publisher hands to the log: everything but the id, which the log assigns. */
export interface NewEvent {
  /** One or more topics (`/`-separated paths). */
  readonly topics: readonly string[];
  readonly data: string;
  readonly type?: string;
  readonly retry?: number;
  /** Private events reach only subscribers authorized for one of their topics. */
  readonly private: boolean;
  /**
   * Delivered live but not kept for replay, and written without `id:` so that it never moves a
   * client's resume point. The hub marks its own `$SYS/` snapshots so: they would otherwise crowd
   * the publishers' events out of a bounded history.
   */
  readonly transient?: boolean;
}

/** An event once stored: it has its id and its wire bytes, encoded once for every socket. */
export interface StoredEvent extends NewEvent {
  /** Opaque, strictly increasing in log order. A transient event has the id of the event before it. */
  readonly id: string;
  /** The event as event-stream bytes, `id:` included. Written unchanged to every subscriber. */
  readonly wire: Buffer;
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

export type TailListener = (event: StoredEvent) => void;

/**
 * The event log every event goes through, in every mode: it assigns ids, keeps history for
 * replay, and feeds the hub's fan-out through its tail. Memory, SQLite and Redis implement it.
 */
export interface EventLog {
  /** Stores the event and resolves once it is stored; the tail delivers it to listeners in log order. */
  append(event: NewEvent): Promise<StoredEvent>;
  /** Events after `afterId` (exclusive) that pass `filter`, oldest first. */
  readAfter(afterId: string, filter: (event: StoredEvent) => boolean, limit: number): Promise<ReadResult>;
  /** Id of the newest event, or the log's starting id when it is empty. */
  head(): Promise<string>;
  /** Orders two ids of this log: negative, zero or positive, like a sort comparator. */
  compareIds(a: string, b: string): number;
  /** Calls `listener` with every event appended from now on, in log order. Returns an unsubscribe function. */
  tail(listener: TailListener): () => void;
  /** Retained history, for stats. */
  size(): { events: number; bytes: number };
  /** Flushes and releases resources. */
  close(): Promise<void>;
}
