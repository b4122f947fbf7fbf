// What the monitor's collector costs: the hub's own CPU with N idle subscribers, collector on and
// off. The hub and the subscribers run in separate processes over loopback.
//
//   npm run bench monitor
//   node --import tsx bench/monitor/main.ts --subscribers=10000 --seconds=15
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from '../built-package.js';

function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : Number(arg.slice(name.length + 3));
}

interface Window {
  cpuMs: number;
  wallMs: number;
  connections: number;
  published: number;
  rss: number;
}

const wanted = option('subscribers', 10_000);
const seconds = option('seconds', 15);
const rounds = option('rounds', 2);

ensureBuilt(fileURLToPath(new URL('../..', import.meta.url)));

// Each process holds one descriptor per stream: the soft limit, not the wish, decides.
const limit = Number(spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim());
const headroom = 256;
let subscribers = wanted;
if (Number.isFinite(limit) && limit - headroom < wanted) {
  subscribers = Math.max(100, limit - headroom);
  console.log(
    `note: ulimit -n is ${limit}; scaled down to ${subscribers} subscribers (raise it to run ${wanted})`,
  );
}

function child(script: string, args: string[]): ChildProcess {
  return fork(new URL(script, import.meta.url), args, { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
}

function next<T>(proc: ChildProcess, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child did not answer in time')), timeoutMs);
    proc.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as T);
    });
    proc.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });
}

let tickMs = Number.NaN;

async function run(mode: 'on' | 'off'): Promise<Window[]> {
  const hub = child('./hub.ts', [mode, String(subscribers + 100)]);
  let subs: ChildProcess | undefined;
  try {
    const { port } = await next<{ port: number }>(hub, 30_000);
    subs = child('./subscribers.ts', [String(port), String(subscribers)]);
    const opened = await next<{ ready: number; failed: number }>(subs, 120_000);
    if (opened.failed > 0 || opened.ready !== subscribers)
      throw new Error(`only ${opened.ready} of ${subscribers} streams opened (${opened.failed} failed)`);
    await new Promise((r) => setTimeout(r, 2000)); // let the connection burst settle
    const windows: Window[] = [];
    for (let i = 0; i < rounds; i++) {
      hub.send({ measure: seconds * 1000 });
      windows.push(await next<Window>(hub, seconds * 1000 + 30_000));
    }
    if (mode === 'on') {
      hub.send({ ticks: 50 });
      ({ tickMs } = await next<{ tickMs: number }>(hub, 60_000));
    }
    return windows;
  } finally {
    subs?.disconnect();
    hub.disconnect();
    await Promise.all(
      [hub, subs].map((p) => p && new Promise((r) => (p.exitCode === null ? p.once('exit', r) : r(0)))),
    );
  }
}

const perSecond = (w: Window) => (w.cpuMs / w.wallMs) * 1000;
const best = (ws: Window[]) => Math.min(...ws.map(perSecond));

console.log(
  `monitor collector cost: ${subscribers} idle subscribers, ${rounds} windows of ${seconds}s per mode; ` +
    `${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}`,
);
const off = await run('off');
const on = await run('on');
const show = (label: string, ws: Window[]) =>
  console.log(
    `  collector ${label}: hub CPU ${ws.map((w) => perSecond(w).toFixed(2)).join(' / ')} ms per second` +
      ` · ${ws[0]!.connections} streams · $SYS events ${ws.map((w) => w.published).join(' / ')} · RSS ${(ws[0]!.rss / 2 ** 20).toFixed(0)} MiB`,
  );
show('off', off);
show('on ', on);
const a = best(on);
const b = best(off);
console.log(
  `  ratio on/off (best windows): ${(a / b).toFixed(2)}x · the collector adds ${(a - b).toFixed(2)} ms CPU per second` +
    ` (${((a - b) / 10).toFixed(2)}% of one core)`,
);
console.log(
  `  one collector tick, timed alone (50 in a row): ${tickMs.toFixed(2)} ms CPU` +
    ` = ${(tickMs / 10).toFixed(2)}% of one core at one tick per second`,
);
