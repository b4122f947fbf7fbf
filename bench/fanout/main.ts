// Fan-out benchmark: Herald against a bare node:http loop that writes one pre-encoded Buffer to every
// socket (and the same loop coalescing one turn's events per socket). Each server runs in its own
// process; a load generator process subscribes over loopback. Servers measure their own CPU with
// process.cpuUsage() over each window. See bench/README.md for what every figure means.
//
//   npm run bench fanout                      # about 3 minutes (3 rounds)
//   node --import tsx bench/fanout/main.ts --quick
//   node --import tsx bench/fanout/main.ts --profile   # also profiles each server (see bench/README.md)
//   node --import tsx bench/fanout/main.ts --heap      # also what one idle connection keeps on the heap
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintToken } from '../../src/index.js';
import { type Census, perConnection } from './heap-census.js';
import { Child } from './ipc.js';
import type { ClientWindow } from './loadgen.js';
import { summarizeProfiles } from './profile-summary.js';
import type { MemoryReading, ServerWindow } from './server-harness.js';
import { fmt, median, ratio, sleep, table } from './stats.js';

type Kind = 'baseline' | 'coalesce' | 'concat' | 'herald' | 'herald-custom';
type ScenarioName = 'latency' | 'saturation' | 'http' | 'quiet';

const SERVERS: Record<Kind, { label: string; script: string; args: string[] }> = {
  baseline: { label: 'baseline', script: './server-baseline.ts', args: [] },
  coalesce: { label: 'coalescing baseline', script: './server-baseline.ts', args: ['--coalesce'] },
  concat: { label: 'concat baseline', script: './server-baseline.ts', args: ['--concat'] },
  herald: { label: 'Herald', script: './server-herald.ts', args: [] },
  'herald-custom': { label: 'Herald (--herald-options)', script: './server-herald.ts', args: ['--custom'] },
};

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
  servers: option('servers', 'baseline,coalesce,herald').split(',') as Kind[],
  subscribers: Number(option('subscribers', '1000')),
  idle: Number(option('idle', '10000')),
  rate: Number(option('rate', '20')),
  burst: Number(option('burst', '8')),
  size: Number(option('size', '100')),
  rounds: Number(option('rounds', quick ? '1' : '3')),
  /** Seconds of each measurement window. */
  latencyWindow: Number(option('latency-seconds', quick ? '3' : '4')),
  saturationWindow: Number(option('saturation-seconds', '2')),
  httpWindow: Number(option('http-seconds', '3')),
  quietWindow: Number(option('quiet-seconds', '1.5')),
  scenarios: option('scenarios', 'latency,saturation,http,quiet').split(',') as ScenarioName[],
  heraldOptions: option('herald-options', ''),
  /** Every n-th subscriber reads the send time out of each event. */
  sampleEvery: Number(option('sample-every', '10')),
};
for (const kind of opts.servers) if (!(kind in SERVERS)) throw new Error(`unknown server ${kind}`);

// ---- measurement -----------------------------------------------------------------------------------

interface Result {
  cpuUsPerEvent: number;
  cpuUsPerPublish: number;
  eventsPerSecond: number;
  /** Share of one core the server used. */
  cpuShare: number;
  /** Load generator CPU per event received (us). */
  clientUsPerEvent: number;
  /** Events per socket read in the load generator. */
  eventsPerRead: number;
  /** Server CPU by thread name (ms). */
  threads: Record<string, number>;
  p50: number;
  p99: number;
  published: number;
  received: number;
  minPerSubscriber: number;
  maxPerSubscriber: number;
  dropped: number;
}

interface Active {
  kind: Kind;
  server: Child;
  port: number;
}

const key = randomBytes(32).toString('hex');
const loadgen = new Child('loadgen', './loadgen.ts', []);
const children: Child[] = [loadgen];
const profileDir = profile ? mkdtempSync(join(tmpdir(), 'herald-fanout-')) : undefined;

