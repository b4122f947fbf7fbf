/**
 * A hub in a process of its own, for tests that measure its memory (/proc/<pid>/status) while the
 * test process does the clients' work. Started by `spawnHub`; the child prints its port once it
 * listens and runs until killed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { HubOptions } from '../../src/create-hub.js';

const SELF = fileURLToPath(import.meta.url);

export interface HubProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** VmRSS and VmHWM (peak RSS) of the hub's process, in bytes. */
  memory(): { rss: number; peak: number };
  kill(): Promise<void>;
}

/** Starts a hub with `options` (JSON-serializable ones) in a child process. */
export async function spawnHub(options: HubOptions): Promise<HubProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /port (\d+)\n/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the hub process exited (${code}) before listening`)));
  });
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    memory() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = (field: string) =>
        Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
      return { rss: kb('VmRSS'), peak: kb('VmHWM') };
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

// Run as the child: `node --import tsx hub-process.ts '<options JSON>'`.
if (process.argv[1] === SELF) {
  const { openHub } = await import('../../src/create-hub.js');
  const { TEST_KEY } = await import('./hub.js');
  const options = JSON.parse(process.argv[2] ?? '{}') as HubOptions;
  const hub = await openHub({ jwtKey: TEST_KEY, ...options });
  const server = await hub.listen(0);
  process.stdout.write(`port ${(server.address() as AddressInfo).port}\n`);
}
