import { ErrorReply } from '@redis/client';
import type {
  AppendedEvent,
  AppendOptions,
  ClusterBoard,
  EventLog,
  KeptRecords,
  NewEvent,
  ReadResult,
  Retention,
  StoredEvent,
  StoreOpening,
  TailListener,
} from '../event-log.js';
import { retentionBounds } from '../retention.js';
import { StoreOpenError } from '../store-errors.js';
import { replayedEvent, storedEvent } from '../stored-event.js';
import {
  call,
  connect,
  newClient,
  type RedisClient,
  type RedisClientOptions,
  reasonFor,
  unavailable,
  withDeadline,
} from './client.js';
import { redisClusterBoard } from './cluster-board.js';
import { appendOnce } from './idempotent-append.js';
import { redisKeptRecords } from './kept-records.js';
import { lastTrimmed, StreamRetention, trimmedKeyOf } from './retention.js';
import { entryFields, entryTime, PAGE_ENTRIES, type RawEntry, toEvent } from './stream-entry.js';
import { compareStreamIds, parseStreamId, START } from './stream-ids.js';
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

/** Entries one readAfter examines at most before it answers `more`. */
const SCAN_BUDGET = 5000;

interface StreamInfo {
  lastGenerated: string;
  length: number;
}

/**
 * The Redis Streams log. Append is `XADD` (the entry id is the event id, so ids increase across
 * every hub on the stream) and resolves once Redis acknowledged it. Each instance tails the stream
 * (StreamTail), and its own appends come back through that tail like everyone else's: one code
 * path. Replay is `XRANGE` paging, on a connection of its own; a resume point is a gap when it is
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

  /** XINFO STREAM, or undefined when the stream does not exist. */
  async #info(client: RedisClient): Promise<StreamInfo | undefined> {
    let reply: unknown[];
    try {
      reply = await withDeadline(
        client.sendCommand<unknown[]>(['XINFO', 'STREAM', this.stream]),
        this.#timeoutMs,
        'XINFO',
      );
    } catch (error) {
      if (error instanceof ErrorReply && /no such key/i.test(error.message)) return undefined;
      throw unavailable(error);
    }
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), reply[i + 1]);
    return {
      lastGenerated: String(fields.get('last-generated-id') ?? START),
      length: Number(fields.get('length') ?? 0),
    };
  }

  #range(client: RedisClient, start: string, count: number): Promise<RawEntry[]> {
    return call<RawEntry[]>(
      client,
      ['XRANGE', this.stream, start, '+', 'COUNT', String(count)],
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
            (id) => ({ id, appended: true }),
          )
        : appendOnce(this.#commands, this.stream, fields, rule, this.#timeoutMs);
    this.#inflight.add(pending);
    try {
      const { id, appended } = await pending;
      if (appended) this.#retention.appended();
      const stored: StoredEvent = storedEvent(event, id, entryTime(id));
      return appended ? stored : replayedEvent(event, id, stored.time);
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
      valid ? this.#range(client, afterId, count + 1) : Promise.resolve([] as RawEntry[]),
      this.#info(client),
      lastTrimmed(client, this.#trimmedKey, this.#timeoutMs),
    ]);
    if (!info) return { events: [], gap: afterId !== START, more: false, cursor: START };
    let gap = true;
    let page = fromAfter;
    let full = fromAfter.length > count;
    if (valid && compareStreamIds(afterId, info.lastGenerated) <= 0) {
      if (fromAfter[0]?.[0] === afterId) {
        gap = false;
        page = fromAfter.slice(1);
      } else if (afterId === trimmed) {
        // The id just before the oldest entry kept: nothing after it is missing.
        gap = false;
      }
    }
    if (gap) {
      page = await this.#range(client, '-', count);
      full = page.length >= count;
    }
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
          more = index < page.length || full;
          break;
        }
        continue;
      }
      if (!full) break;
      if (examined >= SCAN_BUDGET) {
        more = true;
        break;
      }
      // Inclusive again, to see that retention did not remove entries between the pages.
      page = await this.#range(client, cursor, count + 1);
      full = page.length > count;
      if (page[0]?.[0] === cursor) page = page.slice(1);
      else gap = true;
      index = 0;
    }
    return { events, gap, more, cursor };
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
