import { decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import type { Authorizer, Credential, Grant } from '../hub/authorizer.js';
import { HeraldError } from '../hub/refusal.js';
import { grantOf, MAX_TOKEN_LENGTH } from './jwt.js';
import { algorithmMismatch, type KeyChoice, type KeySet } from './key-set.js';
import type { PinnedKey } from './pinned-key.js';
import { type ExpectedClaims, MALFORMED_TOKEN, tokenFailure } from './reasons.js';

/** Where an authorizer finds the key for a token: one fixed key, or a key set that may change. */
export interface KeySource {
  /** The key for a token's header; rejects with a HeraldError saying why none fits. */
  keyFor(choice: KeyChoice): Promise<PinnedKey>;
}

/** One key, fixed for the hub's life (an HS256 secret or a PEM public key). */
export class FixedKey implements KeySource {
  readonly #key: PinnedKey;

  constructor(key: PinnedKey) {
    this.#key = key;
  }

  async keyFor(choice: KeyChoice): Promise<PinnedKey> {
    if (!this.#key.algorithms.includes(choice.alg)) throw algorithmMismatch(choice.alg, [this.#key]);
    return this.#key;
  }
}

/** A key set given once, never refreshed. */
export class FixedKeySet implements KeySource {
  readonly #keys: KeySet;

  constructor(keys: KeySet) {
    this.#keys = keys;
  }

  async keyFor(choice: KeyChoice): Promise<PinnedKey> {
    return this.#keys.select(choice);
  }
}

/** Claims checked beyond the signature and the time window. */
export interface TokenChecks extends ExpectedClaims {
  /** Leeway for `exp` and `nbf` against clock skew, in seconds (default 0). */
  readonly clockToleranceSeconds?: number;
}

/**
 * Verifies signed JWTs carrying Herald claims against a key source. A token's algorithm must be
 * one its key takes (checked before the signature); `exp` and `nbf` are enforced, `iss` and `aud`
 * when configured. Every refusal is an 'unauthenticated' HeraldError (or 'unavailable' when a
 * remote key set cannot be fetched) with a one-line reason in plain words.
 */
export class KeyAuthorizer implements Authorizer {
  readonly #source: KeySource;
  readonly #checks: TokenChecks;
  readonly #now: () => number;

  constructor(source: KeySource, checks: TokenChecks = {}, now: () => number = Date.now) {
    this.#source = source;
    this.#checks = checks;
    this.#now = now;
  }

  async verify(credential: Credential): Promise<Grant> {
    const { token } = credential;
    if (token.length > MAX_TOKEN_LENGTH) {
      throw new HeraldError('unauthenticated', `the token is longer than ${MAX_TOKEN_LENGTH} characters`);
    }
    let header: Record<string, unknown>;
    try {
      header = decodeProtectedHeader(token);
    } catch (error) {
      throw new HeraldError('unauthenticated', MALFORMED_TOKEN, { cause: error });
    }
    const { alg, kid } = header;
    if (typeof alg !== 'string')
      throw new HeraldError('unauthenticated', "the token's header names no algorithm");
    if (kid !== undefined && typeof kid !== 'string') {
      throw new HeraldError('unauthenticated', "the token's key id (kid) is not a string");
    }
    const key = await this.#source.keyFor({ alg, kid });
    const checks = this.#checks;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key.key, {
        algorithms: [...key.algorithms],
        issuer: checks.issuer === undefined ? undefined : [checks.issuer].flat(),
        audience: checks.audience === undefined ? undefined : [checks.audience].flat(),
        clockTolerance: checks.clockToleranceSeconds ?? 0,
        currentDate: new Date(this.#now()),
      }));
    } catch (error) {
      throw tokenFailure(error, checks);
    }
    return grantOf(payload);
  }
}
