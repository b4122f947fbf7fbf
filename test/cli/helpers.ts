/**
 * Runs the built CLI (`node dist/cli/main.js`, so run `npm run build` first) as real processes.
 * Every process started here is remembered and `stopAll` kills the ones still running, by pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

const running = new Set<ChildProcess>();

/** The parent's environment without Herald's own variables, so the host's settings cannot leak in. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('HERALD_') && key !== 'PORT') env[key] = value;
  }
  return { ...env, ...extra };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running CLI process with its output so far. */
export class Proc {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  #waiters: (() => void)[] = [];

  constructor(args: readonly string[], options: { env?: Record<string, string>; input?: string } = {}) {
    this.child = spawn(process.execPath, [CLI, ...args], {
      env: cleanEnv(options.env ?? {}),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    running.add(this.child);
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      this.#wake();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      this.#wake();
    });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        running.delete(this.child);
        this.#wake();
        resolve({ code, signal });
      });
    });
    this.child.stdin!.end(options.input ?? '');
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Waits until `pattern` matches the stream's output; fails after `timeoutMs` with what was seen. */
  async waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 5000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this[stream]);
      if (match) return match;
      const left = deadline - Date.now();
      if (left <= 0 || this.child.exitCode !== null) {
        throw new Error(
          `no ${pattern} on ${stream} within ${timeoutMs} ms\nstdout: ${this.stdout}\nstderr: ${this.stderr}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the exit; kills the process and fails if it takes longer than `timeoutMs`. */
  async exit(timeoutMs = 5000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(
          new Error(`still running after ${timeoutMs} ms\nstdout: ${this.stdout}\nstderr: ${this.stderr}`),
        );
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The JSON objects printed one per line on stdout so far. */
  jsonLines(): Record<string, unknown>[] {
    return this.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

/** Runs the CLI to its end. */
export async function herald(
  args: readonly string[],
  options: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = new Proc(args, options);
  const { code } = await proc.exit(options.timeoutMs ?? 5000);
  return { code, stdout: proc.stdout, stderr: proc.stderr };
}

export interface RunningHub {
  proc: Proc;
  port: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** The publisher token printed when no key was given. */
  token: string | undefined;
}

/** Starts `herald serve --port 0` (or the port given in args) and reads the bound port from its log. */
export async function startHub(
  args: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<RunningHub> {
  const proc = new Proc(['serve', '--port', '0', ...args], { env });
  await proc.waitFor('stdout', /"port":\d+/);
  const started = proc.jsonLines().find((line) => typeof line.port === 'number');
  const port = started!.port as number;
  const keyGiven = args.includes('--jwt-key') || env.HERALD_JWT_KEY !== undefined;
  if (!keyGiven) await proc.waitFor('stdout', /"token":/);
  const token = proc.jsonLines().find((line) => typeof line.token === 'string')?.token as string | undefined;
  return { proc, port, url: `http://127.0.0.1:${port}`, token };
}

/** Kills every CLI process still running (for `after` hooks). */
export function stopAll(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** A loopback port that nothing listens on (bound, read, released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
