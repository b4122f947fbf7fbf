// What every server process of this benchmark shares: the control channel (IPC), the publishers that
// run inside the server process (fixed rate, saturation), CPU windows and memory readings.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Profiler } from 'node:inspector';
import { Session } from 'node:inspector/promises';
import { findSourceMap } from 'node:module';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { heapCensus } from './heap-census.js';
import { fdLimit, type Request, serveRequests } from './ipc.js';
import { eventData } from './payload.js';

/** What the saturation publisher's flow control reads of a stream: a ServerResponse or a net.Socket. */
export interface Backlogged {
  /** Bytes written but not yet handed to the kernel. */
  readonly writableLength: number;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

/** A server under test, seen by the harness. */
export interface Target {
  /** Publishes one event carrying `data` to every subscriber. */
  publish(data: string): void;
  /** Open event streams. */
  connections(): number;
  /** The open streams (read only by the saturation publisher's flow control). */
  streams(): Iterable<Backlogged>;
  /** Events published so far, however they came (in-process or POST /publish). */
  published(): number;
  /** Events the server has written to sockets so far (its own count). */
  delivered(): number;
  /** Subscribers the server cut off as too slow (Herald only). */
  dropped(): number;
}

/** The answer to `window-end`. */
export interface ServerWindow {
  /** User plus system CPU of the server process over the window (microseconds). */
  cpuUs: number;
  elapsedMs: number;
  published: number;
  delivered: number;
  dropped: number;
  /** CPU per thread name over the window (ms), where the system says (Linux). */
  threads: Record<string, number>;
  /** Event-loop delay over the window (ms): how long ready work waited for the main thread (node servers). */
  loopDelay?: { p99: number; max: number };
  /** Garbage-collection pauses over the window: total and longest (ms; node servers). */
  gc?: { totalMs: number; maxMs: number };
}

/** Tail-latency diagnostics: event-loop delay and GC pauses, both measured inside the server. */
function pauseMeter() {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let total = 0;
  let max = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      total += entry.duration;
      if (entry.duration > max) max = entry.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  return {
    reset() {
      loop.reset();
      total = 0;
      max = 0;
    },
    read() {
      return {
        loopDelay: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
        gc: { totalMs: total, maxMs: max },
      };
    },
  };
}

export interface MemoryReading {
  rss: number;
  /** NaN (null over IPC) where there is no JavaScript heap (nginx). */
  heapUsed: number;
  external: number;
  /** Proportional set size, where a server has several processes sharing pages (nginx). */
  pss?: number;
}

/** Flow control of the saturation publisher: past this many unsent bytes on a stream, wait for it. */
const MAX_UNSENT = 128 * 1024;
/** The saturation publisher looks at every stream's backlog once in this many bursts. */
const CHECK_EVERY = 16;

export function readMemory(): MemoryReading {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    gc();
  }
  const usage = process.memoryUsage();
  return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external };
}

/**
 * Points every frame of a profile of TypeScript loaded through tsx back at its source line (tsx
 * hands V8 transformed code; the process must run with --enable-source-maps).
 */
function mapToSources(profile: Profiler.Profile): void {
  for (const node of profile.nodes) {
    const frame = node.callFrame;
    if (!frame.url.startsWith('file:')) continue;
    const entry = findSourceMap(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber);
    if (entry === undefined || !('originalLine' in entry)) continue;
    frame.lineNumber = entry.originalLine;
    frame.columnNumber = entry.originalColumn;
  }
}

let profiler: Session | undefined;

async function startProfile(): Promise<void> {
  profiler = new Session();
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
  await profiler.post('Profiler.start');
}

async function stopProfile(file: string): Promise<void> {
  if (profiler === undefined) throw new Error('no profile running');
  const { profile } = await profiler.post('Profiler.stop');
  profiler.disconnect();
  profiler = undefined;
  mapToSources(profile);
  writeFileSync(file, JSON.stringify(profile));
}

/**
 * CPU ticks (1/100 s) of each thread of this process by thread name (`node` is the main thread;
 * `V8 DefaultWorke` are GC and compiler helpers; `libuv-worker` the thread pool). Linux only.
 */
