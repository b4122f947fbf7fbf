// Nginx with the Nchan module as a server under test: finds them, writes a config from the template
// nginx-nchan.conf into a fresh temporary directory, starts nginx in the foreground (`daemon off`,
// so its master is our child), reads its processes' CPU and memory from /proc, and stops exactly
// the processes it started. Linux only (it reads /proc).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NGINX_CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];
const MODULE_CANDIDATES = [
  '/usr/lib/nginx/modules/ngx_nchan_module.so',
  '/usr/lib64/nginx/modules/ngx_nchan_module.so',
  '/usr/local/nginx/modules/ngx_nchan_module.so',
];
const TEMPLATE = fileURLToPath(new URL('./nginx-nchan.conf', import.meta.url));

export const NCHAN_INSTALL_HINT =
  'Nchan is not installed, so the `nchan` server is skipped. On Debian or Ubuntu, install it with\n' +
  '  sudo apt-get update && sudo apt-get install -y nginx libnginx-mod-nchan\n' +
  '(a benchmark step only; the bench runs its own nginx on a free loopback port, from a temporary\n' +
  'directory, and never uses or touches the system nginx or its configuration).';

export interface NchanInstall {
  nginx: string;
  /** The dynamic module to load, or undefined when nginx was built with Nchan in it. */
  module: string | undefined;
}

