import { createSecretKey, type KeyObject } from 'node:crypto';
import { errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import type { Authorizer, Credential, Grant } from '../hub/authorizer.js';
import { HeraldError } from '../hub/refusal.js';
import { parseSelector, type TopicSelector } from '../hub/topic-selector.js';

/**
 * JWT authorization. A token's `herald` claim holds two lists of topic selectors: `publish`
 * (topics it may publish to) and `subscribe` (private topics it may receive).
 */
export const MAX_TOKEN_LENGTH = 8192;

/** An HS256 key: raw bytes, or a KeyObject made once (verifying then skips re-importing the key). */
export type SecretKey = Uint8Array | KeyObject;

/** Turns a key given as text into HS256 key bytes. */
export function keyBytes(key: string | Uint8Array): Uint8Array {
  const bytes = typeof key === 'string' ? new TextEncoder().encode(key) : key;
  if (bytes.length < 32) throw new RangeError('the JWT key must be at least 32 bytes (256 bits) for HS256');
  return bytes;
}

function selectorList(value: unknown, field: string): TopicSelector[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new HeraldError(
      'unauthenticated',
      `invalid token: claim herald.${field} must be an array of topic selectors`,
    );
  }
  try {
    return value.map((v: string) => parseSelector(v));
  } catch (error) {
    throw new HeraldError(
      'unauthenticated',
      `invalid token: claim herald.${field}: ${(error as Error).message}`,
    );
  }
}

/** The Herald claims of a verified payload. */
export function grantOf(payload: JWTPayload): Grant {
  const claim = payload.herald;
  if (claim !== undefined && (typeof claim !== 'object' || claim === null)) {
    throw new HeraldError('unauthenticated', 'invalid token: claim herald must be an object');
  }
  const herald = (claim ?? {}) as Record<string, unknown>;
  return {
    publish: selectorList(herald.publish, 'publish'),
    subscribe: selectorList(herald.subscribe, 'subscribe'),
    expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
    subject: typeof payload.sub === 'string' ? payload.sub : undefined,
  };
}

/** A jose failure in plain words. */
export function verifyFailure(error: unknown): HeraldError {
  if (error instanceof HeraldError) return error;
  if (error instanceof errors.JWTExpired)
    return new HeraldError('unauthenticated', 'token expired: mint a new one');
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new HeraldError('unauthenticated', "invalid token: signature does not match this hub's key");
  }
  return new HeraldError('unauthenticated', `invalid token: ${(error as Error).message}`);
}

/** Verifies a token and returns its grant, or throws an 'unauthenticated' HeraldError with the reason. */
export async function verifyToken(token: string, key: SecretKey): Promise<Grant> {
  if (token.length > MAX_TOKEN_LENGTH) throw new HeraldError('unauthenticated', 'invalid token: too long');
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, { algorithms: ['HS256'] }));
  } catch (error) {
    throw verifyFailure(error);
  }
  return grantOf(payload);
}

/** HS256 JWTs with one shared secret, imported once. */
export class JwtAuthorizer implements Authorizer {
  readonly #key: KeyObject;

  constructor(key: string | Uint8Array) {
    this.#key = createSecretKey(keyBytes(key));
  }

  verify(credential: Credential): Promise<Grant> {
    return verifyToken(credential.token, this.#key);
  }
}

export interface MintOptions {
  publish?: string[];
  subscribe?: string[];
  /** Lifetime in seconds; none when undefined. */
  ttlSeconds?: number;
  subject?: string;
}

/** Mints an HS256 token carrying Herald claims. */
export async function mintToken(key: SecretKey, options: MintOptions): Promise<string> {
  for (const s of [...(options.publish ?? []), ...(options.subscribe ?? [])]) parseSelector(s);
  const herald: Record<string, string[]> = {};
  if (options.publish?.length) herald.publish = options.publish;
  if (options.subscribe?.length) herald.subscribe = options.subscribe;
  let jwt = new SignJWT({ herald }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt();
  if (options.subject !== undefined) jwt = jwt.setSubject(options.subject);
  if (options.ttlSeconds !== undefined)
    jwt = jwt.setExpirationTime(Math.floor(Date.now() / 1000) + options.ttlSeconds);
  return jwt.sign(key);
}
