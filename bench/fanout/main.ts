// Fan-out benchmark: Herald against the ceiling of one Node process (a raw-socket loop that writes one
// pre-encoded Buffer to every socket), bare node:http loops, and Nchan (nginx, 2 workers), in the same
// run. Each server runs in its own process; a load generator process subscribes over loopback and
// publishes over HTTP POST. The node servers measure their own CPU with process.cpuUsage() over each
// window; Nchan's is read from /proc for its master and workers. See bench/README.md for every figure.
//
//   npm run bench fanout                      # about 9 minutes (3 rounds)
//   npm run bench fanout -- --quick           # 1 round, shorter windows
//   npm run bench fanout -- --profile         # also profiles each node server (see bench/README.md)
//   npm run bench fanout -- --heap            # also what one idle connection keeps on the heap
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintToken } from '../../src/index.js';
import { ensureBuilt } from '../built-package.js';
import { type Census, perConnection } from './heap-census.js';
import { Child, type Ready } from './ipc.js';
import type { ClientWindow } from './loadgen.js';
import { killLeftovers, locateNchan, NCHAN_INSTALL_HINT } from './nginx.js';
import { summarizeProfiles } from './profile-summary.js';
import type { PublisherStats, PublishTarget } from './publisher.js';
import type { MemoryReading, ServerWindow } from './server-harness.js';
import { fmt, median, sleep, table } from './stats.js';

type Kind =
  | 'raw'
  | 'baseline'
  | 'coalesce'
  | 'concat'
  | 'herald'
  | 'herald-custom'
  | 'herald-checkout'
  | 'nchan';
type ScenarioName =
  | 'http'
  | 'http-10k'
  | 'http-saturation'
  | 'http-publish-1'
  | 'http-publish-batch'
  | 'latency'
  | 'saturation'
  | 'quiet';

interface ServerSpec {
  label: string;
  script: string;
  args: string[];
  /** Node servers publish in-process (IPC scenarios), can be profiled and have a heap. */
  node: boolean;
}

// With --herald-checkout=PATH, server `herald-checkout` is Herald from another checkout (a git
// worktree of another commit, its node_modules linked or installed), so that two versions are
// compared in one run, interleaved, instead of in two runs minutes apart.
const heraldCheckout = option('herald-checkout', '');

const SERVERS: Record<Kind, ServerSpec> = {
  raw: { label: 'raw socket', script: './server-raw.ts', args: [], node: true },
  baseline: { label: 'baseline', script: './server-baseline.ts', args: [], node: true },
  coalesce: {
    label: 'coalescing baseline',
    script: './server-baseline.ts',
    args: ['--coalesce'],
    node: true,
  },
  concat: { label: 'concat baseline', script: './server-baseline.ts', args: ['--concat'], node: true },
  herald: { label: 'Herald', script: './server-herald.ts', args: [], node: true },
  'herald-custom': {
    label: 'Herald (--herald-options)',
    script: './server-herald.ts',
    args: ['--custom'],
    node: true,
  },
  'herald-checkout': {
    label: `Herald (${heraldCheckout === '' ? '--herald-checkout' : basename(heraldCheckout)})`,
    script: resolve(heraldCheckout, 'bench/fanout/server-herald.ts'),
    args: [],
    node: true,
  },
  nchan: { label: 'Nchan', script: './server-nchan.ts', args: [], node: false },
};

const ALL_SCENARIOS: readonly ScenarioName[] = [
  'http',
  'http-10k',
  'http-saturation',
  'http-publish-1',
  'http-publish-batch',
  'latency',
  'saturation',
  'quiet',
];

// ---- options ---------------------------------------------------------------------------------------

function option(name: string, fallback: string): string {
  const prefix = `--${name}=`;
  const arg = process.argv.find((a) => a.startsWith(prefix));
  return arg === undefined ? fallback : arg.slice(prefix.length);
}
const quick = process.argv.includes('--quick');
const profile = process.argv.includes('--profile');
const heap = process.argv.includes('--heap');
const opts = {
  servers: option('servers', 'raw,coalesce,herald,nchan').split(',') as Kind[],
  scenarios: option('scenarios', ALL_SCENARIOS.join(',')).split(',') as ScenarioName[],
  subscribers: Number(option('subscribers', '1000')),
  /** Subscribers of the `http-10k` scenario, and its rate. */
  big: Number(option('big', '10000')),
  bigRate: Number(option('big-rate', '10')),
  idle: Number(option('idle', '10000')),
  rate: Number(option('rate', '20')),
  burst: Number(option('burst', '8')),
  size: Number(option('size', '100')),
  rounds: Number(option('rounds', quick ? '1' : '3')),
  /** The saturation publisher over HTTP: kept-alive connections, requests pipelined on each. */
  postConnections: Number(option('post-connections', '4')),
  postDepth: Number(option('post-depth', '8')),
  /** How many events the HTTP saturation publisher may be ahead of the slowest subscriber. */
  maxLag: Number(option('max-lag', '500')),
  /** Seconds of each measurement window. */
  // The p99 of a fixed-rate window is decided by its slowest few events (each reaches every sampled
  // subscriber at once): windows long enough to hold a hundred events or more.
  httpWindow: Number(option('http-seconds', quick ? '2' : '6')),
  bigWindow: Number(option('big-seconds', quick ? '2' : '4')),
  httpSaturationWindow: Number(option('http-saturation-seconds', quick ? '2' : '3')),
  publishOneWindow: Number(option('publish-1-seconds', '2')),
  publishBatchWindow: Number(option('publish-batch-seconds', '2')),
  /** Events in each NDJSON request of the `http-publish-batch` scenario. */
  batch: Number(option('batch', '100')),
  latencyWindow: Number(option('latency-seconds', quick ? '2' : '6')),
  saturationWindow: Number(option('saturation-seconds', '2')),
  quietWindow: Number(option('quiet-seconds', '1.5')),
  heraldOptions: option('herald-options', ''),
  /** Every n-th subscriber reads the send time out of each event. */
  sampleEvery: Number(option('sample-every', '10')),
  /** The whole run stops after this long, whatever it is doing. */
  deadlineMinutes: Number(option('deadline-minutes', '30')),
};
for (const kind of opts.servers) if (!(kind in SERVERS)) throw new Error(`unknown server ${kind}`);
if (opts.servers.includes('herald-checkout') && heraldCheckout === '')
  throw new Error('server herald-checkout needs --herald-checkout=PATH (another checkout of Herald)');
