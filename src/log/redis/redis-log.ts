import { BoundedPage } from '../bounded-page.js';
import {
  type AppendedBatch,
  type AppendedEvent,
  type AppendOptions,
  type ClusterBoard,
  type EventLog,
  HISTORY_SCAN_BUDGET,
  type HistoryPage,
  type KeptRecords,
  type NewEvent,
  type ReadResult,
  type Retention,
  type StoredEvent,
  type StoreOpening,
  type TailListener,
} from '../event-log.js';
import { retentionBounds } from '../retention.js';
import { StoreOpenError } from '../store-errors.js';
import { replayedEvent, storedEvent } from '../stored-event.js';
import { type BytePage, readBytePage } from './byte-page.js';
import { call, connect, newClient, type RedisClient, type RedisClientOptions, reasonFor } from './client.js';
import { redisClusterBoard } from './cluster-board.js';
import { appendAll } from './idempotent-append.js';
import { redisKeptRecords } from './kept-records.js';
import { lastTrimmed, StreamRetention, trimmedKeyOf } from './retention.js';
import { entryFields, entryTime, PAGE_ENTRIES, type RawEntry, toEvent } from './stream-entry.js';
import { compareStreamIds, parseStreamId, START } from './stream-ids.js';
import { type StreamInfo, streamInfo } from './stream-info.js';
import { StreamTail } from './tail.js';
import { DEFAULT_STREAM, parseRedisUrl, type RedisAddress } from './url.js';

export interface RedisLogOptions extends Retention, RedisClientOptions {
  /** `redis://[user:pass@]host:port[/db][?stream=NAME]`, or `rediss://` for TLS. */
  url: string;
  /** The stream's key (default: the URL's `stream`, else `herald`). Hubs on one stream are one cluster. */
  stream?: string;
  /** How long one blocking XREAD of the tail waits for new entries (default 1,000 ms). */
  blockMs?: number;
  /** How often retention runs and size() is refreshed (default 1,000 ms). */
  maintenanceMs?: number;
  /** Most entries one retention pass by count or bytes deletes (default 1,000). */
  trimBatch?: number;
}

/** What an invalid resume point reads from it: nothing. */
const NO_PAGE: BytePage = { entries: [], cut: false, next: 0 };

/** Entries one readAfter examines at most before it answers `more`. */
const SCAN_BUDGET = 5000;

/**
 * The Redis Streams log. Append is `XADD` (the entry id is the event id, so ids increase across
 * every hub on the stream) and resolves once Redis acknowledged it. Each instance tails the stream
 * (StreamTail), and its own appends come back through that tail like everyone else's: one code
 * path. Replay is `XRANGE` paging, each page bounded by bytes on the server (readBytePage), on a
 * connection of its own; a resume point is a gap when it is
 * malformed, newer than the stream, or no longer (or never) in it, except the id just before the
 * oldest entry kept (kept in `<stream>:trimmed`). Retention (count, bytes by MEMORY USAGE, age by
 * Redis's clock) runs off the publish path (StreamRetention).
 *
 * `size()` is an estimate (XLEN and MEMORY USAGE), refreshed every `maintenanceMs`.
 */
export class RedisLog implements EventLog {
  readonly stream: string;
  /** Where the log is, without credentials, for messages. */
  readonly where: string;
  readonly #address: RedisAddress;
  readonly #commands: RedisClient;
  /** Replays on a connection of their own: a long XRANGE reply never delays an XADD's answer. */
  readonly #reads: RedisClient;
  readonly #timeoutMs: number;
  /** The key holding the newest id retention removed from the stream. */
  readonly #trimmedKey: string;
  readonly #retention: StreamRetention;
  readonly #tail: StreamTail;
  readonly #inflight = new Set<Promise<unknown>>();
  #closed = false;
  #opened = false;

  /** The cluster's board (see redisClusterBoard). */
  readonly board: ClusterBoard;
  readonly kept: KeptRecords;

