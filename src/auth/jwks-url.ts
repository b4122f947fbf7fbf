import { HeraldError } from '../hub/refusal.js';
import type { KeySetEvents } from './jwks-file.js';
import type { KeySource } from './key-authorizer.js';
import { type KeyChoice, KeySet } from './key-set.js';
import { KeyError, type PinnedKey } from './pinned-key.js';

export interface JwksUrlOptions extends KeySetEvents {
  /** Keys older than this are fetched again on the next verification, in ms (default 300000). */
  refreshIntervalMs?: number;
  /**
   * No fetch starts sooner than this after the previous one began, whatever asks for it (stale
   * keys, an unknown `kid`, a failed fetch), in ms (default 30000).
   */
  cooldownMs?: number;
  /** A fetch that takes longer fails, in ms (default 5000). */
  timeoutMs?: number;
  /** A larger answer is refused (default 256 KiB). */
  maxBytes?: number;
  now?: () => number;
}

/** Plain http is for a key server on the same machine only: anyone on the path could swap the keys. */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** Checks a JWKS URL: https, or http to a loopback host. Throws a KeyError. */
export function checkJwksUrl(url: string | URL): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KeyError('the JWKS URL is not a valid URL');
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:' && LOOPBACK.test(parsed.hostname)) return parsed;
  if (parsed.protocol === 'http:')
    throw new KeyError('a JWKS URL must use https (plain http only to a loopback host)');
  throw new KeyError(`a JWKS URL must use https, not ${parsed.protocol.slice(0, 12)}`);
}

async function readBounded(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxBytes) throw new KeyError(`the key server sent more than ${maxBytes} bytes`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new KeyError(`the key server sent more than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Why a fetch failed, in a few plain words. */
function fetchReason(error: unknown, timeoutMs: number): string {
  if (error instanceof KeyError) return error.message;
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError')
    return `the key server did not answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (cause?.code === 'ECONNREFUSED') return 'the key server refused the connection';
  if (cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN')
    return "the key server's host does not resolve";
  if (typeof cause?.message === 'string' && cause.message.includes('redirect')) {
    return 'the key server answered with a redirect (give the final URL)';
  }
  const text = typeof cause?.message === 'string' ? cause.message : (error as Error)?.message;
  return `the key server could not be reached (${String(text ?? error)
    .split('\n')[0]!
    .slice(0, 120)})`;
}

/**
 * A JWKS fetched from a URL and cached. Keys are fetched again when they are older than the
 * refresh interval (in the background: the old keys serve meanwhile), or when a token names a
 * `kid` the set does not hold (a rotation: that token waits for the fetch); either way at most
 * one fetch is in flight and none starts within the cooldown of the previous one, so a flood of
 * tokens with unknown kids costs the key server one request per cooldown. A failed fetch leaves
 * the previous keys in use.
 */
export class JwksUrl implements KeySource {
  readonly url: URL;
  readonly #refreshMs: number;
  readonly #cooldownMs: number;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  readonly #events: KeySetEvents;
  #keys: KeySet | undefined;
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #attemptedAt = Number.NEGATIVE_INFINITY;
  #pending: Promise<void> | undefined;
  #lastError: string | undefined;
  #fetches = 0;

  constructor(url: string | URL, options: JwksUrlOptions = {}) {
    this.url = checkJwksUrl(url);
    this.#cooldownMs = options.cooldownMs ?? 30_000;
    this.#refreshMs = Math.max(options.refreshIntervalMs ?? 300_000, this.#cooldownMs);
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#maxBytes = options.maxBytes ?? 256 * 1024;
    this.#now = options.now ?? Date.now;
    this.#events = options;
  }

  /** Fetches started so far. */
  get fetches(): number {
    return this.#fetches;
  }

  /** The keys now in use, if a fetch has succeeded. */
  get keys(): KeySet | undefined {
    return this.#keys;
  }

  /** Resolves once no fetch is in flight (for a clean shutdown, and for tests). */
  async idle(): Promise<void> {
    await this.#pending;
  }

  async keyFor(choice: KeyChoice): Promise<PinnedKey> {
    if (this.#keys === undefined) await this.#refresh();
    // Stale keys keep serving while fresh ones are fetched, so a slow key server slows no one.
    else if (this.#now() - this.#fetchedAt >= this.#refreshMs) void this.#refresh();
    let keys = this.#keys;
    if (keys === undefined) {
      const retryAfterMs = Math.max(0, this.#attemptedAt + this.#cooldownMs - this.#now());
      throw new HeraldError('unavailable', `this hub cannot fetch its key set: ${this.#lastError}`, {
        retryAfterMs,
      });
    }
    if (choice.kid !== undefined && !keys.has(choice.kid)) {
      await this.#refresh();
      keys = this.#keys!;
    }
    return keys.select(choice);
  }

  /** Joins the fetch in flight, or starts one unless within the cooldown. */
  #refresh(): Promise<void> {
    if (this.#pending) return this.#pending;
    const now = this.#now();
    if (now - this.#attemptedAt < this.#cooldownMs) return Promise.resolve();
    this.#attemptedAt = now;
    this.#fetches++;
    this.#pending = this.#fetch().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #fetch(): Promise<void> {
    try {
      const response = await fetch(this.url, {
        headers: { accept: 'application/jwk-set+json, application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new KeyError(`the key server answered ${response.status}`);
      }
      const text = await readBounded(response, this.#maxBytes);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new KeyError("the key server's answer is not JSON");
      }
      try {
        this.#keys = KeySet.from(json);
      } catch (error) {
        if (error instanceof KeyError) throw new KeyError(`the key server's answer: ${error.message}`);
        throw error;
      }
      this.#fetchedAt = this.#now();
      this.#lastError = undefined;
      this.#events.onRefresh?.(this.#keys);
    } catch (error) {
      const reason = fetchReason(error, this.#timeoutMs);
      if (reason !== this.#lastError) {
        this.#events.onError?.(
          `cannot fetch the JWKS at ${this.url.href}: ${reason}${this.#keys ? '; keeping the previous keys' : ''}`,
        );
      }
      this.#lastError = reason;
    }
  }
}
