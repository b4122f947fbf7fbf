import { cpus, freemem, loadavg, totalmem } from 'node:os';
import type { SystemSample } from './snapshot.js';

interface CpuTimes {
  busy: number;
  total: number;
  count: number;
}

function systemCpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  const list = cpus();
  for (const cpu of list) {
    const t = cpu.times;
    const all = t.user + t.nice + t.sys + t.idle + t.irq;
    total += all;
    busy += all - t.idle;
  }
  return { busy, total, count: list.length };
}

/**
 * Reads load, memory and CPU use (process and whole system) from the OS, keeping the previous
 * reading to turn cumulative CPU times into percentages. Portable: os.* reads /proc on Linux.
 */
export class SystemStats {
  #lastCpu = systemCpuTimes();
  #lastProcess = process.cpuUsage();
  #lastAt = process.hrtime.bigint();

  read(): Omit<SystemSample, 'top'> {
    const now = process.hrtime.bigint();
    const elapsedMicros = Number(now - this.#lastAt) / 1000;
    this.#lastAt = now;
    const usage = process.cpuUsage();
    const processMicros = usage.user - this.#lastProcess.user + (usage.system - this.#lastProcess.system);
    this.#lastProcess = usage;
    const cpu = systemCpuTimes();
    const busy = cpu.busy - this.#lastCpu.busy;
    const total = cpu.total - this.#lastCpu.total;
    this.#lastCpu = cpu;
    const memory = process.memoryUsage();
    const [l1 = 0, l5 = 0, l15 = 0] = loadavg();
    return {
      load: [l1, l5, l15],
      cpus: cpu.count,
      cpu: {
        process: elapsedMicros > 0 ? round1((processMicros / elapsedMicros) * 100) : 0,
        system: total > 0 ? round1((busy / total) * 100) : 0,
      },
      memory: {
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        systemTotal: totalmem(),
        systemFree: freemem(),
      },
    };
  }
}

export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
