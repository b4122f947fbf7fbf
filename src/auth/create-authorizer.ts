import { readFile } from 'node:fs/promises';
import type { Authorizer } from '../hub/authorizer.js';
import { JwksFile, type JwksFileOptions, type KeySetEvents, readFailure } from './jwks-file.js';
import { checkJwksUrl, JwksUrl } from './jwks-url.js';
import { FixedKey, FixedKeySet, KeyAuthorizer, type KeySource, type TokenChecks } from './key-authorizer.js';
import { KeySet } from './key-set.js';
import { KeyError, pemKey, secretKey } from './pinned-key.js';

/** Where the key that verifies tokens comes from: exactly one of these. */
export type KeySpec =
  /** An HS256 shared secret, at least 32 bytes. */
  | { readonly secret: string | Uint8Array }
  /** A public key in PEM; RSA keys take RS256 unless `algorithm` names another RSA algorithm. */
  | { readonly publicKeyPem: string; readonly algorithm?: string }
  /** A file holding a public key in PEM, read once. */
  | { readonly publicKeyFile: string; readonly algorithm?: string }
  /** A parsed JWKS (`{"keys": [...]}`), fixed. */
  | { readonly jwks: unknown }
  /** A JWKS file, re-read when it changes (looked at once per `checkIntervalSeconds`, default 5). */
  | { readonly jwksFile: string; readonly checkIntervalSeconds?: number }
  /**
   * A JWKS URL (https, or http to loopback), fetched when first needed and again when older than
   * `refreshIntervalSeconds` (default 300) or when a token names an unknown `kid`; never twice
   * within `cooldownSeconds` (default 30).
   */
  | {
      readonly jwksUrl: string | URL;
      readonly refreshIntervalSeconds?: number;
      readonly cooldownSeconds?: number;
      readonly timeoutSeconds?: number;
    };

/** A key and the claims tokens must carry. */
export type AuthorizerSpec = KeySpec & TokenChecks;

/** What the hub around an authorizer provides: a clock, and a log for key set refreshes. */
export interface AuthorizerContext extends KeySetEvents {
  now?: () => number;
}

/** A configuration that cannot work, in one line (fit for a usage error). */
export class KeySpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeySpecError';
  }
}

const SOURCES = ['secret', 'publicKeyPem', 'publicKeyFile', 'jwks', 'jwksFile', 'jwksUrl'] as const;

/** A duration given in seconds, checked, in ms. */
function millis(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value < 0)
    throw new KeySpecError(`${name} must be a number of seconds, 0 or more`);
  return value * 1000;
}

async function keySource(spec: KeySpec, context: AuthorizerContext): Promise<KeySource> {
  if ('secret' in spec) return new FixedKey(secretKey(spec.secret));
  if ('publicKeyPem' in spec) return new FixedKey(pemKey(spec.publicKeyPem, spec.algorithm));
  if ('publicKeyFile' in spec) {
    const path = spec.publicKeyFile;
    let pem: string;
    try {
      pem = await readFile(path, 'utf8');
    } catch (error) {
      throw new KeyError(`cannot read the key file ${path} (${readFailure(error)})`);
    }
    try {
      return new FixedKey(pemKey(pem, spec.algorithm));
    } catch (error) {
      throw error instanceof KeyError ? new KeyError(`the key file ${path}: ${error.message}`) : error;
    }
  }
  if ('jwks' in spec) {
    try {
      return new FixedKeySet(KeySet.from(spec.jwks));
    } catch (error) {
      throw error instanceof KeyError ? new KeyError(`the JWKS: ${error.message}`) : error;
    }
  }
  if ('jwksFile' in spec) {
    const options: JwksFileOptions = {
      ...context,
      checkIntervalMs: millis(spec.checkIntervalSeconds, 'checkIntervalSeconds'),
    };
    return JwksFile.open(spec.jwksFile, options);
  }
  return new JwksUrl(spec.jwksUrl, {
    ...context,
    refreshIntervalMs: millis(spec.refreshIntervalSeconds, 'refreshIntervalSeconds'),
    cooldownMs: millis(spec.cooldownSeconds, 'cooldownSeconds'),
    timeoutMs: millis(spec.timeoutSeconds, 'timeoutSeconds'),
  });
}

/**
 * Checks what can be checked without reading a file or the network: one key source, well-formed
 * issuer, audience and durations, and an in-memory key (secret, PEM text, JWKS, JWKS URL) that can
 * serve. Throws a KeySpecError in one line.
 */
export function checkAuthorizerSpec(spec: AuthorizerSpec): void {
  const given = SOURCES.filter((name) => name in spec);
  if (given.length !== 1) {
    throw new KeySpecError(
      `give exactly one key source (${SOURCES.join(', ')}); got ${given.length ? given.join(' and ') : 'none'}`,
    );
  }
  const { issuer, audience, clockToleranceSeconds } = spec;
  millis(clockToleranceSeconds, 'clockToleranceSeconds');
  for (const [name, value] of [
    ['issuer', issuer],
    ['audience', audience],
  ] as const) {
    const list = value === undefined ? [] : [value].flat();
    if (value !== undefined && (list.length === 0 || list.some((v) => typeof v !== 'string' || v === ''))) {
      throw new KeySpecError(`${name} must be a non-empty string or a list of them`);
    }
  }
  try {
    if ('secret' in spec) secretKey(spec.secret);
    else if ('publicKeyPem' in spec) pemKey(spec.publicKeyPem, spec.algorithm);
    else if ('jwks' in spec) KeySet.from(spec.jwks);
    else if ('jwksUrl' in spec) {
      checkJwksUrl(spec.jwksUrl);
      millis(spec.refreshIntervalSeconds, 'refreshIntervalSeconds');
      millis(spec.cooldownSeconds, 'cooldownSeconds');
      millis(spec.timeoutSeconds, 'timeoutSeconds');
    } else if ('jwksFile' in spec) millis(spec.checkIntervalSeconds, 'checkIntervalSeconds');
  } catch (error) {
    if (error instanceof KeyError || error instanceof RangeError) throw new KeySpecError(error.message);
    throw error;
  }
}

/**
 * An Authorizer for one key spec. Files are read (and checked) now, so a wrong path or a key that
 * cannot serve fails at startup; a JWKS URL is fetched when the first token arrives, so a key
 * server that is briefly down does not keep the hub from starting. Rejects with a KeySpecError.
 */
export async function createAuthorizer(
  spec: AuthorizerSpec,
  context: AuthorizerContext = {},
): Promise<Authorizer> {
  checkAuthorizerSpec(spec);
  const { issuer, audience, clockToleranceSeconds } = spec;
  let source: KeySource;
  try {
    source = await keySource(spec, context);
  } catch (error) {
    if (error instanceof KeyError || error instanceof RangeError) throw new KeySpecError(error.message);
    throw error;
  }
  return new KeyAuthorizer(source, { issuer, audience, clockToleranceSeconds }, context.now);
}
