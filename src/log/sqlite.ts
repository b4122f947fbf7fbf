import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { BoundedPage } from './bounded-page.js';
import { EpochIds } from './epoch-ids.js';
import {
  type AppendedBatch,
  type AppendedEvent,
  type AppendOptions,
  type EventLog,
  HISTORY_SCAN_BUDGET,
  type HistoryPage,
  type IdempotencyRule,
  type KeptRecords,
  LogUnavailableError,
  type NewEvent,
  type ReadResult,
  type Retention,
  type StoredEvent,
  type StoreOpening,
  type TailListener,
} from './event-log.js';
import { retentionBounds, storedSize } from './retention.js';
import { sqliteKeptRecords } from './sqlite-kept-records.js';
import { reasonOf, StoreOpenError } from './store-errors.js';
import { replayedEvent, storedEvent } from './stored-event.js';

/**
 * How hard a commit waits for the disk (SQLite's `synchronous` pragma, in WAL mode).
 *
 * - `NORMAL` (the default): a commit appends the transaction to the write-ahead log through the
 *   operating system's page cache, without waiting for the disk; the log file is synced at each
 *   checkpoint. A crash of the process (`kill -9`, an uncaught exception, the OOM killer) loses
 *   nothing that was acknowledged: the operating system still writes it out. A power loss or a
 *   kernel crash can roll back the transactions committed since the last sync (at most the
 *   write-ahead log since the last checkpoint, about 1,000 pages, or a few thousand events); the
 *   file stays consistent, and ids are never issued twice (see `SqliteLog`).
 * - `FULL`: every commit syncs the write-ahead log before the append resolves, so an acknowledged
 *   event survives a power loss too (on a disk that honours fsync). It costs one fsync per
 *   transaction, shared by every append of one event-loop turn, and the fsync runs on the main
 *   thread (better-sqlite3 is synchronous): publishes pay its latency.
 */
export type SqliteSynchronous = 'NORMAL' | 'FULL';

export interface SqliteLogOptions extends Retention {
  /** The database file (relative paths resolve from the working directory); created if missing. */
  path: string;
  /** Default `NORMAL`; see SqliteSynchronous for what each level can cost. */
  synchronous?: SqliteSynchronous;
  /** Most rows one retention pass deletes in one event-loop turn (default 1,000). */
  trimBatch?: number;
  /** Most rows one readAfter examines before it answers `more` (default 5,000). */
  scanBudget?: number;
  /** How long opening waits for a lock held by another connection (default 500 ms). */
  lockTimeoutMs?: number;
}

/** How far the next id skips ahead after an unclean shutdown (more than a power loss can roll back). */
const UNCLEAN_SEQ_JUMP = 1_000_000_000;
const FORMAT = '1';
/** Rows one synchronous read takes at most; readAfter yields to the event loop between them. */
const READ_PAGE = 250;

interface Row {
  seq: number;
  time: number;
  topics: string;
  data: string;
  type: string | null;
  retry: number | null;
  private: number;
}

/** One append waiting for this turn's commit: a single event or a batch, all or nothing. */
interface Pending {
  events: readonly NewEvent[];
  rule: IdempotencyRule | undefined;
  resolve: (outcome: Outcome) => void;
  reject: (error: Error) => void;
}

/**
 * What one append of a committed turn came to: its new events (and their total size), or, for a
 * known key, where the first append with that key begins, how many events it had, and when.
 */
type Outcome =
  | { stored: StoredEvent[]; size: number }
  | { replayed: { seq: number; count: number; time: number } };

interface Committed {
  outcomes: Outcome[];
  lastSeq: number;
  keys: number;
}