  /** Connects, checks that Redis answers (PING) within `timeoutMs`, starts the tail. */
  static async open(options: RedisLogOptions): Promise<RedisLog> {
    const log = new RedisLog(options);
    let lastGenerated: string;
    try {
      await connect(log.#commands, log.#timeoutMs, 'the connection');
      await call(log.#commands, ['PING'], log.#timeoutMs, 'PING');
      await connect(log.#reads, log.#timeoutMs, 'the replay connection');
      const info = await log.#info(log.#commands);
      lastGenerated = info?.lastGenerated ?? START;
      log.#opening = { created: info === undefined, events: info?.length ?? 0 };
    } catch (error) {
      log.#commands.destroy();
      log.#reads.destroy();
      throw new StoreOpenError(`cannot reach Redis at ${log.where}: ${reasonFor(error)}`, { cause: error });
    }
    log.#opened = true;
    log.#tail.start(lastGenerated);
    log.#retention.start(options.maintenanceMs ?? 1000);
    return log;
  }

  #opening: StoreOpening = { created: true, events: 0 };

  get opening(): StoreOpening {
    return this.#opening;
  }

  private constructor(options: RedisLogOptions) {
    this.#address = parseRedisUrl(options.url);
    this.stream = options.stream ?? this.#address.stream ?? DEFAULT_STREAM;
    const a = this.#address;
    this.where = `${a.tls ? 'rediss' : 'redis'}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}${a.database ? `/${a.database}` : ''} (stream ${this.stream})`;
    this.#timeoutMs = options.timeoutMs ?? 2000;
    const blockMs = options.blockMs ?? 1000;
    const bounds = retentionBounds(options);
    this.#trimmedKey = trimmedKeyOf(this.stream);
    this.#commands = newClient(this.#address, options, 'commands', () => !this.#opened);
    this.#reads = newClient(this.#address, options, 'reads', () => !this.#opened);
    for (const client of [this.#commands, this.#reads])
      client.on('error', () => {
        // Reported through the commands that fail; the client reconnects on its own.
      });
    const isClosed = () => this.#closed;
    const where = { stream: this.stream, timeoutMs: this.#timeoutMs };
    this.#retention = new StreamRetention(
      this.#commands,
      { ...where, bounds, trimBatch: options.trimBatch ?? 1000 },
      isClosed,
    );
    this.#tail = new StreamTail(this.#address, { ...options, ...where, blockMs }, isClosed);
    this.board = redisClusterBoard(this.#commands, this.stream, this.#timeoutMs, isClosed);
    this.kept = redisKeptRecords(this.#commands, this.stream, this.#timeoutMs, isClosed);
  }

  /** The stream's head and length (see streamInfo), or undefined when it does not exist. */
  #info(client: RedisClient): Promise<StreamInfo | undefined> {
    return streamInfo(client, this.stream, this.#timeoutMs);
  }

  /** Entries from `start` (inclusive): at most `count` and about `maxBytes` of data (see readBytePage). */
  #page(client: RedisClient, start: string, count: number, maxBytes: number): Promise<BytePage> {
    return readBytePage(client, this.stream, start, count, maxBytes, this.#timeoutMs);
  }

  /** Entries before `end` (an XREVRANGE bound: `+`, or `(id` to exclude it), newest first. */
  #reverseRange(client: RedisClient, end: string, count: number): Promise<RawEntry[]> {
    return call<RawEntry[]>(
      client,
      ['XREVRANGE', this.stream, end, '-', 'COUNT', String(count)],
      this.#timeoutMs,
    );
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('the log is closed');
  }

  async append(event: NewEvent, options: AppendOptions = {}): Promise<AppendedEvent> {
    this.#checkOpen();
    const fields = entryFields(event);
    const rule = options.idempotency;
    const pending =
      rule === undefined
        ? call<string>(this.#commands, ['XADD', this.stream, '*', ...fields], this.#timeoutMs, 'XADD').then(
            (id) => ({ ids: [id], appended: true }),
          )
        : appendAll(this.#commands, this.stream, [fields], rule, this.#timeoutMs);
    const { ids, appended } = await this.#settled(pending, 1);
    const stored: StoredEvent = storedEvent(event, ids[0]!, entryTime(ids[0]!));
    return appended ? stored : replayedEvent(event, stored.id, stored.time);
  }

  async appendMany(events: readonly NewEvent[], options: AppendOptions = {}): Promise<AppendedBatch> {
    this.#checkOpen();
    const entries = events.map(entryFields);
    const rule = options.idempotency;
    const pending = appendAll(this.#commands, this.stream, entries, rule, this.#timeoutMs);
    const { ids, appended } = await this.#settled(pending, events.length);
    return appended ? { ids } : { ids, replayed: true };
  }

  /** Waits for an append (close lets it settle first) and counts the entries it added for retention. */
  async #settled(
    pending: Promise<{ ids: string[]; appended: boolean }>,
    entries: number,
  ): Promise<{ ids: string[]; appended: boolean }> {
    this.#inflight.add(pending);
    try {
      const answer = await pending;
      if (answer.appended) this.#retention.appended(entries);
      return answer;
    } finally {
      this.#inflight.delete(pending);
    }
  }

  async readAfter(
    afterId: string,
    filter: (event: StoredEvent) => boolean,
    limit: number,
    maxBytes = Number.POSITIVE_INFINITY,
  ): Promise<ReadResult> {
    this.#checkOpen();
    const client = this.#reads;
    const valid = parseStreamId(afterId) !== undefined;
    const count = Math.min(Math.max(limit, 64), PAGE_ENTRIES);
    // The page from the resume point (inclusive, to see whether the id is still there), the
    // stream's head and retention marker, in one round trip (read in that order: a trim in
    // between can only make the answer more cautious).
    const [fromAfter, info, trimmed] = await Promise.all([
      valid ? this.#page(client, afterId, count + 1, maxBytes) : Promise.resolve(NO_PAGE),
      this.#info(client),
      lastTrimmed(client, this.#trimmedKey, this.#timeoutMs),
    ]);
    if (!info) return { events: [], gap: afterId !== START, more: false, cursor: START };
    let gap = true;
    let page = fromAfter.entries;
    let cut = fromAfter.cut;
    let next = fromAfter.next;
    if (valid && compareStreamIds(afterId, info.lastGenerated) <= 0) {
      if (page[0]?.[0] === afterId) {
        gap = false;
        page = page.slice(1);
      } else if (afterId === trimmed) {
        // The id just before the oldest entry kept: nothing after it is missing.
        gap = false;
      }
    }
    if (gap) ({ entries: page, cut, next } = await this.#page(client, '-', count, maxBytes));
    const events: StoredEvent[] = [];
    let cursor = gap ? info.lastGenerated : afterId;
    let examined = 0;
    let index = 0;
    let more = false;
    let bytes = 0;
    for (;;) {
      if (index < page.length) {
        const [id, fields] = page[index++]!;
        const event = toEvent(id, fields);
        if (filter(event)) {
          bytes += event.data.length;
          if (bytes > maxBytes && events.length > 0) {
            // Not examined: the next read starts with it.
            more = true;
            break;
          }
          events.push(event);
        }
        cursor = id;
        examined++;
        if (events.length >= limit) {
          more = index < page.length || cut;
          break;
        }
        continue;
      }
      if (!cut) break;
      // The entry after the page would pass the bound: the next read starts with it.
      if (examined >= SCAN_BUDGET || (events.length > 0 && bytes + next > maxBytes)) {
        more = true;
        break;
      }
      // Inclusive again, to see that retention did not remove entries between the pages; the
      // bytes left of the bound bound the next page (events filtered out cost none of them).
      ({ entries: page, cut, next } = await this.#page(client, cursor, count + 1, maxBytes - bytes));
      if (page[0]?.[0] === cursor) page = page.slice(1);
      else gap = true;
      index = 0;
    }
    return { events, gap, more, cursor };
  }

  async readBefore(
    beforeId: string | undefined,
    filter: (event: StoredEvent) => boolean,
    limit: number,
    maxBytes = Number.POSITIVE_INFINITY,
  ): Promise<HistoryPage> {
    this.#checkOpen();
    if (beforeId !== undefined && parseStreamId(beforeId) === undefined)
      return { events: [], more: false, cursor: beforeId, foreign: true };
    const client = this.#reads;
    const count = Math.min(Math.max(limit, 64), PAGE_ENTRIES);
    const page = new BoundedPage(filter, limit, maxBytes);
    // The oldest id examined so far (exclusive bound of the next range); undefined: none yet.
    let cursor = beforeId;
    let examined = 0;
    scan: while (examined < HISTORY_SCAN_BUDGET) {
      const want = Math.min(count, HISTORY_SCAN_BUDGET - examined);
      const entries = await this.#reverseRange(client, cursor === undefined ? '+' : `(${cursor}`, want);
      for (const [id, fields] of entries) {
        if (!page.offer(toEvent(id, fields))) break scan;
        cursor = id;
        examined++;
        if (page.full) break scan;
      }
      if (entries.length < want) break;
    }
    const older = cursor === undefined ? [] : await this.#reverseRange(client, `(${cursor}`, 1);
    return {
      events: page.events.reverse(),
      more: older.length > 0,
      cursor: cursor ?? (await this.head()),
      foreign: false,
    };
  }

  async head(): Promise<string> {
    this.#checkOpen();
    return (await this.#info(this.#commands))?.lastGenerated ?? START;
  }

  /** PING, with the usual deadline: what a publish would meet now. */
  async probe(): Promise<void> {
    this.#checkOpen();
    await call(this.#commands, ['PING'], this.#timeoutMs, 'PING');
  }

  compareIds(a: string, b: string): number {
    return compareStreamIds(a, b);
  }

  tail(listener: TailListener): () => void {
    return this.#tail.listen(listener);
  }

  size(): { events: number; bytes: number } {
    return this.#retention.size();
  }

  /** The last id the tail delivered (for monitoring). */
  get lastDelivered(): string {
    return this.#tail.lastDelivered;
  }

  /** Lets pending appends settle (acknowledged or timed out), stops the tail, disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#retention.stop();
    await Promise.allSettled([...this.#inflight]);
    await this.#tail.stop();
    this.#commands.destroy();
    this.#reads.destroy();
  }
}
