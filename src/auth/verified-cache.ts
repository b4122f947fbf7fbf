import type { Authorizer, Credential, Grant } from '../hub/authorizer.js';

export interface VerifiedCacheOptions {
  /** Most tokens remembered (default 10,000). */
  maxEntries?: number;
  /** How long a verification is trusted before the token is checked again (ms, default 60,000). */
  ttlMs?: number;
  now?: () => number;
}

interface Entry {
  readonly grant: Grant;
  /** The earlier of the cache's own deadline and the credential's expiry. */
  readonly until: number;
}

/**
 * Remembers verified tokens, so that a publisher posting with the same token, or a thousand
 * subscribers reconnecting with theirs, costs a map lookup instead of a signature check each time.
 * Only successes are kept, never past the token's own expiry, and for at most `ttlMs` (so a key
 * removed from a JWKS stops being honoured within that time). The token text is the key: a single
 * changed byte is another token, verified afresh. Tickets (single use) are never cached.
 */
export class VerifiedCache implements Authorizer {
  readonly #inner: Authorizer;
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(inner: Authorizer, options: VerifiedCacheOptions = {}) {
    this.#inner = inner;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  async verify(credential: Credential): Promise<Grant> {
    if (credential.source === 'ticket') return this.#inner.verify(credential);
    const now = this.#now();
    const hit = this.#entries.get(credential.token);
    if (hit !== undefined) {
      if (now < hit.until) return hit.grant;
      this.#entries.delete(credential.token);
    }
    const grant = await this.#inner.verify(credential);
    const until = Math.min(now + this.#ttlMs, grant.expiresAt ?? Number.POSITIVE_INFINITY);
    if (this.#entries.size >= this.#maxEntries) {
      // Oldest first: a Map iterates in insertion order.
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
    this.#entries.set(credential.token, { grant, until });
    return grant;
  }
}