/**
 * The durable embedded log: one SQLite file, written by one process.
 *
 * - Ids are `<epoch>-<seq>`. The epoch is drawn when the file is created, so an id from another
 *   file (or from the memory log) is unknown here and resumes with a gap. The sequence keeps
 *   increasing across restarts; after an unclean shutdown (the file was still marked open) it
 *   skips ahead by a billion, so ids a power loss rolled back are never issued again for other
 *   events.
 * - Appends of one event-loop turn share one transaction (group commit); each resolves once that
 *   transaction committed at the chosen `synchronous` level, then the tail reports them in order.
 * - Idempotency keys are rows of their own table (key, seq, time), written in the transaction of
 *   their event, so a key outlives a restart exactly when its event does.
 * - Retention (count, bytes, age) is applied after the commit, off the publish path, in batches of
 *   at most `trimBatch` rows per turn. The newest deleted sequence number is kept, so the id just
 *   before the oldest kept event is still a valid resume point and anything older is a gap.
 * - Replays are paged with a LIMIT on prepared statements; the filter runs in JavaScript, and one
 *   call examines at most `scanBudget` rows, so a long catch-up never blocks the event loop for
 *   long (the caller reads again after `cursor`).
 * - Not a cluster: the file is opened in exclusive locking mode, so a second process (a second
 *   `herald serve` on the same file) fails to open it with "locked by another process". Share
 *   history between hubs with the Redis log.
 */
export class SqliteLog implements EventLog {
  readonly path: string;
  readonly opening: StoreOpening;
  readonly #db: Database.Database;
  readonly kept: KeptRecords;
  readonly #ids: EpochIds;
  readonly #maxEvents: number;
  readonly #maxBytes: number;
  readonly #maxAgeMs: number;
  readonly #trimBatch: number;
  readonly #scanBudget: number;
  readonly #insert: Database.Statement;
  readonly #selectAfter: Database.Statement<[number, number], Row>;
  readonly #selectBefore: Database.Statement<[number, number], Row>;
  readonly #selectOldest: Database.Statement<[number, number], { seq: number; size: number; time: number }>;
  readonly #commitBatch: (batch: readonly Pending[], time: number) => Committed;
  readonly #deleteUpTo: (seq: number) => void;
  readonly #setMeta: Database.Statement;
  /** Newest committed sequence number (or the floor set at open when nothing came after it). */
  #lastSeq: number;
  /** Newest sequence number deleted by retention; resume points at or after it lose nothing. */
  #trimmedSeq: number;
  #count: number;
  #bytes: number;
  /** Rows of the idempotency table. */
  #keys: number;
  #pending: Pending[] = [];
  #flushScheduled = false;
  #trimScheduled = false;
  #ageTimer: NodeJS.Timeout | undefined;
  #listeners: TailListener[] = [];
  #closed = false;
  #commits = 0;
  /** The last commit failed (disk full, file gone): the probe writes to see whether it would now. */
  #failing = false;

