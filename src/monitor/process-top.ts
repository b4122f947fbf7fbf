import { readdirSync, readFileSync } from 'node:fs';
import type { TopProcess } from './snapshot.js';
import { round1 } from './system-stats.js';

// Linux reports CPU times in clock ticks and RSS in pages; these are the values on every common
// Linux platform (Node cannot ask sysconf).
const CLOCK_TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

interface ProcStat {
  pid: number;
  name: string;
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** Start time in ticks since boot: with the pid, tells a process from a later one with a reused pid. */
  start: string;
  rss: number;
}

/** Parses one /proc/[pid]/stat line; undefined when it does not have the expected shape. */
export function parseProcStat(line: string): ProcStat | undefined {
  // The name is in parentheses and may itself contain spaces and parentheses: cut at the last ")".
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(line.slice(0, open));
  // Fields after the name, numbered from 3 (state) as in proc(5).
  const rest = line.slice(close + 2).split(' ');
  const field = (n: number) => rest[n - 3];
  const utime = Number(field(14));
  const stime = Number(field(15));
  const start = field(22);
  const rssPages = Number(field(24));
  if (!Number.isInteger(pid) || !Number.isFinite(utime) || !Number.isFinite(stime) || start === undefined)
    return undefined;
  return {
    pid,
    name: line.slice(open + 1, close),
    ticks: utime + stime,
    start,
    rss: Number.isFinite(rssPages) ? rssPages * PAGE_BYTES : 0,
  };
}

/**
 * The busiest processes by CPU, from /proc/[pid]/stat (Linux). Each `sample()` reads the process
 * list once and compares every process's CPU time with the previous sample; the first sample has
 * nothing to compare with and returns undefined, as does any system without /proc.
 */
export class ProcessTop {
  readonly #procDir: string;
  readonly #limit: number;
  #previous = new Map<string, number>();
  #previousAt = 0;
  #available: boolean | undefined;

  constructor(limit = 8, procDir = '/proc') {
    this.#limit = limit;
    this.#procDir = procDir;
  }

  async sample(): Promise<TopProcess[] | undefined> {
    if (this.#available === false) return undefined;
    let names: string[];
    try {
      names = readdirSync(this.#procDir);
    } catch {
      this.#available = false;
      return undefined;
    }
    const at = performance.now();
    // Synchronous reads: /proc files are generated in memory, and a few hundred sync reads cost a
    // fraction of what as many thread-pool round trips and promises do (measured: ~10x less CPU).
    const stats: (ReturnType<typeof parseProcStat> | undefined)[] = [];
    for (const name of names) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      try {
        stats.push(parseProcStat(readFileSync(`${this.#procDir}/${name}/stat`, 'latin1')));
      } catch {
        // The process ended between the listing and the read.
      }
    }
    const current = new Map<string, number>();
    const seconds = (at - this.#previousAt) / 1000;
    const list: TopProcess[] = [];
    for (const stat of stats) {
      if (stat === undefined) continue;
      const key = `${stat.pid}:${stat.start}`;
      current.set(key, stat.ticks);
      const before = this.#previous.get(key);
      if (before === undefined || seconds <= 0) continue;
      const cpu = ((stat.ticks - before) / CLOCK_TICKS_PER_SECOND / seconds) * 100;
      list.push({ pid: stat.pid, name: stat.name, cpu: round1(cpu), rss: stat.rss });
    }
    const first = this.#previous.size === 0;
    this.#available = current.size > 0;
    this.#previous = current;
    this.#previousAt = at;
    if (first || !this.#available) return undefined;
    list.sort((a, b) => b.cpu - a.cpu || b.rss - a.rss);
    return list.slice(0, this.#limit);
  }
}
