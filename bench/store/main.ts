// The event logs on their own, without HTTP or fan-out: how many appends each store acknowledges
// per second and how long one takes, and how much a long replay delays everyone else's live
// events. Run with `npm run bench store` (options below). Redis runs as a redis-server of the
// benchmark's own on a free loopback port, with no persistence.
//
// 1. Appends: for each store, a closed loop of C publishers (each awaits its append, then sends
//    the next) for a few seconds; C = 1 gives the latency of a lone publish, C = 64 the throughput
//    under load. A tail listener is attached, as the hub's fan-out is. Rounds are interleaved (each
//    round runs every store once, in turn) and the figures are medians over the rounds.
// 2. Replay stall: a store holding 100,000 events; live appends at a fixed rate (500/s), first
//    alone for 1.5 s, then while one reader pages through the whole history with readAfter (pages
//    of 1,000, as the hub reads them; replays back to back, one reader at a time, at least three
//    and for at least a second). For the
//    live events: append latency and append-to-tail delay, p50 and p99, alone -> during the
//    replays; the p99 the replay adds; and the event loop's delay (1 ms resolution), since a
//    synchronous store (SQLite) blocks the loop while it reads.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { EventLog, StoredEvent } from '../../src/log/event-log.js';
import { MemoryLog } from '../../src/log/memory.js';
import { RedisLog } from '../../src/log/redis/redis-log.js';
import { SqliteLog } from '../../src/log/sqlite.js';
import { startRedis, type TestRedis } from '../../test/support/redis.js';
import { fmt, median, percentile, sleep, table } from '../fanout/stats.js';

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [key, value = 'true'] = arg.replace(/^--/, '').split('=');
    return [key!, value];
  }),
);
const ROUNDS = Number(args.get('rounds') ?? 3);
const SECONDS = Number(args.get('seconds') ?? 2);
const HISTORY = Number(args.get('history') ?? 100_000);
const RATE = Number(args.get('rate') ?? 500);
const REPLAYS = Number(args.get('replays') ?? 3);
const SIZE = Number(args.get('size') ?? 100);
const STORES = (args.get('stores') ?? 'memory,sqlite-normal,sqlite-full,redis').split(',');
const PAGE = 1000;
const PADDING = 'x'.repeat(SIZE);

interface Opened {
  log: EventLog;
  close(): Promise<void>;
}

let redis: TestRedis | undefined;
const folder = mkdtempSync(join(tmpdir(), 'herald-bench-store-'));
let opened = 0;

async function open(kind: string): Promise<Opened> {
  const retention = { maxEvents: HISTORY * 2, maxBytes: 1024 * 1024 * 1024 };
  const n = ++opened;
  switch (kind) {
    case 'memory': {
      const log = new MemoryLog(retention);
      return { log, close: () => log.close() };
    }
    case 'sqlite-normal':
    case 'sqlite-full': {
      const path = join(folder, `${n}.db`);
      const synchronous = kind === 'sqlite-full' ? 'FULL' : 'NORMAL';
      const log = new SqliteLog({ path, synchronous, ...retention });
      return {
        log,
        async close() {
          await log.close();
          rmSync(path, { force: true });
        },
      };
    }
    case 'redis': {
      redis ??= await startRedis();
      const log = await RedisLog.open({ url: redis.url, stream: `bench-${n}`, ...retention });
      return {
        log,
        async close() {
          await log.close();
        },
      };
    }
    default:
      throw new Error(`unknown store ${kind} (memory, sqlite-normal, sqlite-full, redis)`);
  }
}

const event = (seq: number) => ({
  topics: ['bench'],
  data: `${seq} ${PADDING}`.slice(0, SIZE),
  private: false,
});

interface AppendFigures {
  perSecond: number;
  p50: number;
  p99: number;
}

