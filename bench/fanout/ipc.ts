// Request/answer over the IPC channel between the orchestrator and its child processes (servers and
// load generator), and the spawning of those children with a raised file-descriptor limit.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Request {
  rid: number;
  op: string;
  [key: string]: unknown;
}

interface Answer {
  rid: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** The first message every child sends once it is ready. */
export interface Ready {
  ready: true;
  /** The port a server listens on (0 for the load generator). */
  port: number;
  /** Its soft limit on open files, as `ulimit -n` gave it. */
  fdLimit: number;
  /** Nchan's server: the nginx master it started and its directory (for a last-resort cleanup). */
  nginx?: { pid: number; dir: string };
}

export type Handler = (request: Request) => unknown;

/** In a child: answers the orchestrator's requests with `handler` (which may return a promise). */
export function serveRequests(handler: Handler): void {
  process.on('message', (message: Request) => {
    Promise.resolve()
      .then(() => handler(message))
      .then(
        (result) => process.send?.({ rid: message.rid, ok: true, result } satisfies Answer),
        (error: unknown) =>
          process.send?.({ rid: message.rid, ok: false, error: String(error) } satisfies Answer),
      );
  });
  // The orchestrator going away ends every child: no process outlives a run.
  process.on('disconnect', () => process.exit(0));
}

/** A child process seen from the orchestrator. */
export class Child {
  readonly #process: ChildProcess;
  readonly #waiting = new Map<number, { resolve: (value: unknown) => void; reject: (e: Error) => void }>();
  #next = 1;
  readonly ready: Promise<Ready>;
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    script: string,
    args: readonly string[],
    nodeFlags: readonly string[] = [],
  ) {
    const file = fileURLToPath(new URL(script, import.meta.url));
    // `sh -c` raises the soft limit on open files as far as the hard limit allows, then execs node,
    // which inherits the IPC descriptor.
    const raise =
      'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; ' +
      'export FANOUT_FD_LIMIT="$(ulimit -n)"; exec "$0" "$@"';
    this.#process = spawn(
      'sh',
      ['-c', raise, process.execPath, ...nodeFlags, '--import', 'tsx', file, ...args],
      {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    let onReady: (ready: Ready) => void = () => {};
    this.ready = new Promise((resolve) => {
      onReady = resolve;
    });
    this.exited = new Promise((resolve) => {
      this.#process.once('exit', (code) => {
        for (const waiter of this.#waiting.values()) waiter.reject(new Error(`${name} exited (${code})`));
        this.#waiting.clear();
        resolve(code);
      });
    });
    this.#process.on('message', (message: Ready | Answer) => {
      if ('ready' in message) {
        onReady(message);
        return;
      }
      const waiter = this.#waiting.get(message.rid);
      if (waiter === undefined) return;
      this.#waiting.delete(message.rid);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`${name}: ${message.error}`));
    });
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }

  /** Sends a request and resolves with the child's answer. */
  call<T>(op: string, params: Record<string, unknown> = {}): Promise<T> {
    const rid = this.#next++;
    return new Promise<T>((resolve, reject) => {
      if (!this.#process.connected) {
        reject(new Error(`${this.name} is gone (${op})`));
        return;
      }
      this.#waiting.set(rid, { resolve: resolve as (value: unknown) => void, reject });
      // A child that dies meanwhile fails the send: the request fails, not the orchestrator.
      this.#process.send({ rid, op, ...params } satisfies Request, (error) => {
        if (error === null) return;
        this.#waiting.delete(rid);
        reject(new Error(`${this.name}: ${error.message} (${op})`));
      });
    });
  }

  /** Closes the IPC channel (the child exits by itself); kills it by pid if it has not within 5 s. */
  async stop(): Promise<void> {
    if (this.#process.exitCode !== null || this.#process.signalCode !== null) return;
    if (this.#process.connected) this.#process.disconnect();
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** In a child: the soft limit on open files this process got. */
export function fdLimit(): number {
  return Number(process.env.FANOUT_FD_LIMIT ?? '0');
}
