// Retention is applied by these scripts, not by XADD MAXLEN: Redis does not record which ids a
// trim removed (XINFO's max-deleted-entry-id only follows XDEL), and the gap rule needs the id
// just before the oldest entry kept. Each script trims exactly, in order, and stores the newest
// id it removed in the marker key (KEYS[2]); scripts run atomically, so hubs trimming the same
// stream at once do not race.

import type { Retention } from '../event-log.js';
import { call, type RedisClient } from './client.js';
import { START } from './stream-ids.js';

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

/** The key holding the newest id retention removed from the stream. */
export function trimmedKeyOf(stream: string): string {
  return `${stream}:trimmed`;
}

/** The newest id retention removed (START when it removed none). */
export async function lastTrimmed(
  client: RedisClient,
  trimmedKey: string,
  timeoutMs: number,
): Promise<string> {
  return (await call<string | null>(client, ['GET', trimmedKey], timeoutMs)) ?? START;
}

export interface StreamRetentionOptions {
  stream: string;
  bounds: Required<Retention>;
  /** Most entries one pass by count or bytes deletes. */
  trimBatch: number;
  timeoutMs: number;
}

/**
 * Retention by age, count and bytes (MEMORY USAGE, an estimate), and the size estimate, off the
 * publish path: every `maintenanceMs` and after a tenth of `maxEvents` appends, exactly and in
 * bounded batches.
 */
export class StreamRetention {
  readonly #client: RedisClient;
  readonly #stream: string;
  readonly #trimmedKey: string;
  readonly #bounds: Required<Retention>;
  readonly #trimBatch: number;
  readonly #timeoutMs: number;
  readonly #isClosed: () => boolean;
  #appendsSinceTrim = 0;
  #size = { events: 0, bytes: 0 };
  #timer: NodeJS.Timeout | undefined;
  #maintaining = false;

  constructor(client: RedisClient, options: StreamRetentionOptions, isClosed: () => boolean) {
    this.#client = client;
    this.#stream = options.stream;
    this.#trimmedKey = trimmedKeyOf(options.stream);
    this.#bounds = options.bounds;
    this.#trimBatch = options.trimBatch;
    this.#timeoutMs = options.timeoutMs;
    this.#isClosed = isClosed;
  }

  /** Runs a pass now and every `everyMs`. */
  start(everyMs: number): void {
    this.#timer = setInterval(() => void this.#maintain(), everyMs).unref();
    void this.#maintain();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Counts appended entries; past a tenth of the bound since the last pass, trims now rather than at the next tick. */
  appended(entries = 1): void {
    this.#appendsSinceTrim += entries;
    if (this.#appendsSinceTrim >= Math.max(100, this.#bounds.maxEvents / 10)) void this.#maintain();
  }

  /** The estimate of the last pass (XLEN and MEMORY USAGE). */
  size(): { events: number; bytes: number } {
    return { ...this.#size };
  }

  async #maintain(): Promise<void> {
    if (this.#maintaining || this.#isClosed()) return;
    this.#maintaining = true;
    this.#appendsSinceTrim = 0;
    const client = this.#client;
    const timeoutMs = this.#timeoutMs;
    const { maxEvents, maxBytes, maxAgeMs } = this.#bounds;
    const keys = ['2', this.#stream, this.#trimmedKey];
    try {
      if (maxAgeMs !== Number.POSITIVE_INFINITY)
        await call(client, ['EVAL', TRIM_AGE, ...keys, String(maxAgeMs)], timeoutMs, 'the age trim');
      let trimmed = Number.POSITIVE_INFINITY;
      // Bounded passes: a long backlog goes a batch at a time, other commands in between.
      while (trimmed >= this.#trimBatch && !this.#isClosed())
        trimmed = await call<number>(
          client,
          ['EVAL', TRIM_COUNT, ...keys, String(maxEvents), String(this.#trimBatch)],
          timeoutMs,
          'the count trim',
        );
      const [length, usage] = await Promise.all([
        call<number>(client, ['XLEN', this.#stream], timeoutMs),
        call<number | null>(client, ['MEMORY', 'USAGE', this.#stream, 'SAMPLES', '5'], timeoutMs),
      ]);
      this.#size = { events: length, bytes: usage ?? 0 };
      if (usage && length > 0 && usage > maxBytes) {
        const keep = Math.floor((length * maxBytes) / usage);
        await call(
          client,
          ['EVAL', TRIM_COUNT, ...keys, String(keep), String(this.#trimBatch)],
          timeoutMs,
          'the byte trim',
        );
      }
    } catch {
      // Unavailable now: the next tick tries again.
    } finally {
      this.#maintaining = false;
    }
  }
}
