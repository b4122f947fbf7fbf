// A redis-server of a test's own: a free loopback port, no persistence, killed by its pid on
// teardown. Never touches a Redis the machine may already run (6379).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const redisServerPath = process.env.HERALD_REDIS_SERVER ?? 'redis-server';

/** Why Redis tests cannot run here, or undefined when they can. Under CI a missing Redis fails. */
export const redisUnavailable: string | undefined =
  spawnSync(redisServerPath, ['--version'], { stdio: 'ignore' }).status === 0
    ? undefined
    : `no ${redisServerPath} on PATH (set HERALD_REDIS_SERVER)`;
if (redisUnavailable !== undefined && process.env.CI)
  throw new Error(`${redisUnavailable}: .ci/run installs it (apt-get install redis-server)`);

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** The running server's pid (it changes on restart). */
  readonly pid: number;
  /** SIGSTOP: the server keeps its connections but answers nothing. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** SIGKILL, then a new, empty server on the same port. */
  restartEmpty(): Promise<void>;
  /** SIGKILL and wait for the exit. Safe to call twice. */
  kill(): Promise<void>;
  /** Kills the server and removes its folder. */
  stop(): Promise<void>;
  /** Bytes the server has sent its clients so far (INFO's total_net_output_bytes, this answer's own not yet counted). */
  bytesSent(): Promise<number>;
}

/** One INFO section, as the server answers it on a connection of its own. */
function infoOf(port: number, section: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    socket.setTimeout(5000, () => socket.destroy(new Error(`INFO ${section}: no answer within 5 s`)));
    socket.on('connect', () => socket.write(`INFO ${section}\r\n`));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      const header = /^\$(\d+)\r\n/.exec(answer);
      if (header && answer.length >= header[0].length + Number(header[1])) {
        socket.destroy();
        resolve(answer.slice(header[0].length));
      } else if (answer.startsWith('-')) socket.destroy(new Error(answer.trim()));
    });
    socket.on('error', reject);
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once the server answers on the port, as this very process (INFO's process_id); rejects after `ms`. */
async function waitForPing(port: number, child: ChildProcess, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`redis-server exited (${child.exitCode})`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      const timer = setTimeout(() => finish(false), 500);
      let answer = '';
      function finish(result: boolean) {
        clearTimeout(timer);
        socket.destroy();
        resolve(result);
      }
      socket.on('connect', () => socket.write('INFO server\r\n'));
      socket.on('data', (chunk) => {
        answer += chunk.toString();
        const pid = /process_id:(\d+)/.exec(answer);
        if (pid) finish(Number(pid[1]) === child.pid);
        // With a password the server answers, but will not say who it is.
        else if (answer.startsWith('-NOAUTH')) finish(child.exitCode === null);
        else if (answer.startsWith('-')) finish(false);
      });
      socket.on('error', () => finish(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`redis-server on port ${port} did not answer within ${ms} ms`);
}

function spawnServer(port: number, dir: string, extra: readonly string[]): ChildProcess {
  const child = spawn(
    redisServerPath,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  // Should the test process die first, take the server along.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  return child;
}

/** Starts a server; `args` are more redis-server options (`--requirepass`, TLS). */
export async function startRedis(options: { args?: readonly string[] } = {}): Promise<TestRedis> {
  const extra = options.args ?? [];
  const dir = mkdtempSync(join(tmpdir(), 'herald-redis-'));
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    let child = spawnServer(port, dir, extra);
    try {
      await waitForPing(port, child, 5000);
    } catch (error) {
      // Another process took the port in between: try another one.
      lastError = error;
      child.kill('SIGKILL');
      continue;
    }
    const kill = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    };
    return {
      port,
      url: `redis://127.0.0.1:${port}`,
      get pid() {
        return child.pid!;
      },
      pause: () => child.kill('SIGSTOP'),
      resume: () => child.kill('SIGCONT'),
      async restartEmpty() {
        await kill();
        child = spawnServer(port, dir, extra);
        await waitForPing(port, child, 5000);
      },
      kill,
      async bytesSent() {
        return Number(/total_net_output_bytes:(\d+)/.exec(await infoOf(port, 'stats'))?.[1] ?? Number.NaN);
      },
      async stop() {
        await kill();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}
