// The shared log: one Redis Stream that every hub of a cluster appends to and tails.
//
// Client: node-redis (`@redis/client`, the client package of node-redis, without the Redis Stack
// modules the `redis` meta-package adds). It is the client Redis itself maintains and recommends
// for new projects (ioredis is kept up but no longer the one new features land in first), it
// supports Node 20, RESP2/RESP3, TLS, ACL users and a reconnect strategy we control, and it is
// written in TypeScript. Every command goes through `sendCommand` with RESP2 replies, so the
// shapes this file parses are Redis's own (documented per command), not a client-side transform.
//
// Deadlines: node-redis's command timeout only covers the wait before a command is written to the
// socket; a server that stops answering (SIGSTOP, a stalled host) leaves written commands waiting.
// So every call here races its own timer and rejects with LogUnavailableError when it fires. The
// command may still run later on the server: an append that was refused to its caller can appear
// in the stream afterwards (the caller was told nothing was acknowledged; nothing acknowledged is
// ever lost or delivered twice).

import type { ConnectionOptions } from 'node:tls';
import { createClient, ErrorReply } from '@redis/client';
import {
  type ClusterBoard,
  type EventLog,
  LogUnavailableError,
  type NewEvent,
  type ReadResult,
  type Retention,
  type StoredEvent,
  type TailListener,
} from './event-log.js';
import { retentionBounds } from './retention.js';
import { StoreOpenError, StoreUrlError } from './store-errors.js';

/** Where a Redis is, as a `redis://` or `rediss://` URL says it. */
export interface RedisAddress {
  host: string;
  port: number;
  tls: boolean;
  username?: string;
  password?: string;
  database?: number;
  /** The `stream` query parameter, when given. */
  stream?: string;
}