  constructor(options: SqliteLogOptions) {
    this.path = resolve(options.path);
    ({
      maxEvents: this.#maxEvents,
      maxBytes: this.#maxBytes,
      maxAgeMs: this.#maxAgeMs,
    } = retentionBounds(options));
    this.#trimBatch = options.trimBatch ?? 1000;
    this.#scanBudget = options.scanBudget ?? 5000;
    const synchronous = options.synchronous ?? 'NORMAL';
    if (synchronous !== 'NORMAL' && synchronous !== 'FULL')
      throw new RangeError(`synchronous must be NORMAL or FULL, not ${String(synchronous)}`);

    const where = `SQLite log ${this.path}`;
    const folder = dirname(this.path);
    const created = !existsSync(this.path);
    let createdFolders: string[];
    try {
      createdFolders = ensureFolder(folder);
    } catch (error) {
      throw new StoreOpenError(`${where}: cannot create its folder ${folder} (${reasonOf(error)})`, {
        cause: error,
      });
    }
    let db: Database.Database;
    try {
      db = new Database(this.path, { timeout: options.lockTimeoutMs ?? 500 });
    } catch (error) {
      throw new StoreOpenError(`${where}: ${openFailure(error, this.path)}`, { cause: error });
    }
    this.#db = db;
    try {
      // Exclusive locking before WAL: the lock is held for the connection's life (a second process
      // cannot open the file) and the WAL index lives in this process's memory (no -shm file).
      db.pragma('locking_mode = EXCLUSIVE');
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`cannot switch to WAL mode (journal mode is ${String(mode)})`);
      // The open marker must be on disk before any id is issued, whatever the level afterwards.
      db.pragma('synchronous = FULL');
      const opened = db.transaction(() => this.#prepareSchema())();
      db.pragma(`synchronous = ${synchronous}`);
      this.#ids = new EpochIds(opened.epoch);
      this.#lastSeq = opened.floor;
      this.#trimmedSeq = opened.trimmed;
      const totals = db.prepare('SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM events').get() as {
        n: number;
        b: number;
      };
      this.#count = totals.n;
      this.#bytes = totals.b;
      this.opening = { created, events: totals.n, createdFolders };
      this.#keys = (db.prepare('SELECT count(*) AS n FROM idempotency').get() as { n: number }).n;
      this.#insert = db.prepare(
        'INSERT INTO events (seq, time, topics, data, type, retry, private, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      );
      this.#selectAfter = db.prepare<[number, number], Row>(
        'SELECT seq, time, topics, data, type, retry, private FROM events WHERE seq > ? ORDER BY seq LIMIT ?',
      );
      this.#selectBefore = db.prepare<[number, number], Row>(
        'SELECT seq, time, topics, data, type, retry, private FROM events WHERE seq < ? ORDER BY seq DESC LIMIT ?',
      );
      this.#selectOldest = db.prepare<[number, number], { seq: number; size: number; time: number }>(
        'SELECT seq, size, time FROM events WHERE seq > ? ORDER BY seq LIMIT ?',
      );
      const deleteRows = db.prepare('DELETE FROM events WHERE seq <= ?');
      const setMeta = db.prepare('INSERT OR REPLACE INTO herald_meta (key, value) VALUES (?, ?)');
      this.#setMeta = setMeta;
      const selectKey = db.prepare<[string], { seq: number; count: number; time: number }>(
        'SELECT seq, count, time FROM idempotency WHERE key = ?',
      );
      const insertKey = db.prepare('INSERT INTO idempotency (key, seq, count, time) VALUES (?, ?, ?, ?)');
      const expireKeys = db.prepare('DELETE FROM idempotency WHERE time < ?');
      const dropOldestKeys = db.prepare(
        'DELETE FROM idempotency WHERE key IN (SELECT key FROM idempotency ORDER BY time LIMIT ?)',
      );
      this.#commitBatch = db.transaction((batch: readonly Pending[], time: number): Committed => {
        let seq = this.#lastSeq;
        let keys = this.#keys;
        const outcomes: Outcome[] = [];
        for (const { events, rule } of batch) {
          if (rule) {
            keys -= expireKeys.run(time - rule.windowMs).changes;
            const known = selectKey.get(rule.key);
            if (known) {
              outcomes.push({ replayed: known });
              continue;
            }
          }
          // One append's events take consecutive sequence numbers: nothing else runs in between.
          const first = seq + 1;
          const stored: StoredEvent[] = [];
          let size = 0;
          for (const event of events) {
            const kept: StoredEvent = storedEvent(event, this.#ids.id(++seq), time);
            const keptSize = storedSize(kept);
            this.#insert.run(
              seq,
              time,
              JSON.stringify(kept.topics),
              kept.data,
              kept.type ?? null,
              kept.retry ?? null,
              kept.private ? 1 : 0,
              keptSize,
            );
            stored.push(kept);
            size += keptSize;
          }
          if (rule) {
            insertKey.run(rule.key, first, events.length, time);
            if (++keys > rule.maxKeys) keys -= dropOldestKeys.run(keys - rule.maxKeys).changes;
          }
          outcomes.push({ stored, size });
        }
        return { outcomes, lastSeq: seq, keys };
      });
      this.#deleteUpTo = db.transaction((seq: number) => {
        deleteRows.run(seq);
        setMeta.run('trimmed', String(seq));
      });
      this.kept = sqliteKeptRecords(db, () => this.#closed);
    } catch (error) {
      db.close();
      throw error instanceof StoreOpenError
        ? error
        : new StoreOpenError(`${where}: ${openFailure(error, this.path)}`, { cause: error });
    }
    if (this.#maxAgeMs !== Number.POSITIVE_INFINITY) {
      const every = Math.max(10, Math.min(1000, this.#maxAgeMs / 4));
      this.#ageTimer = setInterval(() => this.#scheduleTrim(true), every).unref();
    }
    this.#scheduleTrim();
  }

  /** Creates or checks the tables, marks the file open; runs inside the opening transaction. */
  #prepareSchema(): { epoch: string; floor: number; trimmed: number } {
    const db = this.#db;
    const tables = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
        (t) => t.name,
      ),
    );
    if (!tables.has('herald_meta')) {
      const foreign = [...tables].filter((t) => t !== 'sqlite_sequence');
      if (foreign.length > 0)
        throw new StoreOpenError(
          `SQLite log ${this.path}: not a Herald log (it holds other tables: ${foreign.slice(0, 3).join(', ')})`,
        );
      db.exec(`
        CREATE TABLE herald_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE events (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          time INTEGER NOT NULL,
          topics TEXT NOT NULL,
          data TEXT NOT NULL,
          type TEXT,
          retry INTEGER,
          private INTEGER NOT NULL,
          size INTEGER NOT NULL
        );`);
      const insert = db.prepare('INSERT INTO herald_meta (key, value) VALUES (?, ?)');
      insert.run('format', FORMAT);
      insert.run('epoch', EpochIds.newEpoch(3));
    }
    const meta = new Map(
      (db.prepare('SELECT key, value FROM herald_meta').all() as { key: string; value: string }[]).map(
        (r) => [r.key, r.value],
      ),
    );
    if (meta.get('format') !== FORMAT || !meta.get('epoch'))
      throw new StoreOpenError(
        `SQLite log ${this.path}: unknown Herald log format ${JSON.stringify(meta.get('format') ?? null)}`,
      );
    // Files made before idempotent appends get the table on their first open since.
    db.exec(`
      CREATE TABLE IF NOT EXISTS idempotency (
        key TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        time INTEGER NOT NULL,
        count INTEGER NOT NULL DEFAULT 1
      );
      CREATE INDEX IF NOT EXISTS idempotency_time ON idempotency (time);`);
    // Files made before batch appends get the count of events a key covers (1 for every old key).
    const keyColumns = db.prepare('PRAGMA table_info(idempotency)').all() as { name: string }[];
    if (!keyColumns.some((c) => c.name === 'count'))
      db.exec('ALTER TABLE idempotency ADD COLUMN count INTEGER NOT NULL DEFAULT 1');
    const sequence = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get() as
      | { seq: number }
      | undefined;
    let floor = Math.max(sequence?.seq ?? 0, Number(meta.get('floor') ?? 0));
    if (meta.get('open') === '1') floor += UNCLEAN_SEQ_JUMP;
    const set = db.prepare('INSERT OR REPLACE INTO herald_meta (key, value) VALUES (?, ?)');
    set.run('floor', String(floor));
    set.run('open', '1');
    return { epoch: meta.get('epoch')!, floor, trimmed: Number(meta.get('trimmed') ?? 0) };
  }

  append(event: NewEvent, options: AppendOptions = {}): Promise<AppendedEvent> {
    return new Promise((resolve, reject) =>
      this.#enqueue([event], options, reject, (outcome) =>
        resolve(
          'stored' in outcome
            ? outcome.stored[0]!
            : replayedEvent(event, this.#ids.id(outcome.replayed.seq), outcome.replayed.time),
        ),
      ),
    );
  }

  appendMany(events: readonly NewEvent[], options: AppendOptions = {}): Promise<AppendedBatch> {
    return new Promise((resolve, reject) =>
      this.#enqueue(events, options, reject, (outcome) => {
        if ('stored' in outcome) return resolve({ ids: outcome.stored.map((e) => e.id) });
        const { seq, count } = outcome.replayed;
        const ids = Array.from({ length: count }, (_, i) => this.#ids.id(seq + i));
        resolve({ ids, replayed: true });
      }),
    );
  }

  /** Queues an append for this turn's commit. */
  #enqueue(
    events: readonly NewEvent[],
    options: AppendOptions,
    reject: (error: Error) => void,
    resolve: (outcome: Outcome) => void,
  ): void {
    if (this.#closed) {
      reject(new Error('the log is closed'));
      return;
    }
    this.#pending.push({ events, rule: options.idempotency, resolve, reject });
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  /** Commits every append of this turn in one transaction, then acknowledges and tails them. */
  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    let committed: Committed;
    try {
      committed = this.#commitBatch(batch, Date.now());
      this.#failing = false;
    } catch (error) {
      this.#failing = true;
      const failure = new LogUnavailableError(
        `the SQLite log could not store the event: ${reasonOf(error)}`,
        {
          cause: error,
        },
      );
      for (const p of batch) p.reject(failure);
      return;
    }
    this.#commits++;
    this.#lastSeq = committed.lastSeq;
    this.#keys = committed.keys;
    const events: StoredEvent[] = [];
    for (const outcome of committed.outcomes)
      if ('stored' in outcome) {
        for (const event of outcome.stored) events.push(event);
        this.#count += outcome.stored.length;
        this.#bytes += outcome.size;
      }
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(committed.outcomes[i]!);
    const listeners = this.#listeners;
    for (const event of events)
      for (const listener of listeners) {
        try {
          listener.event(event);
        } catch (error) {
          // A listener's bug must not stop the others or the log's bookkeeping; it still surfaces.
          process.nextTick(() => {
            throw error;
          });
        }
      }
    this.#scheduleTrim();
  }

  #overLimits(): boolean {
    return this.#count > this.#maxEvents || this.#bytes > this.#maxBytes;
  }

  /** Runs a retention pass in a later turn, when a bound is exceeded (or when the age tick asks). */
  #scheduleTrim(ageDue = false): void {
    if (this.#trimScheduled || this.#closed || this.#count === 0) return;
    if (!ageDue && !this.#overLimits()) return;
    this.#trimScheduled = true;
    setImmediate(() => this.#trim(ageDue));
  }

  /** One bounded retention pass: deletes at most `trimBatch` of the oldest rows that are over a bound. */
  #trim(ageDue: boolean): void {
    this.#trimScheduled = false;
    if (this.#closed) return;
    const oldestAllowed = Date.now() - this.#maxAgeMs;
    // Enough rows for the count bound; the byte and age bounds are checked row by row.
    const wanted = Math.min(this.#trimBatch, Math.max(64, this.#count - this.#maxEvents));
    const rows = this.#selectOldest.all(this.#trimmedSeq, wanted);
    let count = this.#count;
    let bytes = this.#bytes;
    let upTo: number | undefined;
    for (const row of rows) {
      if (count <= this.#maxEvents && bytes <= this.#maxBytes && row.time >= oldestAllowed) break;
      count--;
      bytes -= row.size;
      upTo = row.seq;
    }
    if (upTo === undefined) return;
    try {
      this.#deleteUpTo(upTo);
    } catch {
      return; // Tried again after the next commit (or age tick).
    }
    this.#trimmedSeq = upTo;
    this.#count = count;
    this.#bytes = bytes;
    // The whole chunk went: there may be more to delete, in the next turn.
    if (upTo === rows.at(-1)!.seq) this.#scheduleTrim(ageDue);
  }

  async readAfter(
    afterId: string,
    filter: (event: StoredEvent) => boolean,
    limit: number,
    maxBytes = Number.POSITIVE_INFINITY,
  ): Promise<ReadResult> {
    // Reads are synchronous: let the event loop run before each slice of rows, so that a reader
    // paging through a long history leaves room for everyone else's appends and live events.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.#closed) throw new Error('the log is closed');
    const seq = this.#ids.seqOf(afterId);
    // Unknown, from the future, or older than what retention kept: say so and replay what is kept.
    let gap = seq === undefined || seq > this.#lastSeq || seq < this.#trimmedSeq;
    let examined: number = gap || seq === undefined ? this.#trimmedSeq : seq;
    const page = new BoundedPage(filter, limit, maxBytes);
    let budget = this.#scanBudget;
    let atEnd = false;
    scan: while (budget > 0 && limit > 0) {
      if (budget < this.#scanBudget) {
        await new Promise((resolve) => setImmediate(resolve));
        if (this.#closed) throw new Error('the log is closed');
        // Retention ran meanwhile and removed rows this read had not reached: say so.
        if (this.#trimmedSeq > examined) {
          gap = true;
          examined = this.#trimmedSeq;
        }
      }
      const want = Math.min(READ_PAGE, budget, this.#rowsIn(page.room));
      const rows = this.#selectAfter.all(examined, want);
      budget -= rows.length;
      for (const row of rows) {
        if (!page.offer(this.#toEvent(row))) break scan;
        examined = row.seq;
        if (page.full) break scan;
      }
      if (rows.length < want) {
        atEnd = true;
        break;
      }
    }
    // At the end, the cursor is the head (the floor after a restart may be past the last row).
    if (atEnd || examined >= this.#lastSeq) examined = this.#lastSeq;
    return { events: page.events, gap, more: examined < this.#lastSeq, cursor: this.#ids.id(examined) };
  }

  async readBefore(
    beforeId: string | undefined,
    filter: (event: StoredEvent) => boolean,
    limit: number,
    maxBytes = Number.POSITIVE_INFINITY,
  ): Promise<HistoryPage> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.#closed) throw new Error('the log is closed');
    const seq = beforeId === undefined ? this.#lastSeq + 1 : this.#ids.seqOf(beforeId);
    if (seq === undefined) return { events: [], more: false, cursor: beforeId!, foreign: true };
    // The oldest sequence number examined so far: rows below it are still to read.
    let examined = Math.min(seq, this.#lastSeq + 1);
    const page = new BoundedPage(filter, limit, maxBytes);
    let budget = HISTORY_SCAN_BUDGET;
    scan: while (budget > 0 && !page.full) {
      if (budget < HISTORY_SCAN_BUDGET) {
        await new Promise((resolve) => setImmediate(resolve));
        if (this.#closed) throw new Error('the log is closed');
      }
      const want = Math.min(READ_PAGE, budget, this.#rowsIn(page.room));
      const rows = this.#selectBefore.all(examined, want);
      budget -= rows.length;
      for (const row of rows) {
        if (!page.offer(this.#toEvent(row))) break scan;
        examined = row.seq;
        if (page.full) break scan;
      }
      if (rows.length < want) break;
    }
    return {
      events: page.events.reverse(),
      more: this.#selectBefore.all(examined, 1).length > 0,
      cursor: this.#ids.id(examined),
      foreign: false,
    };
  }

  /**
   * Rows that hold about `bytes` of data, by the average stored size (one more, to pass the bound):
   * a page of large events reads few rows, not a slice of rows it then drops.
   */
  #rowsIn(bytes: number): number {
    if (bytes === Number.POSITIVE_INFINITY || this.#count === 0) return READ_PAGE;
    return Math.max(1, Math.ceil(bytes / (this.#bytes / this.#count))) + 1;
  }

  #toEvent(row: Row): StoredEvent {
    return {
      id: this.#ids.id(row.seq),
      topics: JSON.parse(row.topics) as string[],
      data: row.data,
      type: row.type ?? undefined,
      retry: row.retry ?? undefined,
      private: row.private === 1,
      time: row.time,
    };
  }

  /** Append transactions committed by this instance (one per event-loop turn with appends). */
  get commits(): number {
    return this.#commits;
  }

  async head(): Promise<string> {
    return this.#ids.id(this.#lastSeq);
  }

  /**
   * Nothing to ask while commits succeed (the file is this process's alone); after a failed one, a
   * small write says whether the next would succeed.
   */
  async probe(): Promise<void> {
    if (!this.#failing || this.#closed) return;
    try {
      this.#setMeta.run('probe', String(Date.now()));
      this.#failing = false;
    } catch (error) {
      throw new LogUnavailableError(`the SQLite log cannot write: ${reasonOf(error)}`, { cause: error });
    }
  }

  compareIds(a: string, b: string): number {
    return this.#ids.compare(a, b);
  }

  tail(listener: TailListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  size(): { events: number; bytes: number } {
    return { events: this.#count, bytes: this.#bytes };
  }

  /** Commits what is pending, marks the file cleanly closed and releases it (and its lock). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    this.#listeners = [];
    if (this.#ageTimer) clearInterval(this.#ageTimer);
    try {
      this.#db.prepare("INSERT OR REPLACE INTO herald_meta (key, value) VALUES ('open', '0')").run();
    } finally {
      this.#db.close();
    }
  }
}

/**
 * Creates a folder and its missing parents, one level at a time, and returns those it made,
 * outermost first: `mkdirSync(recursive)` spins forever on some pseudo file systems (a path under
 * /proc), where this fails with ENOENT.
 */
function ensureFolder(folder: string): string[] {
  const missing: string[] = [];
  let dir = folder;
  while (!existsSync(dir) && dirname(dir) !== dir) {
    missing.push(dir);
    dir = dirname(dir);
  }
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder`);
  for (const path of missing.reverse()) mkdirSync(path);
  return missing;
}

/**
 * Why the file cannot be written, when it or its folder is read-only (permissions, a read-only
 * mount): SQLite then reports only a lock's "disk I/O error" (exclusive WAL mode), which says nothing
 * useful.
 */
function readOnlyReason(path: string): string | undefined {
  for (const [what, target] of [
    ['the file', path],
    ['its folder', dirname(path)],
  ] as const) {
    if (!existsSync(target)) continue;
    try {
      accessSync(target, constants.W_OK);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const why = code === 'EROFS' ? 'on a read-only file system' : 'not writable by this user';
      return `${what} ${target} is read-only (${why}): herald writes the file and, beside it, its write-ahead log (-wal); make both writable for the user herald runs as, or give --store a path on a writable disk`;
    }
  }
  return undefined;
}

/** A one-line reason for a failure to open or prepare the file at `path`. */
function openFailure(error: unknown, path: string): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^SQLITE_(IOERR|READONLY|CANTOPEN|PERM)/.test(code)) {
    const readOnly = readOnlyReason(path);
    if (readOnly !== undefined) return readOnly;
  }
  switch (code) {
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return 'the database is locked by another process (another herald on the same file?)';
    case 'SQLITE_NOTADB':
    case 'SQLITE_CORRUPT':
      return 'not a SQLite database, or corrupt';
    case 'SQLITE_CANTOPEN':
      return 'cannot open the file (is its folder writable?)';
    case 'SQLITE_READONLY':
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
      return 'the file is read-only';
    case 'SQLITE_FULL':
      return 'the disk is full';
    default:
      return reasonOf(error);
  }
}