for (const s of opts.scenarios) if (!ALL_SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}`);
if (opts.servers.some((k) => k.startsWith('herald')))
  ensureBuilt(fileURLToPath(new URL('../..', import.meta.url)));
if (opts.servers.includes('herald-checkout')) ensureBuilt(resolve(heraldCheckout));
if (opts.servers.includes('nchan') && locateNchan() === undefined) {
  console.log(`note: ${NCHAN_INSTALL_HINT}\n`);
  opts.servers = opts.servers.filter((k) => k !== 'nchan');
}

// ---- measurement -----------------------------------------------------------------------------------

interface Result {
  cpuUsPerEvent: number;
  cpuUsPerPublish: number;
  eventsPerSecond: number;
  /** Publishes acknowledged per second (HTTP scenarios). */
  ackedPerSecond: number;
  /** Share of one core the server used. */
  cpuShare: number;
  /** Load generator CPU per event received (us). */
  clientUsPerEvent: number;
  /** Events per socket read in the load generator. */
  eventsPerRead: number;
  /** Server CPU by thread (node) or process (nginx) name (ms). */
  threads: Record<string, number>;
  loopDelay: ServerWindow['loopDelay'];
  gc: ServerWindow['gc'];
  p50: number;
  p99: number;
  published: number;
  received: number;
  minPerSubscriber: number;
  maxPerSubscriber: number;
  dropped: number;
  failed: number;
  /** Events/s received over events/s offered, at a fixed rate (NaN otherwise). */
  keptUp: number;
}

interface Active {
  kind: Kind;
  server: Child;
  port: number;
}

/** NaN crosses IPC (JSON) as null: back to NaN. */
const num = (value: unknown): number => (typeof value === 'number' ? value : Number.NaN);

const key = randomBytes(32).toString('hex');
const loadgen = new Child('loadgen', './loadgen.ts', []);
const children: Child[] = [loadgen];
/** Every nginx a server process started, for a last-resort cleanup should that process be killed. */
const nginxes: NonNullable<Ready['nginx']>[] = [];
const profileDir = profile ? mkdtempSync(join(tmpdir(), 'herald-fanout-')) : undefined;
let token = '';

function spawnServer(kind: Kind, extra: string[] = []): Child {
  const spec = SERVERS[kind];
  const flags = spec.node ? ['--expose-gc'] : [];
  // Profiles are taken in-process and mapped back to the TypeScript sources.
  if (profileDir !== undefined && spec.node) flags.push('--enable-source-maps');
  const child = new Child(kind, spec.script, [...spec.args, ...extra], flags);
  children.push(child);
  void child.ready.then((ready) => {
    const started = ready.nginx;
    if (started === undefined) return;
    nginxes.push(started);
    // Should the process that ran nginx be killed, its nginx goes with it.
    void child.exited.then(() => killLeftovers(started.pid, started.dir));
  });
  return child;
}

/** Waits (at most 15 s) until a group has received nothing more for 300 ms. */
async function settle(group: string): Promise<void> {
  let last = -1;
  for (let i = 0; i < 50; i++) {
    const total = await loadgen.call<number>('total', { group });
    if (total === last) return;
    last = total;
    await sleep(300);
  }
}

/** Waits (at most 20 s) until a server counts at least (or at most) `n` open streams. */
async function waitForCount(server: Child, n: number, atLeast: boolean): Promise<void> {
  const until = performance.now() + 20_000;
  while (performance.now() < until) {
    const count = await server.call<number>('count');
    if (atLeast ? count >= n : count <= n) return;
    await sleep(100);
  }
}

/** How one server is published to over HTTP. */
/** Herald's batch publish: `opts.batch` events a request, as NDJSON. */
function batchTarget(active: Active, topic: string): PublishTarget {
  return { ...publishTarget(active, topic), format: 'ndjson', batch: opts.batch };
}

function publishTarget(active: Active, topic: string): PublishTarget {
  if (active.kind === 'nchan')
    return { port: active.port, path: `/publish?topic=${topic}`, format: 'raw', topic, size: opts.size };
  return {
    port: active.port,
    path: '/publish',
    format: 'form',
    topic,
    size: opts.size,
    // Herald verifies a JWT on every publish; the node baselines have no auth.
    token: active.kind.startsWith('herald') ? token : undefined,
  };
}

interface Plan {
  /** The load generator's group of subscribers measured. */
  group: string;
  /** Subscribers in that group during the window. */
  subscribers: number;
  /** Events per second the subscribers should receive in all, at a fixed rate (else NaN). */
  offered: number;
  setup?: () => Promise<unknown>;
  teardown?: () => Promise<unknown>;
  start: () => Promise<unknown>;
  stop: () => Promise<unknown>;
  /** Run-in before the window (ms) and the window (s). */
  leadMs: number;
  seconds: number;
}

/** How each scenario sets up, starts and stops its publisher; undefined where a server cannot run it. */
function scenarioPlan(active: Active, scenario: ScenarioName): Plan | undefined {
  const { server, kind } = active;
  const size = opts.size;
  const group = kind;
  const solo = `${kind}-solo`;
  const call =
    (child: Child, op: string, params: Record<string, unknown> = {}) =>
    () =>
      child.call(op, params);
  const postRate = (rate: number) =>
    call(loadgen, 'post-start', {
      mode: 'rate',
      rate,
      connections: 1,
      depth: 64,
      target: publishTarget(active, 'bench'),
    });
  const postSaturation = (topic: string, g: string) =>
    call(loadgen, 'post-start', {
      mode: 'saturation',
      connections: opts.postConnections,
      depth: opts.postDepth,
      maxLag: opts.maxLag,
      group: g,
      target: publishTarget(active, topic),
    });
  const postStop = call(loadgen, 'post-stop');
  switch (scenario) {
    case 'http':
      return {
        group,
        subscribers: opts.subscribers,
        offered: opts.subscribers * opts.rate,
        start: postRate(opts.rate),
        stop: postStop,
        leadMs: 1000,
        seconds: opts.httpWindow,
      };
    case 'http-10k': {
      const extra = opts.big - opts.subscribers;
      return {
        group,
        subscribers: opts.big,
        offered: opts.big * opts.bigRate,
        setup: async () => {
          await loadgen.call('open', {
            group,
            port: active.port,
            count: extra,
            sampleEvery: opts.sampleEvery,
          });
          await waitForCount(server, opts.big + 1, true);
        },
        teardown: async () => {
          await loadgen.call('trim', { group, count: opts.subscribers });
          await waitForCount(server, opts.subscribers + 1, false);
        },
        start: postRate(opts.bigRate),
        stop: postStop,
        leadMs: 1000,
        seconds: opts.bigWindow,
      };
    }
    case 'http-saturation':
      return {
        group,
        subscribers: opts.subscribers,
        offered: Number.NaN,
        start: postSaturation('bench', group),
        stop: postStop,
        leadMs: 500,
        seconds: opts.httpSaturationWindow,
      };
    case 'http-publish-1':
      return {
        group: solo,
        subscribers: 1,
        offered: Number.NaN,
        start: postSaturation('solo', solo),
        stop: postStop,
        leadMs: 500,
        seconds: opts.publishOneWindow,
      };
    case 'http-publish-batch':
      // Only Herald takes batches; its figure is read against the others' single-event rate.
      if (!kind.startsWith('herald')) return undefined;
      return {
        group: solo,
        subscribers: 1,
        offered: Number.NaN,
        start: call(loadgen, 'post-start', {
          mode: 'saturation',
          connections: opts.postConnections,
          depth: opts.postDepth,
          // Room for every batch in flight, so that the lag bound holds batches back no more than
          // it holds single events back in http-publish-1.
          maxLag: opts.maxLag + opts.postConnections * opts.postDepth * opts.batch,
          group: solo,
          target: batchTarget(active, 'solo'),
        }),
        stop: postStop,
        leadMs: 500,
        seconds: opts.publishBatchWindow,
      };
    case 'latency':
      if (!SERVERS[kind].node) return undefined;
      return {
        group,
        subscribers: opts.subscribers,
        offered: opts.subscribers * opts.rate,
        start: call(server, 'rate-start', { rate: opts.rate, size }),
        stop: call(server, 'rate-stop'),
        leadMs: 500,
        seconds: opts.latencyWindow,
      };
    case 'saturation':
      if (!SERVERS[kind].node) return undefined;
      return {
        group,
        subscribers: opts.subscribers,
        offered: Number.NaN,
        start: call(server, 'saturate-start', { burst: opts.burst, size }),
        stop: call(server, 'saturate-stop'),
        leadMs: 500,
        seconds: opts.saturationWindow,
      };
    case 'quiet':
      // Nothing published: what the server costs with its subscribers connected and idle.
      return {
        group,
        subscribers: opts.subscribers,
        offered: Number.NaN,
        start: call(server, 'count'),
        stop: call(server, 'count'),
        leadMs: 0,
        seconds: opts.quietWindow,
      };
  }
}

/** One measurement window: sets up, starts the publisher, runs in, measures, stops, settles, tears down. */
async function measure(active: Active, plan: Plan): Promise<Result> {
  const { group } = plan;
  await plan.setup?.();
  try {
    await plan.start();
    let stats: PublisherStats | undefined;
    let server: ServerWindow;
    let client: ClientWindow;
    try {
      await sleep(plan.leadMs);
      await Promise.all([active.server.call('window-start'), loadgen.call('window-start', { group })]);
      await sleep(plan.seconds * 1000);
      [server, client] = await Promise.all([
        active.server.call<ServerWindow>('window-end'),
        loadgen.call<ClientWindow>('window-end', { group }),
      ]);
    } finally {
      const stopped = await plan.stop();
      if (typeof stopped === 'object' && stopped !== null && 'acked' in stopped)
        stats = stopped as PublisherStats;
    }
    await settle(group);
    if (stats?.firstFailure !== undefined)
      console.log(
        `  ${active.kind}: ${stats.failed} publishes failed, the first: ${JSON.stringify(stats.firstFailure)}`,
      );
    if (stats !== undefined && stats.sent === 0)
      console.log(`  ${active.kind}: the publisher sent nothing in the window`);
    if (stats?.lost !== undefined)
      console.log(
        `  ${active.kind}: a publisher connection went away (${stats.lost}); publishing stopped there`,
      );
    const cpuUs = num(server.cpuUs);
    return {
      cpuUsPerEvent: cpuUs / client.received,
      // Per publish as the subscribers saw it (the monitor's own $SYS events reach none of them).
      cpuUsPerPublish: (cpuUs * plan.subscribers) / client.received,
      eventsPerSecond: client.received / (client.elapsedMs / 1000),
      ackedPerSecond: num(client.acked) / (client.elapsedMs / 1000),
      cpuShare: cpuUs / 1000 / num(server.elapsedMs),
      clientUsPerEvent: client.cpuUs / client.received,
      eventsPerRead: client.received / client.reads,
      threads: server.threads,
      loopDelay: server.loopDelay,
      gc: server.gc,
      p50: num(client.latency.p50),
      p99: num(client.latency.p99),
      published: num(server.published),
      received: client.received,
      minPerSubscriber: client.minPerSubscriber,
      maxPerSubscriber: client.maxPerSubscriber,
      dropped: num(server.dropped),
      failed: stats?.failed ?? 0,
      keptUp: client.received / (client.elapsedMs / 1000) / plan.offered,
    };
  } finally {
    await plan.teardown?.();
  }
}

interface IdleResult {
  connections: number;
  rssPerConnection: number;
  heapPerConnection: number;
  pssPerConnection: number;
}

async function measureIdle(kind: Kind, wanted: number, loadgenFds: number): Promise<IdleResult> {
  const server = spawnServer(kind, ['--idle']);
  try {
    const ready = await server.ready;
    const fds = Math.min(ready.fdLimit, loadgenFds);
    let n = wanted;
    if (fds > 0 && fds < wanted + 200) {
      n = Math.floor((fds - 200) / 1000) * 1000;
      console.log(`note: open-file limit ${fds} (ulimit -n) allows ${n} idle connections, not ${wanted}`);
    }
    await sleep(300);
    const before = await server.call<MemoryReading>('memory');
    const group = `idle-${kind}`;
    await loadgen.call('open', { group, port: ready.port, count: n, sampleEvery: 0 });
    await waitForCount(server, n, true);
    await sleep(300);
    const after = await server.call<MemoryReading>('memory');
    await loadgen.call('close', { group });
    return {
      connections: n,
      rssPerConnection: (after.rss - before.rss) / n,
      heapPerConnection: (num(after.heapUsed) - num(before.heapUsed)) / n,
      pssPerConnection: (num(after.pss) - num(before.pss)) / n,
    };
  } finally {
    await server.stop();
  }
}

/** With --heap: what one idle connection keeps on the heap, by kind of object (from heap snapshots). */
async function heapBreakdown(kind: Kind, n: number): Promise<Map<string, { count: number; bytes: number }>> {
  const server = spawnServer(kind, ['--idle']);
  const ready = await server.ready;
  const before = await server.call<Census>('heap-census');
  const group = `heap-${kind}`;
  await loadgen.call('open', { group, port: ready.port, count: n, sampleEvery: 0 });
  await waitForCount(server, n, true);
  const after = await server.call<Census>('heap-census');
  await loadgen.call('close', { group });
  await server.stop();
  const { total, top, all } = perConnection(before, after, n, 16);
  console.log(`\nHeap per idle connection, ${SERVERS[kind].label} (${n} connections): ${fmt(total)} bytes\n`);
  console.log(
    table(
      ['kind of object', 'objects/conn', 'bytes/conn'],
      top.map((g) => [g.kind, fmt(g.count), fmt(g.bytes)]),
    ),
  );
  return all;
}

/** With --heap: what Herald keeps per connection beyond what the first baseline keeps. */
function heapDifference(
  herald: Map<string, { count: number; bytes: number }>,
  base: Map<string, { count: number; bytes: number }>,
  baseLabel: string,
): void {
  const rows: [string, number, number][] = [];
  for (const k of new Set([...herald.keys(), ...base.keys()])) {
    const h = herald.get(k) ?? { count: 0, bytes: 0 };
    const b = base.get(k) ?? { count: 0, bytes: 0 };
    rows.push([k, h.count - b.count, h.bytes - b.bytes]);
  }
  rows.sort((x, y) => Math.abs(y[2]) - Math.abs(x[2]));
  const total = rows.reduce((sum, r) => sum + r[2], 0);
  console.log(`\nHeap per idle connection, Herald minus ${baseLabel}: ${fmt(total)} bytes\n`);
  console.log(
    table(
      ['kind of object', 'objects/conn', 'bytes/conn'],
      rows.slice(0, 20).map(([k, c, b]) => [k, fmt(c), fmt(b)]),
    ),
  );
}

function runLine(round: number, scenario: ScenarioName, kind: Kind, r: Result): string {
  const threads = Object.entries(r.threads)
    .filter(([, ms]) => ms > 0)
    .map(([name, ms]) => `${name} ${fmt(ms)} ms`)
    .join(', ');
  return (
    `round ${round + 1} ${scenario.padEnd(15)} ${kind.padEnd(9)} ` +
    `${fmt(r.cpuUsPerEvent)} us/event, ${fmt(r.eventsPerSecond)} events/s, ` +
    (Number.isFinite(r.ackedPerSecond) ? `${fmt(r.ackedPerSecond)} acked/s, ` : '') +
    `cpu ${fmt(r.cpuShare * 100)}%, loadgen ${fmt(r.clientUsPerEvent)} us/event, ${fmt(r.eventsPerRead)} events/read, ` +
    `p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms, ` +
    `per subscriber ${r.minPerSubscriber}..${r.maxPerSubscriber} of ${fmt(r.published)}` +
    (r.dropped > 0 ? `, ${r.dropped} dropped as slow` : '') +
    (r.failed > 0 ? `, ${r.failed} publishes failed` : '') +
    (r.keptUp < BEHIND ? `, BEHIND: ${(r.keptUp * 100).toFixed(0)}% of the offered rate delivered` : '') +
    (r.loopDelay === undefined
      ? ''
      : `; event loop delay p99 ${fmt(r.loopDelay.p99)} ms, max ${fmt(r.loopDelay.max)} ms`) +
    (r.gc === undefined ? '' : `; gc ${fmt(r.gc.totalMs)} ms, longest ${fmt(r.gc.maxMs)} ms`) +
    `; ${threads}`
  );
}

// ---- run -------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  const load = loadavg().map((l) => l.toFixed(2));
  console.log(
    `node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), load average ${load.join(' ')}`,
  );
  token = await mintToken(new TextEncoder().encode(key), { publish: ['**'] });
  process.env.FANOUT_JWT_KEY = key;
  if (opts.heraldOptions !== '') process.env.FANOUT_HERALD_OPTIONS = opts.heraldOptions;
  const lg = await loadgen.ready;
  console.log(`load generator: open-file limit ${lg.fdLimit}`);
  const needed = opts.servers.length * (opts.subscribers + 1) + (opts.big - opts.subscribers) + 100;
  if (opts.scenarios.includes('http-10k') && lg.fdLimit > 0 && lg.fdLimit < needed) {
    const big = Math.floor((lg.fdLimit - opts.servers.length * (opts.subscribers + 1) - 100) / 1000) * 1000;
    console.log(
      `note: open-file limit ${lg.fdLimit} (ulimit -n) allows ${big} subscribers in http-10k, not ${opts.big}`,
    );
    opts.big = Math.max(opts.subscribers, big);
  }
  console.log(
    `${opts.subscribers} subscribers per server (${opts.big} in http-10k at ${opts.bigRate} events/s); ` +
      `${opts.rate} events/s; HTTP saturation: ${opts.postConnections} connections x ${opts.postDepth} pipelined, ` +
      `at most ${opts.maxLag} events ahead of the slowest subscriber; IPC saturation bursts of ${opts.burst}; ` +
      `${opts.size}-byte data; ${opts.rounds} round(s); servers: ${opts.servers.join(', ')}`,
  );

  // All servers up at once, each with its subscribers (and one on topic `solo`); then each scenario
  // runs on each server in turn (interleaved), so that every ratio compares figures taken close
  // together in time.
  const actives: Active[] = [];
  for (const kind of opts.servers) {
    const server = spawnServer(kind);
    const ready = await Promise.race([
      server.ready,
      server.exited.then((code) => {
        throw new Error(`${kind} exited (${code}) before it was ready`);
      }),
    ]);
    const opened = await loadgen.call<{ opened: number; ms: number }>('open', {
      group: kind,
      port: ready.port,
      count: opts.subscribers,
      sampleEvery: opts.sampleEvery,
    });
    await loadgen.call('open', {
      group: `${kind}-solo`,
      port: ready.port,
      count: 1,
      sampleEvery: 1,
      topic: 'solo',
    });
    console.log(
      `${kind}: pid ${server.pid}${ready.nginx === undefined ? '' : ` (nginx master ${ready.nginx.pid})`}, ` +
        `port ${ready.port}, ${opened.opened} subscribers in ${fmt(opened.ms)} ms`,
    );
    actives.push({ kind, server, port: ready.port });
  }
  // Warm-up (JIT, buffers): a short saturation run on each, in-process where it can, and over HTTP.
  for (const active of actives) {
    if (SERVERS[active.kind].node) {
      await active.server.call('saturate-start', { burst: opts.burst, size: opts.size });
      await sleep(quick ? 300 : 700);
      await active.server.call('saturate-stop');
      await settle(active.kind);
    }
    await loadgen.call('post-start', {
      mode: 'saturation',
      connections: opts.postConnections,
      depth: opts.postDepth,
      maxLag: opts.maxLag,
      group: active.kind,
      target: publishTarget(active, 'bench'),
    });
    await sleep(quick ? 300 : 700);
    await loadgen.call('post-stop');
    await settle(active.kind);
  }

  const profiled = actives.filter((a) => SERVERS[a.kind].node);
  if (profileDir !== undefined) for (const active of profiled) await active.server.call('profile-start');
  const results = new Map<string, (Result | undefined)[]>();
  for (let round = 0; round < opts.rounds; round++) {
    for (const scenario of opts.scenarios) {
      for (const active of actives) {
        const plan = scenarioPlan(active, scenario);
        if (plan === undefined) continue;
        const k = `${scenario}/${active.kind}`;
        const list = results.get(k) ?? [];
        results.set(k, list);
        try {
          const result = await measure(active, plan);
          list[round] = result;
          console.log(runLine(round, scenario, active.kind, result));
        } catch (error) {
          console.log(`round ${round + 1} ${scenario} ${active.kind}: failed, ${String(error)}`);
        }
      }
    }
  }
  if (profileDir !== undefined) {
    for (const active of profiled)
      await active.server.call('profile-stop', { file: join(profileDir, `${active.kind}.cpuprofile`) });
  }
  for (const active of actives) await active.server.stop();
  for (const kind of opts.servers) {
    await loadgen.call('close', { group: kind });
    await loadgen.call('close', { group: `${kind}-solo` });
  }

  const idle = new Map<Kind, IdleResult>();
  for (const kind of opts.servers) {
    const result = await measureIdle(kind, opts.idle, lg.fdLimit);
    idle.set(kind, result);
    console.log(
      `idle ${kind.padEnd(9)} ${result.connections} connections: ${fmt(result.rssPerConnection)} B RSS` +
        (Number.isFinite(result.heapPerConnection) ? `, ${fmt(result.heapPerConnection)} B heap` : '') +
        (Number.isFinite(result.pssPerConnection) ? `, ${fmt(result.pssPerConnection)} B PSS` : '') +
        ' per connection',
    );
  }
  if (heap) {
    const censuses = new Map<Kind, Map<string, { count: number; bytes: number }>>();
    for (const kind of opts.servers.filter((k) => SERVERS[k].node))
      censuses.set(kind, await heapBreakdown(kind, 2000));
    const base = opts.servers.find((k) => SERVERS[k].node && !k.startsWith('herald'));
    if (base !== undefined && censuses.has('herald'))
      heapDifference(censuses.get('herald')!, censuses.get(base)!, SERVERS[base].label);
  }
  await loadgen.stop();

  report(results, idle, (performance.now() - started) / 1000);
  if (profileDir !== undefined) {
    for (const active of profiled) {
      const file = join(profileDir, `${active.kind}.cpuprofile`);
      console.log(`\nCPU profile of ${SERVERS[active.kind].label} over the measured rounds (${file}):\n`);
      console.log(summarizeProfiles(file, 30));
    }
  }
}

// ---- report ----------------------------------------------------------------------------------------

/** At a fixed rate, a server that delivers less than this share of the offered events fell behind. */
const BEHIND = 0.95;

type Results = Map<string, (Result | undefined)[]>;
type Pick = (r: Result) => number;

const finite = (values: readonly number[]): number[] => values.filter((v) => Number.isFinite(v));

/** The median over rounds of one figure. */
function figure(results: Results, scenario: ScenarioName, kind: Kind, pick: Pick): number {
  const list = results.get(`${scenario}/${kind}`) ?? [];
  return median(finite(list.map((r) => (r === undefined ? Number.NaN : pick(r)))));
}

/** Per-round ratios of a figure, `kind` over `base` (each pair taken close together in time). */
function roundRatios(results: Results, scenario: ScenarioName, kind: Kind, base: Kind, pick: Pick): number[] {
  const a = results.get(`${scenario}/${kind}`) ?? [];
  const b = results.get(`${scenario}/${base}`) ?? [];
  const ratios: number[] = [];
  for (let i = 0; i < opts.rounds; i++) {
    const x = a[i];
    const y = b[i];
    if (x !== undefined && y !== undefined) ratios.push(pick(x) / pick(y));
  }
  return finite(ratios);
}

interface Paired {
  value: number;
  text: string;
}

/** The median of the per-round ratios with their range, as `1.07x (0.98-1.12)`. */
function paired(results: Results, scenario: ScenarioName, kind: Kind, base: Kind, pick: Pick): Paired {
  const list = roundRatios(results, scenario, kind, base, pick);
  if (list.length === 0) return { value: Number.NaN, text: '-' };
  const value = median(list);
  const lo = Math.min(...list);
  const hi = Math.max(...list);
  const range = list.length > 1 ? ` (${lo.toFixed(2)}-${hi.toFixed(2)})` : '';
  return { value, text: `${value.toFixed(2)}x${range}` };
}

function titles(): Record<ScenarioName, string> {
  return {
    http: `${opts.subscribers} subs x ${opts.rate} ev/s (HTTP POST)`,
    'http-10k': `${opts.big} subs x ${opts.bigRate} ev/s (HTTP POST)`,
    'http-saturation': `${opts.subscribers} subs, saturation (HTTP POST)`,
    'http-publish-1': '1 sub, saturation (HTTP POST)',
    'http-publish-batch': `1 sub, saturation (NDJSON, ${opts.batch} a POST)`,
    latency: `${opts.subscribers} subs x ${opts.rate} ev/s (IPC)`,
    saturation: `${opts.subscribers} subs, saturation (IPC)`,
    quiet: `${opts.subscribers} subs, nothing published`,
  };
}

/**
 * Herald's acknowledged events per second with NDJSON batches against each server's single-event
 * rate (http-publish-1), round by round (issue 21 asks for at least 5x Nchan's).
 */
function batchLine(results: Results): string {
  const batches = results.get('http-publish-batch/herald') ?? [];
  const against = (base: Kind) => {
    const singles = results.get(`http-publish-1/${base}`) ?? [];
    const ratios = batches
      .map((r, i) => (r?.ackedPerSecond ?? Number.NaN) / (singles[i]?.ackedPerSecond ?? Number.NaN))
      .filter(Number.isFinite);
    return ratios.length === 0 ? '-' : `${median(ratios).toFixed(2)}x ${SERVERS[base].label}'s`;
  };
  const bases = (['nchan', 'raw', 'herald'] as Kind[]).filter((k) => opts.servers.includes(k));
  return `acknowledged events/s with NDJSON batches of ${opts.batch}, 1 subscriber (target >= 5x Nchan's single-event rate): ${bases.map(against).join(', ')}`;
}