function threadTicks(): Record<string, number> {
  const ticks: Record<string, number> = {};
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      ticks[name] = (ticks[name] ?? 0) + Number(fields[11]) + Number(fields[12]);
    }
  } catch {
    // Not Linux: no per-thread figures.
  }
  return ticks;
}

/** Answers the orchestrator for `target`; call once the server listens on `port`. */
export function runHarness(target: Target, port: number): void {
  let seq = 0;
  let padding = '';
  let rateTimer: NodeJS.Timeout | undefined;
  let saturating = false;
  let bursts = 0;
  const pauses = pauseMeter();
  let window = {
    cpu: process.cpuUsage(),
    at: process.hrtime.bigint(),
    published: 0,
    delivered: 0,
    dropped: 0,
    threads: threadTicks(),
  };

  const publishOne = (size: number): void => {
    if (padding.length < size) padding = 'x'.repeat(size);
    target.publish(eventData(++seq, size, padding));
  };

  const startRate = (rate: number, size: number): void => {
    const periodNs = BigInt(Math.round(1e9 / rate));
    let next = process.hrtime.bigint() + periodNs;
    const tick = (): void => {
      const now = process.hrtime.bigint();
      while (now >= next) {
        publishOne(size);
        next += periodNs;
      }
      rateTimer = setTimeout(tick, Math.max(0, Number(next - process.hrtime.bigint()) / 1e6));
    };
    rateTimer = setTimeout(tick, Number(periodNs) / 1e6);
  };

  /** The stream furthest behind, if it is past MAX_UNSENT. */
  const laggard = (): Backlogged | undefined => {
    let worst: Backlogged | undefined;
    let most = MAX_UNSENT;
    for (const res of target.streams()) {
      if (res.writableLength > most) {
        most = res.writableLength;
        worst = res;
      }
    }
    return worst;
  };

  // Saturation: a burst of events per event-loop turn, as fast as the server goes, but never so far
  // ahead of the slowest subscriber that a server would have to buffer without bound.
  const burstLoop = (burst: number, size: number): void => {
    if (!saturating) return;
    if (++bursts % CHECK_EVERY === 0) {
      const slow = laggard();
      if (slow !== undefined) {
        let resumed = false;
        const resume = (): void => {
          if (resumed) return;
          resumed = true;
          clearTimeout(fallback);
          slow.off('drain', resume);
          slow.off('close', resume);
          setImmediate(burstLoop, burst, size);
        };
        const fallback = setTimeout(resume, 200);
        slow.once('drain', resume);
        slow.once('close', resume);
        return;
      }
    }
    for (let i = 0; i < burst; i++) publishOne(size);
    setImmediate(burstLoop, burst, size);
  };

  serveRequests((request: Request) => {
    switch (request.op) {
      case 'count':
        return target.connections();
      case 'memory':
        return readMemory();
      case 'heap-census':
        return heapCensus();
      case 'profile-start':
        return startProfile();
      case 'profile-stop':
        return stopProfile(request.file as string);
      case 'rate-start':
        startRate(request.rate as number, request.size as number);
        return true;
      case 'rate-stop':
        clearTimeout(rateTimer);
        rateTimer = undefined;
        return true;
      case 'saturate-start':
        saturating = true;
        setImmediate(burstLoop, request.burst as number, request.size as number);
        return true;
      case 'saturate-stop':
        saturating = false;
        return true;
      case 'window-start':
        pauses.reset();
        window = {
          cpu: process.cpuUsage(),
          at: process.hrtime.bigint(),
          published: target.published(),
          delivered: target.delivered(),
          dropped: target.dropped(),
          threads: threadTicks(),
        };
        return true;
      case 'window-end': {
        const cpu = process.cpuUsage(window.cpu);
        return {
          cpuUs: cpu.user + cpu.system,
          elapsedMs: Number(process.hrtime.bigint() - window.at) / 1e6,
          published: target.published() - window.published,
          delivered: target.delivered() - window.delivered,
          dropped: target.dropped() - window.dropped,
          threads: Object.fromEntries(
            Object.entries(threadTicks()).map(([name, t]) => [name, (t - (window.threads[name] ?? 0)) * 10]),
          ),
          ...pauses.read(),
        } satisfies ServerWindow;
      }
      default:
        throw new Error(`unknown op ${request.op}`);
    }
  });
  process.send?.({ ready: true, port, fdLimit: fdLimit() });
}
