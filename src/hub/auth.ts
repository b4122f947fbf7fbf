import { createSecretKey, type KeyObject } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { HeraldError } from './errors.js';
import { parseSelector, type TopicSelector } from './topic-selector.js';

/**
 * JWT authorization (HS256). A token's `herald` claim holds two lists of topic selectors:
 * `publish` (topics it may publish to) and `subscribe` (private topics it may receive).
 */
export interface HeraldClaims {
  publish: TopicSelector[];
  subscribe: TopicSelector[];
}

const MAX_TOKEN_LENGTH = 8192;

/** An HS256 key: raw bytes, or a KeyObject made once (verifying then skips re-importing the key). */
export type SecretKey = Uint8Array | KeyObject;

/** The hub's verification key, imported once. */
export function hubKey(key: string | Uint8Array): KeyObject {
  return createSecretKey(keyBytes(key));
}

/** Turns a key given as text into HS256 key bytes. */
export function keyBytes(key: string | Uint8Array): Uint8Array {
  const bytes = typeof key === 'string' ? new TextEncoder().encode(key) : key;
  if (bytes.length < 32) throw new RangeError('the JWT key must be at least 32 bytes (256 bits) for HS256');
  return bytes;
}

function selectorList(value: unknown, field: string): TopicSelector[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new HeraldError(401, `invalid token: claim herald.${field} must be an array of topic selectors`);
  }
  try {
    return value.map((v: string) => parseSelector(v));
  } catch (error) {
    throw new HeraldError(401, `invalid token: claim herald.${field}: ${(error as Error).message}`);
  }
}

/** Verifies a bearer token and returns its Herald claims, or throws a 401 HeraldError with the reason. */
export async function verifyToken(token: string, key: SecretKey): Promise<HeraldClaims> {
  if (token.length > MAX_TOKEN_LENGTH) throw new HeraldError(401, 'invalid token: too long');
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key, { algorithms: ['HS256'] }));
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw new HeraldError(401, 'token expired: mint a new one');
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      throw new HeraldError(401, "invalid token: signature does not match this hub's key");
    }
    throw new HeraldError(401, `invalid token: ${(error as Error).message}`);
  }
  const claim = payload.herald;
  if (claim !== undefined && (typeof claim !== 'object' || claim === null)) {
    throw new HeraldError(401, 'invalid token: claim herald must be an object');
  }
  const herald = (claim ?? {}) as Record<string, unknown>;
  return {
    publish: selectorList(herald.publish, 'publish'),
    subscribe: selectorList(herald.subscribe, 'subscribe'),
  };
}

/** Reads `Authorization: Bearer <token>`; undefined when absent, 401 when malformed. */
export function bearerToken(header: string | null): string | undefined {
  if (header === null || header === '') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new HeraldError(401, 'malformed Authorization header: expected "Bearer <token>"');
  return match[1];
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

/** Parses a duration like `90`, `30s`, `15m`, `1h`, `7d` into seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match) throw new RangeError(`"${text}" is not a duration (examples: 30s, 15m, 1h, 7d)`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