/** Where nginx and its Nchan module are, or undefined when either is missing. */
export function locateNchan(): NchanInstall | undefined {
  const onPath = (process.env.PATH ?? '').split(':').map((dir) => join(dir, 'nginx'));
  const nginx = [...NGINX_CANDIDATES, ...onPath].find((file) => existsSync(file));
  if (nginx === undefined) return undefined;
  let built = '';
  try {
    // `nginx -V` prints its build options on stderr.
    built = execFileSync(nginx, ['-V'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    built = String((error as { stderr?: string }).stderr ?? '');
  }
  if (/nchan/i.test(built)) return { nginx, module: undefined };
  const module = MODULE_CANDIDATES.find((file) => existsSync(file));
  return module === undefined ? undefined : { nginx, module };
}

/** A free TCP port on 127.0.0.1 (free when asked; nginx binding it later may still race). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject()));
    });
  });
}

/** The unprivileged user and group nginx's workers run as when started by root. */
function workerUser(): string {
  if (process.getuid?.() !== 0) return '# not root: the workers run as the user running the bench';
  const groups = readFileSync('/etc/group', 'utf8');
  const group = /^nogroup:/m.test(groups) ? 'nogroup' : 'nobody';
  return `user nobody ${group};`;
}

/** utime + stime (clock ticks) and the parent pid, from /proc/<pid>/stat; undefined once it is gone. */
function readStat(pid: number): { ticks: number; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command name (which may hold spaces): state is field 3, ppid 4, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ticks: Number(fields[11]) + Number(fields[12]), ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** A field of /proc/<pid>/status or /proc/<pid>/smaps_rollup in bytes (they print kB); 0 if unreadable. */
function readKb(file: string, field: string): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(file, 'latin1'));
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 on every Linux in use). */
const TICKS_PER_SECOND = 100;

export interface NginxProcess {
  pid: number;
  role: string;
}

/** An nginx started by this process, with its own directory and port. */
export class Nginx {
  readonly dir: string;
  readonly port: number;
  /** The master's pid: the process this class spawned. */
  readonly pid: number;
  readonly #child: ChildProcess;

  private constructor(dir: string, port: number, child: ChildProcess, pid: number) {
    this.dir = dir;
    this.port = port;
    this.#child = child;
    this.pid = pid;
  }

  /** Writes the config and starts nginx; retries with another port if binding it failed. */
  static async start(install: NchanInstall, nofile: number): Promise<Nginx> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const dir = mkdtempSync(join(tmpdir(), 'herald-nchan-'));
      // The workers run unprivileged when root starts nginx; let them look into their directory.
      chmodSync(dir, 0o755);
      const port = await freePort();
      const config = readFileSync(TEMPLATE, 'utf8')
        .replaceAll('{{DIR}}', dir)
        .replaceAll('{{PORT}}', String(port))
        .replaceAll('{{NOFILE}}', String(nofile))
        .replaceAll('{{WORKER_CONNECTIONS}}', String(Math.max(1024, nofile - 100)))
        .replaceAll('{{LOAD_MODULE}}', install.module === undefined ? '' : `load_module ${install.module};`)
        .replaceAll('{{USER}}', workerUser());
      const conf = join(dir, 'nginx.conf');
      writeFileSync(conf, config);
      const child = spawn(
        install.nginx,
        ['-p', `${dir}/`, '-e', join(dir, 'error.log'), '-c', conf, '-g', 'daemon off;'],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      );
      const pid = child.pid;
      if (pid === undefined) throw new Error(`could not start ${install.nginx}`);
      const nginx = new Nginx(dir, port, child, pid);
      try {
        await nginx.waitUntilServing();
        return nginx;
      } catch (error) {
        lastError = error;
        await nginx.stop();
      }
    }
    throw lastError;
  }

  get exited(): boolean {
    return this.#child.exitCode !== null || this.#child.signalCode !== null;
  }

  /** Waits (at most 10 s) until both workers run and the port accepts a request. */
  private async waitUntilServing(): Promise<void> {
    const until = performance.now() + 10_000;
    while (performance.now() < until) {
      if (this.exited) throw new Error(`nginx exited at start:\n${this.errorLog()}`);
      if (this.processes().length >= 3) {
        try {
          await this.get('/nchan-status');
          return;
        } catch {
          // Not listening yet.
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`nginx did not start serving within 10 s:\n${this.errorLog()}`);
  }

  /** The end of nginx's error log (for error messages). */
  errorLog(): string {
    try {
      return readFileSync(join(this.dir, 'error.log'), 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '(no error log)';
    }
  }

  /** The master and its workers, read from /proc now (the children of our master, by parent pid). */
  processes(): NginxProcess[] {
    if (this.exited) return [];
    const found: NginxProcess[] = [{ pid: this.pid, role: 'master' }];
    let workers = 0;
    for (const entry of readdirSync('/proc')) {
      const pid = Number(entry);
      if (!Number.isInteger(pid) || pid === this.pid) continue;
      if (readStat(pid)?.ppid === this.pid) found.push({ pid, role: `worker ${++workers}` });
    }
    return found;
  }

  /** CPU time (utime + stime) of each of `processes` in ms; a process that is gone reads NaN. */
  cpuMs(processes: readonly NginxProcess[]): number[] {
    return processes.map((p) => {
      const stat = readStat(p.pid);
      return stat === undefined ? Number.NaN : (stat.ticks * 1000) / TICKS_PER_SECOND;
    });
  }

  /** Resident memory of the master and workers, summed: VmRSS (and PSS, which splits shared pages). */
  memory(): { rss: number; pss: number } {
    let rss = 0;
    let pss = 0;
    for (const p of this.processes()) {
      rss += readKb(`/proc/${p.pid}/status`, 'VmRSS');
      pss += readKb(`/proc/${p.pid}/smaps_rollup`, 'Pss');
    }
    return { rss, pss };
  }

  /** GET on nginx over loopback (at most 15 s); resolves with the body of a 200. */
  async get(path: string): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${this.port}${path}`, {
      // An overloaded nginx can take seconds to get to it.
      signal: AbortSignal.timeout(15_000),
    });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${body}`);
    return body;
  }

  /** Stub status figures (`subscribers`, `total published messages`, ...) as numbers. */
  async status(): Promise<Record<string, number>> {
    const figures: Record<string, number> = {};
    for (const line of (await this.get('/nchan-status')).split('\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) figures[line.slice(0, colon)] = Number.parseFloat(line.slice(colon + 1));
    }
    return figures;
  }

  /**
   * Stops nginx: SIGTERM to the master (a fast shutdown that ends its workers), then, after 1.5 s,
   * SIGKILL to the master and to whichever of its workers are still its children. Removes the
   * directory. Only ever signals the master we spawned and the processes whose parent it is.
   */
  async stop(): Promise<void> {
    const workers = this.processes().filter((p) => p.pid !== this.pid);
    if (!this.exited) {
      this.#child.kill('SIGTERM');
      const exited = new Promise((resolve) => this.#child.once('exit', resolve));
      const timer = new Promise((resolve) => setTimeout(resolve, 1500));
      await Promise.race([exited, timer]);
    }
    this.killNow(workers);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Synchronous last resort (for `process.on('exit')`): SIGKILL to what is left of our nginx. */
  killNow(workers: readonly NginxProcess[] = this.processes().filter((p) => p.pid !== this.pid)): void {
    for (const worker of workers) {
      // Still ours: its parent is our master, or (the master gone, a worker it left behind adopted
      // by init) it is still an nginx process seconds after we saw it as our master's child.
      const stat = readStat(worker.pid);
      if (stat === undefined) continue;
      if (stat.ppid === this.pid || isNginx(worker.pid)) {
        try {
          process.kill(worker.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    if (!this.exited) this.#child.kill('SIGKILL');
  }
}

function isNginx(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'latin1').trim() === 'nginx';
  } catch {
    return false;
  }
}

/**
 * For the orchestrator, after the process that ran nginx has gone: if the master `pid` still runs
 * nginx from `dir` (it names its directory on its command line), kills it and its workers.
 */
export function killLeftovers(pid: number, dir: string): void {
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch {
    return;
  }
  if (!cmdline.includes(dir)) return;
  for (const entry of readdirSync('/proc')) {
    const child = Number(entry);
    if (Number.isInteger(child) && readStat(child)?.ppid === pid && isNginx(child)) {
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
  rmSync(dir, { recursive: true, force: true });
}