function report(results: Results, idle: Map<Kind, IdleResult>, seconds: number): void {
  // Ratios against the raw-socket baseline and Nchan; against the node:http baselines without them.
  let bases = (['raw', 'nchan'] as Kind[]).filter((k) => opts.servers.includes(k));
  if (bases.length === 0)
    bases = (['baseline', 'coalesce'] as Kind[]).filter((k) => opts.servers.includes(k));
  const short = (k: Kind) => (k === 'raw' ? 'raw' : SERVERS[k].label);
  const cpu: Pick = (r) => r.cpuUsPerEvent;
  const p99: Pick = (r) => r.p99;
  const events: Pick = (r) => r.eventsPerSecond;
  const acked: Pick = (r) => r.ackedPerSecond;
  const ratioCells = (scenario: ScenarioName, kind: Kind, pick: Pick) =>
    bases.map((b) => (b === kind ? '' : paired(results, scenario, kind, b, pick).text));
  const title = titles();

  const rows: string[][] = [];
  for (const scenario of opts.scenarios) {
    for (const kind of opts.servers) {
      if (!results.has(`${scenario}/${kind}`)) continue;
      const get = (pick: Pick) => figure(results, scenario, kind, pick);
      rows.push([
        title[scenario],
        SERVERS[kind].label,
        fmt(get(cpu)),
        ...ratioCells(scenario, kind, cpu),
        fmt(get((r) => r.cpuShare * 100)),
        fmt(get(events)) + (get((r) => r.keptUp) < BEHIND ? ' *' : ''),
        fmt(get(acked)),
        fmt(get((r) => r.p50)),
        fmt(get(p99)),
        ...ratioCells(scenario, kind, p99),
      ]);
    }
  }
  const load = loadavg().map((l) => l.toFixed(2));
  console.log(
    `\n## Fan-out results (${seconds.toFixed(0)} s run; medians of ${opts.rounds} round(s); ratios are medians of ` +
      `per-round ratios, their range in brackets; load average at the end ${load.join(' ')})\n`,
  );
  console.log(
    table(
      [
        'scenario',
        'server',
        'CPU us/event',
        ...bases.map((b) => `x ${short(b)}`),
        'CPU %',
        'events/s',
        'acked/s',
        'p50 ms',
        'p99 ms',
        ...bases.map((b) => `p99 x ${short(b)}`),
      ],
      rows,
    ),
  );
  if (rows.some((r) => r.some((cell) => cell.endsWith(' *'))))
    console.log(
      `\n\\* fell behind: delivered less than ${BEHIND * 100}% of the events offered at the fixed rate ` +
        '(median of the rounds); its other figures describe an overloaded server.',
    );

  // Throughput where the publisher goes as fast as it can: higher is better.
  const throughputRows: string[][] = [];
  for (const scenario of ['http-saturation', 'http-publish-1', 'http-publish-batch', 'saturation'] as const) {
    if (!opts.scenarios.includes(scenario)) continue;
    for (const kind of opts.servers) {
      if (!results.has(`${scenario}/${kind}`)) continue;
      throughputRows.push([
        title[scenario],
        SERVERS[kind].label,
        fmt(figure(results, scenario, kind, events)),
        ...ratioCells(scenario, kind, events),
        fmt(figure(results, scenario, kind, acked)),
        ...ratioCells(scenario, kind, acked),
      ]);
    }
  }
  if (throughputRows.length > 0) {
    console.log('');
    console.log(
      table(
        [
          'saturation',
          'server',
          'events/s',
          ...bases.map((b) => `x ${short(b)}`),
          'acked/s',
          ...bases.map((b) => `x ${short(b)}`),
        ],
        throughputRows,
      ),
    );
  }

  const idleRatio = (kind: Kind, base: Kind) => {
    const a = idle.get(kind)?.rssPerConnection ?? Number.NaN;
    const b = idle.get(base)?.rssPerConnection ?? Number.NaN;
    return kind === base ? '' : Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : '-';
  };
  console.log('');
  console.log(
    table(
      [
        'idle memory',
        'connections',
        'RSS KiB/conn',
        ...bases.map((b) => `x ${short(b)}`),
        'heap KiB/conn',
        'PSS KiB/conn',
      ],
      opts.servers.map((kind) => {
        const r = idle.get(kind)!;
        return [
          SERVERS[kind].label,
          String(r.connections),
          fmt(r.rssPerConnection / 1024),
          ...bases.map((b) => idleRatio(kind, b)),
          fmt(r.heapPerConnection / 1024),
          fmt(r.pssPerConnection / 1024),
        ];
      }),
    ),
  );

  if (!opts.servers.includes('herald')) return;
  // The targets of issue 11, as measured here.
  const verdict = (r: number, ok: (r: number) => boolean) =>
    !Number.isFinite(r) ? 'not measured' : ok(r) ? 'met' : 'MISSED';
  const atMost = (limit: number) => (r: number) => r <= limit;
  const below = (limit: number) => (r: number) => r < limit;
  const atLeast = (limit: number) => (r: number) => r >= limit;
  const line = (what: string, scenario: ScenarioName, base: Kind, pick: Pick, ok: (r: number) => boolean) => {
    const r = paired(results, scenario, 'herald', base, pick);
    const behind = (['herald', base] as Kind[])
      .map((k) => [k, figure(results, scenario, k, (x) => x.keptUp)] as const)
      .filter(([, share]) => share < BEHIND)
      .map(
        ([k, share]) =>
          `${SERVERS[k].label} delivered only ${(share * 100).toFixed(0)}% of the offered events`,
      );
    const note = behind.length === 0 ? '' : ` (but ${behind.join(', ')}: unequal loads)`;
    return `${what}: ${r.text}, ${verdict(r.value, ok)}${note}`;
  };
  const t = title;
  const lines = [
    line(`${t.http}: CPU per delivered event, Herald / Nchan <= 1`, 'http', 'nchan', cpu, atMost(1)),
    line(`${t.http}: CPU per delivered event, Herald / raw socket <= 1.1`, 'http', 'raw', cpu, atMost(1.1)),
    line(
      `${t['http-10k']}: CPU per delivered event, Herald / Nchan <= 1`,
      'http-10k',
      'nchan',
      cpu,
      atMost(1),
    ),
    line(
      `${t['http-saturation']}: delivered events/s, Herald / Nchan >= 1`,
      'http-saturation',
      'nchan',
      events,
      atLeast(1),
    ),
    line(`${t['http-saturation']}: p99, Herald / Nchan < 1`, 'http-saturation', 'nchan', p99, below(1)),
    line(`${t.http}: publish-to-receive p99, Herald / raw socket <= 1.25`, 'http', 'raw', p99, atMost(1.25)),
  ];
  const h = idle.get('herald')?.rssPerConnection ?? Number.NaN;
  const n = idle.get('nchan')?.rssPerConnection ?? Number.NaN;
  lines.push(
    `idle memory per connection (RSS growth / connections), Herald / Nchan <= 1: ` +
      `${Number.isFinite(h / n) ? `${(h / n).toFixed(2)}x` : '-'}, ${verdict(h / n, atMost(1))}`,
  );
  const info = (what: string, scenario: ScenarioName) =>
    `${what} (no target): Herald / Nchan ${paired(results, scenario, 'herald', 'nchan', acked).text}, ` +
    `Herald / raw socket ${paired(results, scenario, 'herald', 'raw', acked).text}`;
  lines.push(info('acknowledged publishes/s at saturation, 1 subscriber', 'http-publish-1'));
  lines.push(batchLine(results));
  lines.push(
    info(`acknowledged publishes/s at saturation, ${opts.subscribers} subscribers`, 'http-saturation'),
  );
  console.log(`\nTargets (issue 11):\n${lines.map((l) => `- ${l}`).join('\n')}`);
}

// ---- lifetime --------------------------------------------------------------------------------------

/** Stops every child, then kills any nginx a killed server process left behind. */
async function stopAll(): Promise<void> {
  await Promise.all(children.map((child) => child.stop()));
  for (const { pid, dir } of nginxes) killLeftovers(pid, dir);
}

const deadline = setTimeout(
  () => {
    console.error(`fanout: the run took longer than ${opts.deadlineMinutes} minutes; stopping`);
    void stopAll().finally(() => process.exit(1));
  },
  opts.deadlineMinutes * 60 * 1000,
).unref();
process.once('SIGINT', () => {
  console.error('fanout: interrupted; stopping every process it started');
  void stopAll().finally(() => process.exit(130));
});

try {
  await main();
} finally {
  clearTimeout(deadline);
  await stopAll();
}
