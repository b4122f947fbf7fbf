// Nchan under test: this process starts nginx with the Nchan module (see nginx.ts and
// nginx-nchan.conf) and answers the orchestrator over IPC like the other servers, measuring nginx
// from the outside: CPU as the sum of the master's and workers' utime + stime from /proc/<pid>/stat
// over each window, memory as the sum of their VmRSS. Nchan can only be published to over HTTP
// (`POST /publish?topic=T`, the data as the body), so it takes no part in the in-process (IPC)
// scenarios. Whatever way this process ends, it stops the nginx it started, and only that.
import { fdLimit, type Request, serveRequests } from './ipc.js';
import { locateNchan, NCHAN_INSTALL_HINT, Nginx, type NginxProcess } from './nginx.js';
import type { MemoryReading, ServerWindow } from './server-harness.js';

const install = locateNchan();
if (install === undefined) {
  console.error(NCHAN_INSTALL_HINT);
  process.exit(1);
}
const nofile = Math.max(1024, fdLimit());
const nginx = await Nginx.start(install, nofile);

let stopping = false;
const stopAndExit = (code: number): void => {
  if (stopping) return;
  stopping = true;
  void nginx.stop().finally(() => process.exit(code));
};
// Ctrl-C reaches nginx too (same process group), which then shuts down by itself; either way we wait
// for it, and kill what is left.
process.once('SIGINT', () => stopAndExit(130));
process.once('SIGTERM', () => stopAndExit(143));
process.once('exit', () => nginx.killNow());
process.on('uncaughtException', (error) => {
  console.error('server-nchan:', error);
  stopAndExit(1);
});

let window = {
  at: process.hrtime.bigint(),
  processes: [] as NginxProcess[],
  cpu: [] as number[],
  published: 0,
};

/** Nchan's count of published messages; NaN if nginx is too busy to answer (it is only shown). */
async function published(): Promise<number> {
  try {
    return (await nginx.status())['total published messages'] ?? Number.NaN;
  } catch {
    return Number.NaN;
  }
}

async function handle(request: Request): Promise<unknown> {
  switch (request.op) {
    case 'count':
      return (await nginx.status()).subscribers ?? Number.NaN;
    case 'memory': {
      const { rss, pss } = nginx.memory();
      // No JavaScript heap here: NaN, which comes over IPC (JSON) as null.
      return { rss, heapUsed: Number.NaN, external: Number.NaN, pss } satisfies MemoryReading;
    }
    case 'window-start': {
      const processes = nginx.processes();
      window = {
        at: process.hrtime.bigint(),
        processes,
        cpu: nginx.cpuMs(processes),
        published: await published(),
      };
      return true;
    }
    case 'window-end': {
      const cpu = nginx.cpuMs(window.processes);
      const elapsedMs = Number(process.hrtime.bigint() - window.at) / 1e6;
      const threads: Record<string, number> = {};
      let cpuMs = 0;
      window.processes.forEach((p, i) => {
        const ms = cpu[i]! - window.cpu[i]!;
        threads[p.role] = ms;
        cpuMs += ms;
      });
      // A process gone within the window (a worker that crashed) makes the figure NaN: not measured.
      if (nginx.processes().length !== window.processes.length) cpuMs = Number.NaN;
      return {
        cpuUs: cpuMs * 1000,
        elapsedMs,
        published: (await published()) - window.published,
        delivered: Number.NaN,
        dropped: 0,
        threads,
      } satisfies ServerWindow;
    }
    case 'pids':
      return { dir: nginx.dir, processes: nginx.processes() };
    default:
      throw new Error(`nchan: ${request.op} is not supported (Nchan is published to over HTTP only)`);
  }
}

serveRequests(handle);
// Once the orchestrator goes away (serveRequests then exits), the 'exit' handler kills nginx; stop it
// properly first.
process.removeAllListeners('disconnect');
process.on('disconnect', () => stopAndExit(0));
process.send?.({ ready: true, port: nginx.port, fdLimit: nofile, nginx: { pid: nginx.pid, dir: nginx.dir } });