function spawnServer(kind: Kind, extra: string[] = []): Child {
  const spec = SERVERS[kind];
  const flags = ['--expose-gc'];
  // Profiles are taken in-process and mapped back to the TypeScript sources.
  if (profileDir !== undefined) flags.push('--enable-source-maps');
  const child = new Child(kind, spec.script, [...spec.args, ...extra], flags);
  children.push(child);
  return child;
}

/** Waits until a group has received nothing more for 300 ms (what was in flight has landed). */
async function settle(group: string): Promise<void> {
  let last = -1;
  for (let i = 0; i < 50; i++) {
    const total = await loadgen.call<number>('total', { group });
    if (total === last) return;
    last = total;
    await sleep(300);
  }
}

/** One measurement window: starts the publisher, lets it run in, measures, stops it, lets it settle. */
async function measure(
  active: Active,
  start: () => Promise<unknown>,
  stop: () => Promise<unknown>,
  leadMs: number,
  seconds: number,
): Promise<Result> {
  const group = active.kind;
  await start();
  await sleep(leadMs);
  await Promise.all([active.server.call('window-start'), loadgen.call('window-start', { group })]);
  await sleep(seconds * 1000);
  const [server, client] = await Promise.all([
    active.server.call<ServerWindow>('window-end'),
    loadgen.call<ClientWindow>('window-end', { group }),
  ]);
  await stop();
  await settle(group);
  return {
    cpuUsPerEvent: server.cpuUs / client.received,
    // Per publish as the subscribers saw it (the monitor's own $SYS events reach none of them).
    cpuUsPerPublish: (server.cpuUs * opts.subscribers) / client.received,
    eventsPerSecond: client.received / (client.elapsedMs / 1000),
    cpuShare: server.cpuUs / 1000 / server.elapsedMs,
    clientUsPerEvent: client.cpuUs / client.received,
    eventsPerRead: client.received / client.reads,
    threads: server.threads,
    // No samples: NaN, which comes over IPC (JSON) as null.
    p50: client.latency.p50 ?? Number.NaN,
    p99: client.latency.p99 ?? Number.NaN,
    published: server.published,
    received: client.received,
    minPerSubscriber: client.minPerSubscriber,
    maxPerSubscriber: client.maxPerSubscriber,
    dropped: server.dropped,
  };
}

/** How each scenario starts and stops its publisher, its run-in (ms) and its window (s). */
function scenarioPlan(active: Active, scenario: ScenarioName, token: string) {
  const { server, port } = active;
  const size = opts.size;
  const plans = {
    latency: [['rate-start', { rate: opts.rate, size }], 'rate-stop', 500, opts.latencyWindow],
    saturation: [
      ['saturate-start', { burst: opts.burst, size }],
      'saturate-stop',
      500,
      opts.saturationWindow,
    ],
    http: [['post-start', { port, rate: opts.rate, size, token }], 'post-stop', 1000, opts.httpWindow],
    // Nothing published: what the server costs with its subscribers connected and idle.
    quiet: [['count', {}], 'count', 0, opts.quietWindow],
  } as const;
  const [[startOp, params], stopOp, leadMs, seconds] = plans[scenario];
  // Over HTTP the load generator publishes; otherwise the server publishes to itself.
  const publisher = scenario === 'http' ? loadgen : server;
  return {
    start: () => publisher.call(startOp, params),
    stop: () => publisher.call(stopOp),
    leadMs,
    seconds,
  };
}

function runScenario(active: Active, scenario: ScenarioName, token: string): Promise<Result> {
  const plan = scenarioPlan(active, scenario, token);
  return measure(active, plan.start, plan.stop, plan.leadMs, plan.seconds);
}

interface IdleResult {
  connections: number;
  rssPerConnection: number;
  heapPerConnection: number;
  externalPerConnection: number;
}

async function measureIdle(kind: Kind, wanted: number, loadgenFds: number): Promise<IdleResult> {
  const server = spawnServer(kind, ['--idle']);
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
  for (let i = 0; i < 100 && (await server.call<number>('count')) < n; i++) await sleep(50);
  await sleep(300);
  const after = await server.call<MemoryReading>('memory');
  await loadgen.call('close', { group });
  await server.stop();
  return {
    connections: n,
    rssPerConnection: (after.rss - before.rss) / n,
    heapPerConnection: (after.heapUsed - before.heapUsed) / n,
    externalPerConnection: (after.external - before.external) / n,
  };
}