async function appendLoop(log: EventLog, concurrency: number, seconds: number): Promise<AppendFigures> {
  let tailed = 0;
  const untail = log.tail({ event: () => tailed++ });
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  let seq = 0;
  const publisher = async () => {
    while (performance.now() < end) {
      const started = performance.now();
      await log.append(event(seq++));
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, publisher));
  const elapsed = (performance.now() - started) / 1000;
  untail();
  if (tailed === 0) throw new Error('the tail delivered nothing');
  latencies.sort((a, b) => a - b);
  return {
    perSecond: latencies.length / elapsed,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

interface LiveFigures {
  append: number[];
  delay: number[];
  loop: { p50: number; p99: number };
}

/** Appends at RATE per second while `during` runs (and for at least `minMs`); measures each. */
async function liveWhile(log: EventLog, during: () => Promise<void>, minMs: number): Promise<LiveFigures> {
  const sent = new Map<string, number>();
  const append: number[] = [];
  const delay: number[] = [];
  const untail = log.tail({
    event: (e: StoredEvent) => {
      const at = sent.get(e.data);
      if (at !== undefined) delay.push(performance.now() - at);
    },
  });
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  let running = true;
  let seq = 0;
  const pending: Promise<unknown>[] = [];
  const timer = setInterval(() => {
    if (!running) return;
    const data = `live ${seq++} ${PADDING}`.slice(0, SIZE);
    const started = performance.now();
    sent.set(data, started);
    pending.push(
      log
        .append({ topics: ['live'], data, private: false })
        .then(() => append.push(performance.now() - started)),
    );
  }, 1000 / RATE);
  await Promise.all([during(), sleep(minMs)]);
  running = false;
  clearInterval(timer);
  await Promise.all(pending);
  const deadline = performance.now() + 3000;
  while (delay.length < pending.length && performance.now() < deadline) await sleep(5);
  untail();
  loopDelay.disable();
  append.sort((a, b) => a - b);
  delay.sort((a, b) => a - b);
  return {
    append,
    delay,
    loop: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6 },
  };
}

/** Resolves once the tail has delivered everything appended so far (an asynchronous tail lags). */
async function caughtUp(log: EventLog): Promise<void> {
  let seen = false;
  const probe = `probe ${Math.random()}`;
  const untail = log.tail({ event: (e) => (seen ||= e.data === probe) });
  await log.append({ topics: ['probe'], data: probe, private: false });
  while (!seen) await sleep(5);
  untail();
}

interface StallFigures {
  /** One replay of the whole history (the median of the back-to-back replays). */
  replayMs: number;
  pages: number;
  quiet: LiveFigures;
  busy: LiveFigures;
}

async function replayStall(log: EventLog): Promise<StallFigures> {
  const start = await log.head();
  for (let i = 0; i < HISTORY; i += 1000)
    await Promise.all(
      Array.from({ length: Math.min(1000, HISTORY - i) }, (_, j) => log.append(event(i + j))),
    );
  await caughtUp(log);
  const quiet = await liveWhile(log, async () => {}, 1500);
  const replays: number[] = [];
  let pages = 0;
  // The live appends are measured over the replays only: REPLAYS of them back to back, and more
  // until a second has passed (a fast store replays in milliseconds).
  const busy = await liveWhile(
    log,
    async () => {
      const began = performance.now();
      for (let r = 0; r < REPLAYS || performance.now() - began < 1000; r++) {
        // A turn between replays (the memory log never yields within one; it needs none).
        await new Promise((resolve) => setImmediate(resolve));
        const started = performance.now();
        let cursor = start;
        let events = 0;
        pages = 0;
        for (;;) {
          const result = await log.readAfter(cursor, () => true, PAGE);
          pages++;
          events += result.events.length;
          cursor = result.cursor;
          if (!result.more) break;
        }
        replays.push(performance.now() - started);
        if (events < HISTORY) throw new Error(`the replay read ${events} of ${HISTORY} events`);
      }
    },
    0,
  );
  const replayMs = median(replays);
  return { replayMs, pages, quiet, busy };
}

async function main(): Promise<void> {
  console.log(
    `store bench: ${STORES.join(', ')}; ${ROUNDS} rounds of ${SECONDS} s; events of ${SIZE} characters; ` +
      `replay of ${HISTORY.toLocaleString('en-US')} events with live appends at ${RATE}/s`,
  );
  const appendRuns = new Map<string, { lone: AppendFigures[]; loaded: AppendFigures[] }>();
  for (const kind of STORES) appendRuns.set(kind, { lone: [], loaded: [] });
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of STORES) {
      const store = await open(kind);
      try {
        const lone = await appendLoop(store.log, 1, Math.min(1, SECONDS));
        const loaded = await appendLoop(store.log, 64, SECONDS);
        appendRuns.get(kind)!.lone.push(lone);
        appendRuns.get(kind)!.loaded.push(loaded);
        console.log(
          `  round ${round} ${kind.padEnd(13)} C=1: ${fmt(lone.perSecond)}/s p50 ${fmt(lone.p50)} ms p99 ${fmt(lone.p99)} ms` +
            ` | C=64: ${fmt(loaded.perSecond)}/s p50 ${fmt(loaded.p50)} ms p99 ${fmt(loaded.p99)} ms`,
        );
      } finally {
        await store.close();
      }
    }
  }
  const stalls = new Map<string, StallFigures[]>();
  for (const kind of STORES) stalls.set(kind, []);
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of STORES) {
      const store = await open(kind);
      try {
        const figures = await replayStall(store.log);
        stalls.get(kind)!.push(figures);
        console.log(
          `  round ${round} ${kind.padEnd(13)} replay ${fmt(figures.replayMs)} ms in ${figures.pages} pages; ` +
            `live tail p99 ${fmt(percentile(figures.quiet.delay, 0.99))} -> ${fmt(percentile(figures.busy.delay, 0.99))} ms`,
        );
      } finally {
        await store.close();
      }
    }
  }

  const med = (values: number[]) => median(values);
  console.log('\nAcknowledged appends (medians over the rounds)\n');
  console.log(
    table(
      ['store', 'C=1 appends/s', 'C=1 p50 ms', 'C=1 p99 ms', 'C=64 appends/s', 'C=64 p50 ms', 'C=64 p99 ms'],
      STORES.map((kind) => {
        const { lone, loaded } = appendRuns.get(kind)!;
        return [
          kind,
          fmt(med(lone.map((f) => f.perSecond))),
          fmt(med(lone.map((f) => f.p50))),
          fmt(med(lone.map((f) => f.p99))),
          fmt(med(loaded.map((f) => f.perSecond))),
          fmt(med(loaded.map((f) => f.p50))),
          fmt(med(loaded.map((f) => f.p99))),
        ];
      }),
    ),
  );
  console.log(
    `\nReplay stall: live appends at ${RATE}/s, alone -> while one reader replays ${HISTORY} events\n`,
  );
  console.log(
    table(
      [
        'store',
        'replay ms',
        'append p50 ms',
        'append p99 ms',
        'tail p50 ms',
        'tail p99 ms',
        'tail p99 added ms',
        'loop delay p99 ms',
      ],
      STORES.map((kind) => {
        const runs = stalls.get(kind)!;
        const q = (f: StallFigures, which: 'quiet' | 'busy', what: 'append' | 'delay', p: number) =>
          percentile(f[which][what], p);
        const pair = (what: 'append' | 'delay', p: number) =>
          `${fmt(med(runs.map((f) => q(f, 'quiet', what, p))))} -> ${fmt(med(runs.map((f) => q(f, 'busy', what, p))))}`;
        return [
          kind,
          fmt(med(runs.map((f) => f.replayMs))),
          pair('append', 0.5),
          pair('append', 0.99),
          pair('delay', 0.5),
          pair('delay', 0.99),
          fmt(med(runs.map((f) => q(f, 'busy', 'delay', 0.99) - q(f, 'quiet', 'delay', 0.99)))),
          `${fmt(med(runs.map((f) => f.quiet.loop.p99)))} -> ${fmt(med(runs.map((f) => f.busy.loop.p99)))}`,
        ];
      }),
    ),
  );
}

try {
  await main();
} finally {
  await redis?.stop();
  rmSync(folder, { recursive: true, force: true });
}
