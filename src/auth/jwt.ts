import type { KeyObject } from 'node:crypto';
import { type JWTPayload, SignJWT } from 'jose';
import type { Grant } from '../hub/authorizer.js';
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
      `the token's herald.${field} claim must be a list of topic selectors`,
    );
  }
  try {
    return value.map((v: string) => parseSelector(v));
  } catch (error) {
    throw new HeraldError(
      'unauthenticated',
      `the token's herald.${field} claim: ${(error as Error).message}`,
    );
  }
}

/** The Herald claims of a verified payload. */
export function grantOf(payload: JWTPayload): Grant {
  const claim = payload.herald;
  if (claim !== undefined && (typeof claim !== 'object' || claim === null)) {
    throw new HeraldError('unauthenticated', "the token's herald claim must be a JSON object");
  }
  const herald = (claim ?? {}) as Record<string, unknown>;
  return {
    publish: selectorList(herald.publish, 'publish'),
    subscribe: selectorList(herald.subscribe, 'subscribe'),
    expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
    subject: typeof payload.sub === 'string' ? payload.sub : undefined,
    issuedAt: typeof payload.iat === 'number' ? payload.iat * 1000 : undefined,
    tokenId: typeof payload.jti === 'string' ? payload.jti : undefined,
  };
}

export interface MintOptions {
  publish?: string[];
  subscribe?: string[];
  /** Lifetime in seconds; none when undefined. */
  ttlSeconds?: number;
  subject?: string;
  /** The token's own id (`jti`), which `POST /revocations` can name. */
  tokenId?: string;
}

/** Mints an HS256 token carrying Herald claims. */
export async function mintToken(key: SecretKey, options: MintOptions): Promise<string> {
  for (const s of [...(options.publish ?? []), ...(options.subscribe ?? [])]) parseSelector(s);
  const herald: Record<string, string[]> = {};
  if (options.publish?.length) herald.publish = options.publish;
  if (options.subscribe?.length) herald.subscribe = options.subscribe;
  let jwt = new SignJWT({ herald }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt();
  if (options.subject !== undefined) jwt = jwt.setSubject(options.subject);
  if (options.tokenId !== undefined) jwt = jwt.setJti(options.tokenId);
  if (options.ttlSeconds !== undefined)
    jwt = jwt.setExpirationTime(Math.floor(Date.now() / 1000) + options.ttlSeconds);
  return jwt.sign(key);
}