/** With --heap: what one idle connection keeps on the heap, by kind of object (from heap snapshots). */
async function heapBreakdown(kind: Kind, n: number): Promise<Map<string, { count: number; bytes: number }>> {
  const server = spawnServer(kind, ['--idle']);
  const ready = await server.ready;
  const before = await server.call<Census>('heap-census');
  const group = `heap-${kind}`;
  await loadgen.call('open', { group, port: ready.port, count: n, sampleEvery: 0 });
  for (let i = 0; i < 100 && (await server.call<number>('count')) < n; i++) await sleep(50);
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
  for (const key of new Set([...herald.keys(), ...base.keys()])) {
    const h = herald.get(key) ?? { count: 0, bytes: 0 };
    const b = base.get(key) ?? { count: 0, bytes: 0 };
    rows.push([key, h.count - b.count, h.bytes - b.bytes]);
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

// ---- run -------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  const load = loadavg().map((l) => l.toFixed(2));
  console.log(
    `node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), load average ${load.join(' ')}`,
  );
  const token = await mintToken(new TextEncoder().encode(key), { publish: ['**'] });
  process.env.FANOUT_JWT_KEY = key;
  if (opts.heraldOptions !== '') process.env.FANOUT_HERALD_OPTIONS = opts.heraldOptions;
  const lg = await loadgen.ready;
  console.log(`load generator: open-file limit ${lg.fdLimit}`);
  console.log(
    `${opts.subscribers} subscribers per server; ${opts.rate} events/s; saturation bursts of ${opts.burst}; ` +
      `${opts.size}-byte data; ${opts.rounds} round(s); servers: ${opts.servers.join(', ')}`,
  );

  // All servers up at once, each with its subscribers; then each scenario runs on each server in
  // turn (interleaved), so that every ratio compares figures taken close together in time.
  const actives: Active[] = [];
  for (const kind of opts.servers) {
    const server = spawnServer(kind);
    const ready = await server.ready;
    const opened = await loadgen.call<{ opened: number; ms: number }>('open', {
      group: kind,
      port: ready.port,
      count: opts.subscribers,
      sampleEvery: opts.sampleEvery,
    });
    console.log(
      `${kind}: pid ${server.pid}, port ${ready.port}, ${opened.opened} subscribers in ${fmt(opened.ms)} ms`,
    );
    actives.push({ kind, server, port: ready.port });
  }
  // Warm-up (JIT, buffers): a short saturation run on each, not measured.
  for (const active of actives) {
    await active.server.call('saturate-start', { burst: opts.burst, size: opts.size });
    await sleep(quick ? 500 : 1000);
    await active.server.call('saturate-stop');
    await settle(active.kind);
  }

  if (profileDir !== undefined) for (const active of actives) await active.server.call('profile-start');
  const scenarios = opts.scenarios;
  const results = new Map<string, Result[]>();
  for (let round = 0; round < opts.rounds; round++) {
    for (const scenario of scenarios) {
      for (const active of actives) {
        const result = await runScenario(active, scenario, token);
        const k = `${scenario}/${active.kind}`;
        results.set(k, [...(results.get(k) ?? []), result]);
        console.log(
          `round ${round + 1} ${scenario.padEnd(10)} ${active.kind.padEnd(8)} ` +
            `${fmt(result.cpuUsPerEvent)} us/event, ${fmt(result.eventsPerSecond)} events/s, ` +
            `cpu ${fmt(result.cpuShare * 100)}%, loadgen ${fmt(result.clientUsPerEvent)} us/event, ${fmt(result.eventsPerRead)} events/read, p50 ${fmt(result.p50)} ms, p99 ${fmt(result.p99)} ms, ` +
            `per subscriber ${result.minPerSubscriber}..${result.maxPerSubscriber} of ${result.published}` +
            (result.dropped > 0 ? `, ${result.dropped} dropped as slow` : '') +
            `; threads ${Object.entries(result.threads)
              .filter(([, ms]) => ms > 0)
              .map(([name, ms]) => `${name} ${ms} ms`)
              .join(', ')}`,
        );
      }
    }
  }
  if (profileDir !== undefined) {
    for (const active of actives)
      await active.server.call('profile-stop', { file: join(profileDir, `${active.kind}.cpuprofile`) });
  }
  for (const active of actives) await active.server.stop();
  await Promise.all(opts.servers.map((kind) => loadgen.call('close', { group: kind })));

  const idle = new Map<Kind, IdleResult>();
  for (const kind of opts.servers) {
    const result = await measureIdle(kind, opts.idle, lg.fdLimit);
    idle.set(kind, result);
    console.log(
      `idle ${kind.padEnd(8)} ${result.connections} connections: ${fmt(result.rssPerConnection)} B RSS, ` +
        `${fmt(result.heapPerConnection)} B heap, ${fmt(result.externalPerConnection)} B external per connection`,
    );
  }
  if (heap) {
    const censuses = new Map<Kind, Map<string, { count: number; bytes: number }>>();
    for (const kind of opts.servers) censuses.set(kind, await heapBreakdown(kind, 2000));
    const base = opts.servers.find((k) => !k.startsWith('herald'));
    if (base !== undefined && censuses.has('herald'))
      heapDifference(censuses.get('herald')!, censuses.get(base)!, SERVERS[base].label);
  }
  await loadgen.stop();

  report(results, idle, (performance.now() - started) / 1000);
  if (profileDir !== undefined) {
    for (const kind of opts.servers) {
      const file = join(profileDir, `${kind}.cpuprofile`);
      console.log(`\nCPU profile of ${SERVERS[kind].label} over the measured rounds (${file}):\n`);
      console.log(summarizeProfiles(file, 30));
    }
  }
}

/** The median over rounds of one figure. */
function figure(
  results: Map<string, Result[]>,
  scenario: ScenarioName,
  kind: Kind,
  pick: (r: Result) => number,
) {
  const list = results.get(`${scenario}/${kind}`);
  return list === undefined ? Number.NaN : median(list.map(pick));
}

/** Per-round ratios of a figure, `kind` over `base` (each pair taken close together in time). */
function roundRatios(
  results: Map<string, Result[]>,
  scenario: ScenarioName,
  kind: Kind,
  base: Kind,
  pick: (r: Result) => number,
): number[] {
  const a = results.get(`${scenario}/${kind}`) ?? [];
  const b = results.get(`${scenario}/${base}`) ?? [];
  return a.map((r, i) => pick(r) / (b[i] === undefined ? Number.NaN : pick(b[i]!)));
}

/** The median of the per-round ratios, as `1.07x`. */
function pairedRatio(...args: Parameters<typeof roundRatios>): string {
  const value = median(roundRatios(...args));
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : '-';
}

function report(results: Map<string, Result[]>, idle: Map<Kind, IdleResult>, seconds: number): void {
  const rows: string[][] = [];
  const titles: Record<ScenarioName, string> = {
    latency: `${opts.subscribers} subs x ${opts.rate} ev/s (IPC)`,
    saturation: `${opts.subscribers} subs, saturation (IPC)`,
    http: `${opts.subscribers} subs x ${opts.rate} ev/s (HTTP POST)`,
    quiet: `${opts.subscribers} subs, nothing published`,
  };
  for (const scenario of opts.scenarios) {
    for (const kind of opts.servers) {
      const get = (pick: (r: Result) => number, k: Kind = kind) => figure(results, scenario, k, pick);
      const cpu = (r: Result) => r.cpuUsPerEvent;
      const p99 = (r: Result) => r.p99;
      rows.push([
        titles[scenario],
        SERVERS[kind].label,
        fmt(get(cpu)),
        pairedRatio(results, scenario, kind, 'baseline', cpu),
        pairedRatio(results, scenario, kind, 'coalesce', cpu),
        fmt(get((r) => r.cpuUsPerPublish)),
        fmt(get((r) => r.cpuShare * 100)),
        fmt(get((r) => r.eventsPerSecond)),
        fmt(get((r) => r.p50)),
        fmt(get(p99)),
        pairedRatio(results, scenario, kind, 'baseline', p99),
      ]);
    }
  }
  const load = loadavg().map((l) => l.toFixed(2));
  console.log(
    `\n## Fan-out results (${seconds.toFixed(0)} s run; medians of ${opts.rounds} round(s), ratios are medians of per-round ratios; ` +
      `load average at the end ${load.join(' ')})\n`,
  );
  console.log(
    table(
      [
        'scenario',
        'server',
        'CPU us/event',
        'x baseline',
        'x coalescing',
        'CPU us/publish',
        'CPU %',
        'events/s',
        'p50 ms',
        'p99 ms',
        'p99 x baseline',
      ],
      rows,
    ),
  );
  const idleRows = opts.servers.map((kind) => {
    const r = idle.get(kind)!;
    const base = idle.get('baseline');
    return [
      SERVERS[kind].label,
      String(r.connections),
      fmt(r.rssPerConnection / 1024),
      ratio(r.rssPerConnection, base?.rssPerConnection ?? Number.NaN),
      fmt(r.heapPerConnection / 1024),
      ratio(r.heapPerConnection, base?.heapPerConnection ?? Number.NaN),
    ];
  });
  console.log('');
  console.log(
    table(
      ['idle memory', 'connections', 'RSS KiB/conn', 'x baseline', 'heap KiB/conn', 'x baseline'],
      idleRows,
    ),
  );

  if (!opts.servers.includes('herald')) return;
  const verdict = (r: number, limit: number) =>
    !Number.isFinite(r) ? 'not measured' : r <= limit ? 'met' : 'MISSED';
  const lines: string[] = [];
  // A ratio: the median of the per-round ratios, with their range.
  const paired = (scenario: ScenarioName, base: Kind, pick: (r: Result) => number) => {
    const list = roundRatios(results, scenario, 'herald', base, pick);
    const sorted = [...list].sort((x, y) => x - y);
    const range = list.length > 1 ? ` (rounds ${sorted[0]!.toFixed(2)} to ${sorted.at(-1)!.toFixed(2)})` : '';
    return { value: median(list), text: `${median(list).toFixed(2)}x${range}` };
  };
  if (opts.servers.includes('coalesce')) {
    for (const scenario of ['latency', 'saturation'] as const) {
      const r = paired(scenario, 'coalesce', (x) => x.cpuUsPerEvent);
      lines.push(
        `CPU per delivered event within 1.1x of the coalescing baseline (${scenario}): ${r.text}, ${verdict(r.value, 1.1)}`,
      );
    }
  }
  if (opts.servers.includes('baseline')) {
    const base = idle.get('baseline')!;
    const herald = idle.get('herald')!;
    const mem = herald.rssPerConnection / base.rssPerConnection;
    lines.push(`idle RSS per connection no more than the baseline's: ${mem.toFixed(2)}x, ${verdict(mem, 1)}`);
    const heap = herald.heapPerConnection / base.heapPerConnection;
    lines.push(`(idle heap per connection: ${heap.toFixed(2)}x the baseline's)`);
    const p99 = paired('latency', 'baseline', (x) => x.p99);
    lines.push(
      `p99 no worse than the baseline's at ${opts.subscribers} x ${opts.rate}/s: ${p99.text}, ${verdict(p99.value, 1)}`,
    );
  }
  console.log(`\nTargets:\n${lines.map((l) => `- ${l}`).join('\n')}`);
}

const deadline = setTimeout(
  () => {
    console.error('fanout: the run took too long; stopping');
    for (const child of children) void child.stop();
    process.exitCode = 1;
  },
  10 * 60 * 1000,
).unref();

try {
  await main();
} finally {
  clearTimeout(deadline);
  await Promise.all(children.map((child) => child.stop()));
}