export interface RedisLogOptions extends Retention {
  /** `redis://[user:pass@]host:port[/db][?stream=NAME]`, or `rediss://` for TLS. */
  url: string;
  /** The stream's key (default: the URL's `stream`, else `herald`). Hubs on one stream are one cluster. */
  stream?: string;
  /** TLS options for `rediss://` (a private CA, a client certificate). */
  tls?: ConnectionOptions;
  /** How long an append, a read or the startup check may wait for Redis (default 2,000 ms). */
  timeoutMs?: number;
  /** How long one blocking XREAD of the tail waits for new entries (default 1,000 ms). */
  blockMs?: number;
  /** How often retention runs and size() is refreshed (default 1,000 ms). */
  maintenanceMs?: number;
  /** Most entries one retention pass by count or bytes deletes (default 1,000). */
  trimBatch?: number;
  /** The tail's reconnect backoff: first wait and ceiling (default 50 ms and 2,000 ms). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

const DEFAULT_STREAM = 'herald';
/**
 * Entries one XRANGE page or XREAD returns at most. Each reply is decoded on the main thread in one
 * go: smaller pages keep a replay from holding up live events (measured: the live tail's median
 * delay during a 100,000-event replay is about 4x lower with 250 than with 1,000).
 */
const PAGE = 250;
/** Entries one readAfter examines at most before it answers `more`. */
const SCAN_BUDGET = 5000;
const START = '0-0';

type Client = ReturnType<typeof newClient>;
type RawEntry = [id: string, fields: string[]];

interface StreamInfo {
  lastGenerated: string;
  length: number;
}

// Retention is applied by these scripts, not by XADD MAXLEN: Redis does not record which ids a
// trim removed (XINFO's max-deleted-entry-id only follows XDEL), and the gap rule needs the id
// just before the oldest entry kept. Each script trims exactly, in order, and stores the newest
// id it removed in the marker key (KEYS[2]); scripts run atomically, so hubs trimming the same
// stream at once do not race.

/** Keeps the newest ARGV[1] entries, deleting at most ARGV[2] per call. Returns how many went. */
const TRIM_COUNT = `
local over = redis.call('XLEN', KEYS[1]) - tonumber(ARGV[1])
if over <= 0 then return 0 end
if over > tonumber(ARGV[2]) then over = tonumber(ARGV[2]) end
local entries = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', over + 1)
if entries[over + 1] then
  redis.call('XTRIM', KEYS[1], 'MINID', '=', entries[over + 1][1])
else
  redis.call('XTRIM', KEYS[1], 'MAXLEN', '=', 0)
end
redis.call('SET', KEYS[2], entries[over][1])
return over`;

/** Deletes the entries older than ARGV[1] ms by Redis's clock. Returns how many went. */
const TRIM_AGE = `
local now = redis.call('TIME')
local oldest = math.floor(tonumber(now[1]) * 1000 + tonumber(now[2]) / 1000 - tonumber(ARGV[1]))
if oldest <= 0 then return 0 end
local newest = redis.call('XREVRANGE', KEYS[1], '(' .. oldest .. '-0', '-', 'COUNT', 1)
if #newest == 0 then return 0 end
local n = redis.call('XTRIM', KEYS[1], 'MINID', '=', oldest .. '-0')
redis.call('SET', KEYS[2], newest[1][1])
return n`;

/** Parses and checks a Redis URL; throws StoreUrlError with a one-line reason. */
export function parseRedisUrl(url: string): RedisAddress {
  const forms = 'use redis://[user:pass@]host:port[/db][?stream=NAME] or rediss://... for TLS';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StoreUrlError(`not a valid Redis URL: ${JSON.stringify(url)} (${forms})`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new StoreUrlError(`not a Redis URL: ${JSON.stringify(url)} (${forms})`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new StoreUrlError(`the Redis URL has no host: ${JSON.stringify(url)} (${forms})`);
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  let database: number | undefined;
  if (parsed.pathname !== '' && parsed.pathname !== '/') {
    const text = parsed.pathname.slice(1);
    if (!/^\d{1,5}$/.test(text))
      throw new StoreUrlError(`the Redis database must be a number, not ${JSON.stringify(text)} (${forms})`);
    database = Number(text);
  }
  let stream: string | undefined;
  for (const [key, value] of parsed.searchParams) {
    if (key !== 'stream')
      throw new StoreUrlError(`unknown Redis URL parameter ${JSON.stringify(key)} (only stream=NAME)`);
    if (value === '') throw new StoreUrlError('the stream name in the Redis URL is empty');
    stream = value;
  }
  if (parsed.hash) throw new StoreUrlError(`the Redis URL has a fragment: ${JSON.stringify(parsed.hash)}`);
  return {
    host,
    port,
    tls: parsed.protocol === 'rediss:',
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    database,
    stream,
  };
}

/**
 * A client. The commands and reads clients reconnect on their own, with backoff, except that while
 * the log is still opening, a refusal by the server (a wrong password, an unknown database) ends
 * the attempt at once; the tail's client never reconnects (the tail loop makes a new one).
 */
function newClient(
  address: RedisAddress,
  options: RedisLogOptions,
  role: 'commands' | 'reads' | 'tail',
  opening: () => boolean = () => false,
) {
  const reconnect = role !== 'tail';
  const min = options.reconnectMinMs ?? 50;
  const max = options.reconnectMaxMs ?? 2000;
  const common = {
    host: address.host,
    port: address.port,
    connectTimeout: options.timeoutMs ?? 2000,
    reconnectStrategy: reconnect
      ? (retries: number, cause: Error) =>
          opening() && cause instanceof ErrorReply
            ? cause
            : Math.min(max, min * 2 ** Math.min(retries, 16)) * (0.75 + Math.random() / 2)
      : (false as const),
  };
  return createClient({
    RESP: 2,
    // Named for CLIENT LIST: which connections are a hub's commands and which its blocking tail.
    name: `herald-${role}`,
    username: address.username,
    password: address.password,
    database: address.database,
    // Commands sent while disconnected fail at once instead of waiting for a reconnect.
    disableOfflineQueue: true,
    socket: address.tls
      ? { ...common, tls: true as const, ...options.tls }
      : { ...common, tls: false as const },
  });
}

/** `<ms>-<seq>` with canonical decimal numbers, or undefined. */
function parseId(id: string): [string, string] | undefined {
  const match = /^(0|[1-9]\d{0,19})-(0|[1-9]\d{0,19})$/.exec(id);
  return match ? [match[1]!, match[2]!] : undefined;
}

function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders two stream ids; malformed ids sort before every valid one (as "unknown"). */
export function compareStreamIds(a: string, b: string): number {
  const x = parseId(a);
  const y = parseId(b);
  if (!x || !y) return (x ? 1 : 0) - (y ? 1 : 0);
  return compareDecimal(x[0], y[0]) || compareDecimal(x[1], y[1]);
}

function toEvent(id: string, fields: readonly string[]): StoredEvent {
  let topics: string[] = [];
  let data = '';
  let type: string | undefined;
  let retry: number | undefined;
  let isPrivate = false;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1]!;
    switch (fields[i]) {
      case 'topics':
        try {
          const parsed: unknown = JSON.parse(value);
          if (Array.isArray(parsed)) topics = parsed.filter((t): t is string => typeof t === 'string');
        } catch {
          // An entry some other writer added: it matches no topic.
        }
        break;
      case 'data':
        data = value;
        break;
      case 'type':
        type = value;
        break;
      case 'retry':
        retry = Number(value);
        break;
      case 'private':
        isPrivate = value === '1';
        break;
    }
  }
  // The id's time part is Redis's clock when it stored the entry: the clock MINID trimming uses.
  return { id, topics, data, type, retry, private: isPrivate, time: Number(id.slice(0, id.indexOf('-'))) };
}

function reasonFor(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message.split('\n', 1)[0]! : String(error);
  if (typeof code === 'string' && !message.includes(code)) return message ? `${code}: ${message}` : code;
  return message || (error instanceof Error ? error.name : 'unknown error');
}

/** Races a promise against a timer; the timer rejects with LogUnavailableError. */
function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new LogUnavailableError(`Redis did not answer ${what} within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function unavailable(error: unknown): LogUnavailableError {
  if (error instanceof LogUnavailableError) return error;
  return new LogUnavailableError(`Redis is unavailable: ${reasonFor(error)}`, { cause: error });
}

/**
 * The Redis Streams log. Append is `XADD` (the entry id is the event id, so ids increase across
 * every hub on the stream) and resolves once Redis acknowledged it. Each instance tails the stream
 * on a connection of its own with a blocking `XREAD` from the last id it delivered, and its own
 * appends come back through that tail like everyone else's: one code path. Replay is `XRANGE`
 * paging; a resume point is a gap when it is malformed, newer than the stream, or no longer (or
 * never) in it, except the id just before the oldest entry kept (kept in `<stream>:trimmed`).
 * Retention (count, bytes by MEMORY USAGE, age by Redis's clock) runs off the publish path, every
 * `maintenanceMs` and after a tenth of `maxEvents` appends, exactly and in bounded batches.
 *
 * When the tail loses its connection it reconnects with backoff and resumes from the last id it
 * delivered (nothing lost, nothing twice). If the stream came back without that id and without
 * having trimmed it (Redis restarted without persistence, or from an older snapshot), or trimmed
 * entries the tail had not delivered yet, the listeners' `gap` is called once and delivery goes
 * on: from the new stream's start after a restart. (A tail that has delivered nothing yet, on a
 * stream that was empty when it started, has no id to check: a restart that lost entries it never
 * saw goes unnoticed by it; clients resuming with such entries' ids still get their gap.)
 *
 * `size()` is an estimate (XLEN and MEMORY USAGE), refreshed every `maintenanceMs`.
 */
export class RedisLog implements EventLog {
  readonly stream: string;
  /** Where the log is, without credentials, for messages. */
  readonly where: string;
  readonly #options: RedisLogOptions;
  readonly #address: RedisAddress;
  readonly #commands: Client;
  /** Replays on a connection of their own: a long XRANGE reply never delays an XADD's answer. */
  readonly #reads: Client;
  readonly #timeoutMs: number;
  readonly #blockMs: number;
  readonly #maxEvents: number;
  readonly #maxBytes: number;
  readonly #maxAgeMs: number;
  readonly #trimBatch: number;
  /** The key holding the newest id retention removed from the stream. */
  readonly #trimmedKey: string;
  #appendsSinceTrim = 0;
  #tailClient: Client | undefined;
  #tailDone: Promise<void> = Promise.resolve();
  #lastDelivered = START;
  #listeners: TailListener[] = [];
  readonly #inflight = new Set<Promise<unknown>>();
  #size = { events: 0, bytes: 0 };
  #maintenance: NodeJS.Timeout | undefined;
  #maintaining = false;
  #closed = false;
  #opened = false;
  #wake: (() => void) | undefined;

  /**
   * The cluster's board: one key per hub (`<stream>:hub:<id>`, expiring with PX) and a sorted set
   * of hub ids (`<stream>:hubs`) to find them; ids whose key has expired are pruned on read.
   */
  readonly board: ClusterBoard = {
    write: async (hubId, record, ttlMs) => {
      this.#checkOpen();
      const now = String(Date.now());
      await Promise.all([
        this.#call(this.#commands, ['SET', `${this.stream}:hub:${hubId}`, record, 'PX', String(ttlMs)]),
        this.#call(this.#commands, ['ZADD', `${this.stream}:hubs`, now, hubId]),
      ]);
    },
    read: async () => {
      this.#checkOpen();
      const ids = await this.#call<string[]>(this.#commands, ['ZRANGE', `${this.stream}:hubs`, '0', '-1']);
      const records = new Map<string, string>();
      if (ids.length === 0) return records;
      const values = await this.#call<(string | null)[]>(this.#commands, [
        'MGET',
        ...ids.map((id) => `${this.stream}:hub:${id}`),
      ]);
      const gone: string[] = [];
      ids.forEach((id, i) => {
        const value = values[i];
        if (typeof value === 'string') records.set(id, value);
        else gone.push(id);
      });
      if (gone.length > 0)
        void this.#call(this.#commands, ['ZREM', `${this.stream}:hubs`, ...gone]).catch(() => {});
      return records;
    },
    remove: async (hubId) => {
      if (this.#closed) return;
      await Promise.all([
        this.#call(this.#commands, ['DEL', `${this.stream}:hub:${hubId}`]),
        this.#call(this.#commands, ['ZREM', `${this.stream}:hubs`, hubId]),
      ]);
    },
  };

  /** Connects, checks that Redis answers (PING) within `timeoutMs`, starts the tail. */
  static async open(options: RedisLogOptions): Promise<RedisLog> {
    const log = new RedisLog(options);
    try {
      await log.#connect(log.#commands, 'the connection');
      await log.#call(log.#commands, ['PING'], 'PING');
      await log.#connect(log.#reads, 'the replay connection');
      log.#lastDelivered = (await log.#info(log.#commands))?.lastGenerated ?? START;
    } catch (error) {
      log.#commands.destroy();
      log.#reads.destroy();
      throw new StoreOpenError(`cannot reach Redis at ${log.where}: ${reasonFor(error)}`, { cause: error });
    }
    log.#opened = true;
    log.#tailDone = log.#tailLoop();
    const every = options.maintenanceMs ?? 1000;
    log.#maintenance = setInterval(() => void log.#maintain(), every).unref();
    void log.#maintain();
    return log;
  }

  private constructor(options: RedisLogOptions) {
    this.#options = options;
    this.#address = parseRedisUrl(options.url);
    this.stream = options.stream ?? this.#address.stream ?? DEFAULT_STREAM;
    const a = this.#address;
    this.where = `${a.tls ? 'rediss' : 'redis'}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}${a.database ? `/${a.database}` : ''} (stream ${this.stream})`;
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#blockMs = options.blockMs ?? 1000;
    ({
      maxEvents: this.#maxEvents,
      maxBytes: this.#maxBytes,
      maxAgeMs: this.#maxAgeMs,
    } = retentionBounds(options));
    this.#trimBatch = options.trimBatch ?? 1000;
    this.#trimmedKey = `${this.stream}:trimmed`;
    this.#commands = newClient(this.#address, options, 'commands', () => !this.#opened);
    this.#reads = newClient(this.#address, options, 'reads', () => !this.#opened);
    for (const client of [this.#commands, this.#reads])
      client.on('error', () => {
        // Reported through the commands that fail; the client reconnects on its own.
      });
  }

  async #connect(client: Client, what: string): Promise<void> {
    let lastError: unknown;
    const onError = (error: unknown) => {
      lastError = error;
    };
    client.on('error', onError);
    try {
      await withDeadline(client.connect(), this.#timeoutMs, `${what}`).catch((error) => {
        throw lastError && error instanceof LogUnavailableError ? lastError : error;
      });
    } finally {
      client.off('error', onError);
    }
  }

  /** One command with a deadline; every failure is a LogUnavailableError. */
  async #call<T>(client: Client, args: string[], what: string = args[0]!): Promise<T> {
    try {
      return await withDeadline(client.sendCommand<T>(args), this.#timeoutMs, what);
    } catch (error) {
      throw unavailable(error);
    }
  }

  /** XINFO STREAM, or undefined when the stream does not exist. */
  async #info(client: Client): Promise<StreamInfo | undefined> {
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

  /** The newest id retention removed (START when it removed none). */
  async #trimmed(client: Client): Promise<string> {
    return (await this.#call<string | null>(client, ['GET', this.#trimmedKey])) ?? START;
  }

  #range(client: Client, start: string, count: number): Promise<RawEntry[]> {
    return this.#call<RawEntry[]>(client, ['XRANGE', this.stream, start, '+', 'COUNT', String(count)]);
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('the log is closed');
  }

  async append(event: NewEvent): Promise<StoredEvent> {
    this.#checkOpen();
    const args = ['XADD', this.stream, '*', 'topics', JSON.stringify(event.topics), 'data', event.data];
    if (event.type !== undefined) args.push('type', event.type);
    if (event.retry !== undefined) args.push('retry', String(event.retry));
    if (event.private) args.push('private', '1');
    const pending = this.#call<string>(this.#commands, args, 'XADD');
    this.#inflight.add(pending);
    try {
      const id = await pending;
      // Past a tenth of the bound since the last pass, trim now rather than at the next tick.
      if (++this.#appendsSinceTrim >= Math.max(100, this.#maxEvents / 10)) void this.#maintain();
      return {
        id,
        topics: event.topics,
        data: event.data,
        type: event.type,
        retry: event.retry,
        private: event.private,
        time: Number(id.slice(0, id.indexOf('-'))),
      };
    } finally {
      this.#inflight.delete(pending);
    }
  }

  async readAfter(
    afterId: string,
    filter: (event: StoredEvent) => boolean,
    limit: number,
  ): Promise<ReadResult> {
    this.#checkOpen();
    const client = this.#reads;
    const valid = parseId(afterId) !== undefined;
    const count = Math.min(Math.max(limit, 64), PAGE);
    // The page from the resume point (inclusive, to see whether the id is still there), the, in one round trip.
    // stream's head and retention marker, in one round trip (read in that order: a trim in
    // between can only make the answer more cautious).
    const [fromAfter, info, trimmed] = await Promise.all([
      valid ? this.#range(client, afterId, count + 1) : Promise.resolve([] as RawEntry[]),
      this.#info(client),
      this.#trimmed(client),
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
    for (;;) {
      if (index < page.length) {
        const [id, fields] = page[index++]!;
        cursor = id;
        examined++;
        const event = toEvent(id, fields);
        if (filter(event)) {
          events.push(event);
          if (events.length >= limit) {
            more = index < page.length || full;
            break;
          }
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

  compareIds(a: string, b: string): number {
    return compareStreamIds(a, b);
  }

  tail(listener: TailListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  size(): { events: number; bytes: number } {
    return { ...this.#size };
  }

  /** The last id the tail delivered (for monitoring). */
  get lastDelivered(): string {
    return this.#lastDelivered;
  }

  async #tailLoop(): Promise<void> {
    const min = this.#options.reconnectMinMs ?? 50;
    const max = this.#options.reconnectMaxMs ?? 2000;
    let backoff = min;
    let reconnected = false;
    while (!this.#closed) {
      try {
        let client = this.#tailClient;
        if (!client) {
          client = newClient(this.#address, this.#options, 'tail');
          client.on('error', () => {
            // The blocking read fails too; the loop reconnects.
          });
          this.#tailClient = client;
          await this.#connect(client, 'the tail connection');
        }
        if (reconnected) {
          await this.#checkContinuity(client);
          reconnected = false;
        }
        const reply = await withDeadline(
          client.sendCommand<[string, RawEntry[]][] | null>([
            'XREAD',
            'COUNT',
            String(PAGE),
            'BLOCK',
            String(this.#blockMs),
            'STREAMS',
            this.stream,
            this.#lastDelivered,
          ]),
          this.#blockMs + this.#timeoutMs,
          'the tail XREAD',
        );
        backoff = min;
        if (this.#closed) break;
        for (const [id, fields] of reply?.[0]?.[1] ?? []) {
          this.#lastDelivered = id;
          this.#deliver(toEvent(id, fields));
        }
      } catch {
        if (this.#closed) break;
        // A fresh connection next time: a stalled one may never answer again.
        this.#tailClient?.destroy();
        this.#tailClient = undefined;
        reconnected = true;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, backoff * (0.75 + Math.random() / 2));
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
        backoff = Math.min(max, backoff * 2);
      }
    }
    this.#tailClient?.destroy();
    this.#tailClient = undefined;
  }

  /** After a reconnect: is the last delivered id still where the stream's history goes on? */
  async #checkContinuity(client: Client): Promise<void> {
    const last = this.#lastDelivered;
    const [at, trimmed] = await Promise.all([
      last === START
        ? Promise.resolve([] as RawEntry[])
        : this.#call<RawEntry[]>(client, ['XRANGE', this.stream, last, last]),
      this.#trimmed(client),
    ]);
    if (at.length > 0) return; // Still there: resume right after it.
    if (last === trimmed) return; // Trimmed, but nothing after it was.
    if (compareStreamIds(trimmed, last) > 0) {
      // Trimmed past what this tail delivered: those entries are gone; go on with what is left.
      this.#reportGap(last, trimmed);
      return;
    }
    // The stream does not know this id and never trimmed it: Redis lost it (restarted empty or
    // from an older snapshot). Start over from the new stream's beginning.
    this.#lastDelivered = START;
    this.#reportGap(last, START);
  }

  #reportGap(lastId: string, head: string): void {
    for (const listener of this.#listeners)
      try {
        listener.gap?.(lastId, head);
      } catch (error) {
        process.nextTick(() => {
          throw error;
        });
      }
  }

  #deliver(event: StoredEvent): void {
    for (const listener of this.#listeners)
      try {
        listener.event(event);
      } catch (error) {
        // A listener's bug must not stop the others or the tail; it still surfaces.
        process.nextTick(() => {
          throw error;
        });
      }
  }

  /** Retention by age, count and bytes (MEMORY USAGE, an estimate), and the size estimate. */
  async #maintain(): Promise<void> {
    if (this.#maintaining || this.#closed) return;
    this.#maintaining = true;
    this.#appendsSinceTrim = 0;
    const client = this.#commands;
    const keys = ['2', this.stream, this.#trimmedKey];
    try {
      if (this.#maxAgeMs !== Number.POSITIVE_INFINITY)
        await this.#call(client, ['EVAL', TRIM_AGE, ...keys, String(this.#maxAgeMs)], 'the age trim');
      let trimmed = Number.POSITIVE_INFINITY;
      // Bounded passes: a long backlog goes a batch at a time, other commands in between.
      while (trimmed >= this.#trimBatch && !this.#closed)
        trimmed = await this.#call<number>(
          client,
          ['EVAL', TRIM_COUNT, ...keys, String(this.#maxEvents), String(this.#trimBatch)],
          'the count trim',
        );
      const [length, usage] = await Promise.all([
        this.#call<number>(client, ['XLEN', this.stream]),
        this.#call<number | null>(client, ['MEMORY', 'USAGE', this.stream, 'SAMPLES', '5']),
      ]);
      this.#size = { events: length, bytes: usage ?? 0 };
      if (usage && length > 0 && usage > this.#maxBytes) {
        const keep = Math.floor((length * this.#maxBytes) / usage);
        await this.#call(
          client,
          ['EVAL', TRIM_COUNT, ...keys, String(keep), String(this.#trimBatch)],
          'the byte trim',
        );
      }
    } catch {
      // Unavailable now: the next tick tries again.
    } finally {
      this.#maintaining = false;
    }
  }

  /** Lets pending appends settle (acknowledged or timed out), stops the tail, disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#maintenance) clearInterval(this.#maintenance);
    await Promise.allSettled([...this.#inflight]);
    this.#listeners = [];
    this.#tailClient?.destroy();
    this.#wake?.();
    await this.#tailDone;
    this.#commands.destroy();
    this.#reads.destroy();
  }
}
