/**
 * Commands from the docs run the way a reader pastes them: `sh -c` in the checkout, in a shell with
 * none of Herald's variables, each in its own process group so that everything it started (npx runs
 * the hub as its child) can be ended together. `stopShells` ends every group still alive.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The environment of a newcomer's shell: none of Herald's variables, npx never downloads. */
export function shellEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { npm_config_yes: 'false', npm_config_update_notifier: 'false' };
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('HERALD_') && key !== 'PORT') env[key] = value;
  return { ...env, ...extra };
}

export interface Shell {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

const started: ChildProcess[] = [];

export function sh(script: string, env: Record<string, string> = {}, cwd = ROOT): Shell {
  const child = spawn('sh', ['-c', script], { cwd, env: shellEnv(env), detached: true });
  started.push(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

/** Polls `check` until it holds; fails after `timeoutMs` with what the shell printed. */
export async function until(
  check: () => boolean,
  what: string,
  shell: Shell,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\nstdout: ${shell.out()}\nstderr: ${shell.err()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** SIGKILLs a shell's process group (the group, even when its leader has exited: npx's child may outlive it). */
export function stopShell(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Stops every shell started here. */
export function stopShells(): void {
  for (const child of started.splice(0)) stopShell(child);
}
