import type { Authorizer, Credential, Grant } from '../hub/authorizer.js';
import { HeraldError } from '../hub/refusal.js';
import { isLastingFailure } from './reasons.js';

export interface VerifiedCacheOptions {
  /** Most verified tokens remembered (default 10,000). */
  maxEntries?: number;
  /** Most refused tokens remembered (default 1,000): their own bound, so a flood evicts no good one. */
  maxFailures?: number;
  /**
   * How long an outcome is trusted before the token is checked again (ms, default 60,000): a key
   * removed from a JWKS stops being honoured, and one added starts being, within that time.
   */
  ttlMs?: number;
  now?: () => number;
}

/** Outcomes by token text, bounded in count (oldest forgotten first), each with its deadline. */
class Outcomes<T> {
  readonly #entries = new Map<string, { readonly value: T; readonly until: number }>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get(token: string, now: number): T | undefined {
    const hit = this.#entries.get(token);
    if (hit === undefined) return undefined;
    if (now < hit.until) return hit.value;
    this.#entries.delete(token);
    return undefined;
  }

  set(token: string, value: T, until: number): void {
    if (this.#max <= 0) return;
    // Oldest first: a Map iterates in insertion order.
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(token, { value, until });
  }
}

/**
 * Remembers what tokens verified to, so that a publisher posting with the same token, a thousand
 * subscribers reconnecting with theirs, or a flood of the same bad token costs a map lookup instead
 * of a signature check each time. The token text is the key: a single changed byte is another
 * token, verified afresh. A success is kept for at most `ttlMs` and never past the token's own
 * expiry. A refusal is kept for `ttlMs` only when time cannot change it (a bad signature, a
 * malformed token, one already expired: see isLastingFailure), and is answered with the same
 * refusal; one for a token not valid yet, or a key set that cannot be fetched, is not kept.
 * Tickets (single use) are never cached.
 */
export class VerifiedCache implements Authorizer {
  readonly #inner: Authorizer;
  readonly #grants: Outcomes<Grant>;
  readonly #refusals: Outcomes<HeraldError>;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #verifications = 0;

  constructor(inner: Authorizer, options: VerifiedCacheOptions = {}) {
    this.#inner = inner;
    this.#grants = new Outcomes(options.maxEntries ?? 10_000);
    this.#refusals = new Outcomes(options.maxFailures ?? 1_000);
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Tokens handed to the inner authorizer (verified against a key): what the cache did not answer. */
  get verifications(): number {
    return this.#verifications;
  }

  async verify(credential: Credential): Promise<Grant> {
    if (credential.source === 'ticket') return this.#inner.verify(credential);
    const { token } = credential;
    const now = this.#now();
    const grant = this.#grants.get(token, now);
    if (grant !== undefined) return grant;
    const refusal = this.#refusals.get(token, now);
    if (refusal !== undefined) throw refusal;
    this.#verifications++;
    let verified: Grant;
    try {
      verified = await this.#inner.verify(credential);
    } catch (error) {
      if (error instanceof HeraldError && isLastingFailure(error))
        this.#refusals.set(token, error, now + this.#ttlMs);
      throw error;
    }
    this.#grants.set(
      token,
      verified,
      Math.min(now + this.#ttlMs, verified.expiresAt ?? Number.POSITIVE_INFINITY),
    );
    return verified;
  }
}
