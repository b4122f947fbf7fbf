import { readFile, stat } from 'node:fs/promises';
import type { KeySource } from './key-authorizer.js';
import { type KeyChoice, KeySet } from './key-set.js';
import { KeyError, type PinnedKey } from './pinned-key.js';

/** A JWKS file is a few KiB; anything much larger is a mistake. */
const MAX_FILE_BYTES = 1024 * 1024;

export interface KeySetEvents {
  /** A new key set is in use (after a change was read). */
  onRefresh?: (keys: KeySet) => void;
  /** A refresh failed; the previous keys stay in use. One line, for the operator's log. */
  onError?: (reason: string) => void;
}

export interface JwksFileOptions extends KeySetEvents {
  /** The file is looked at (one stat) at most this often, in ms (default 5000). */
  checkIntervalMs?: number;
  now?: () => number;
}

/** Why a file could not be read, in a few words. */
export function readFailure(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

/** Reads and checks a JWKS file; throws a KeyError naming the file. */
async function readKeySet(path: string): Promise<{ keys: KeySet; stamp: string }> {
  const subject = `the JWKS file ${path}`;
  let stamp: string;
  let text: string;
  try {
    const info = await stat(path, { bigint: true });
    if (info.size > MAX_FILE_BYTES)
      throw new KeyError(`${subject}: it is larger than ${MAX_FILE_BYTES} bytes`);
    stamp = `${info.ino}:${info.size}:${info.mtimeNs}`;
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof KeyError) throw error;
    throw new KeyError(`cannot read ${subject} (${readFailure(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeyError(`${subject}: it is not JSON`);
  }
  try {
    return { keys: KeySet.from(json), stamp };
  } catch (error) {
    if (error instanceof KeyError) throw new KeyError(`${subject}: ${error.message}`);
    throw error;
  }
}

/**
 * A JWKS in a file, re-read when the file changes (its inode, size or mtime), looked at no more
 * than once per check interval, so rotating keys is a matter of rewriting the file. A file that
 * fails to read or parse leaves the previous keys in use.
 */
export class JwksFile implements KeySource {
  readonly path: string;
  readonly #interval: number;
  readonly #now: () => number;
  readonly #events: KeySetEvents;
  #keys: KeySet;
  #stamp: string;
  #checkedAt: number;
  #checking: Promise<void> | undefined;
  #lastError: string | undefined;

  private constructor(path: string, first: { keys: KeySet; stamp: string }, options: JwksFileOptions) {
    this.path = path;
    this.#interval = options.checkIntervalMs ?? 5000;
    this.#now = options.now ?? Date.now;
    this.#events = options;
    this.#keys = first.keys;
    this.#stamp = first.stamp;
    this.#checkedAt = this.#now();
  }

  /** Reads the file once; throws a KeyError when it is missing or holds no usable key. */
  static async open(path: string, options: JwksFileOptions = {}): Promise<JwksFile> {
    return new JwksFile(path, await readKeySet(path), options);
  }

  /** The keys now in use. */
  get keys(): KeySet {
    return this.#keys;
  }

  async keyFor(choice: KeyChoice): Promise<PinnedKey> {
    const now = this.#now();
    if (now - this.#checkedAt >= this.#interval) {
      this.#checkedAt = now;
      this.#checking ??= this.#check().finally(() => {
        this.#checking = undefined;
      });
    }
    if (this.#checking) await this.#checking;
    return this.#keys.select(choice);
  }

  async #check(): Promise<void> {
    try {
      const info = await stat(this.path, { bigint: true });
      if (`${info.ino}:${info.size}:${info.mtimeNs}` === this.#stamp) return;
      const next = await readKeySet(this.path);
      this.#keys = next.keys;
      this.#stamp = next.stamp;
      this.#lastError = undefined;
      this.#events.onRefresh?.(next.keys);
    } catch (error) {
      const reason =
        error instanceof KeyError
          ? error.message
          : `cannot read the JWKS file ${this.path} (${readFailure(error)})`;
      // A broken file is retried every interval; the operator hears about it once per new reason.
      if (reason !== this.#lastError) this.#events.onError?.(`${reason}; keeping the previous keys`);
      this.#lastError = reason;
    }
  }
}
