import { createPublicKey, createSecretKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { keyBytes } from './jwt.js';

/**
 * A verification key and the algorithms it takes. The algorithms come from the key (its type and
 * curve, or a JWK's own `alg`), never from a token's header: a token is checked against them before
 * its signature is, so `alg: none` and algorithm confusion (an HS256 token signed with a public key's
 * bytes) cannot get through.
 */
export interface PinnedKey {
  readonly key: KeyObject;
  readonly algorithms: readonly string[];
  /** The key's `kid`, when it came from a key set that names it. */
  readonly kid: string | undefined;
}

/** A key that cannot serve, in one line (the caller adds where it came from). */
export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyError';
  }
}

const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const MIN_RSA_BITS = 2048;
const EC_ALGORITHM: Readonly<Record<string, string>> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};
/** `EdDSA` (RFC 8037) and `Ed25519` (RFC 9864) name the same algorithm for an Ed25519 key. */
const ED25519_ALGORITHMS = ['EdDSA', 'Ed25519'];

/** The algorithms a public key's type admits, narrowed to one when the key (or its JWK) names one. */
function algorithmsOf(key: KeyObject, named: string | undefined): string[] {
  const type = key.asymmetricKeyType;
  let admitted: string[];
  let preferred: string;
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      throw new KeyError(`an RSA key needs at least ${MIN_RSA_BITS} bits (this one has ${bits})`);
    }
    admitted = RSA_ALGORITHMS;
    preferred = 'RS256';
  } else if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
    const algorithm = EC_ALGORITHM[curve];
    if (algorithm === undefined) {
      throw new KeyError(`EC keys on curve ${curve} are not supported (use P-256, P-384 or P-521)`);
    }
    admitted = [algorithm];
    preferred = algorithm;
  } else if (type === 'ed25519') {
    return named === undefined || ED25519_ALGORITHMS.includes(named)
      ? ED25519_ALGORITHMS
      : refuseNamed(named, 'an Ed25519 key takes EdDSA');
  } else {
    throw new KeyError(`keys of type ${type ?? 'unknown'} are not supported (use RSA, EC or Ed25519)`);
  }
  if (named === undefined) return [preferred];
  if (!admitted.includes(named))
    return refuseNamed(named, `an ${type.toUpperCase()} key takes ${admitted.join(', ')}`);
  return [named];
}

function refuseNamed(named: string, rule: string): never {
  throw new KeyError(`the key names algorithm ${JSON.stringify(named).slice(0, 40)}, but ${rule}`);
}

/** An HS256 secret (at least 32 bytes). */
export function secretKey(secret: string | Uint8Array): PinnedKey {
  return { key: createSecretKey(keyBytes(secret)), algorithms: ['HS256'], kid: undefined };
}

/**
 * A public key in PEM (SPKI `PUBLIC KEY`, PKCS#1 `RSA PUBLIC KEY` or an X.509 certificate).
 * `algorithm` narrows an RSA key to one of RS256..PS512 (default RS256).
 */
export function pemKey(pem: string, algorithm?: string): PinnedKey {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new KeyError('it holds a private key; give the hub only the public key (openssl pkey -pubout)');
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new KeyError('it holds no public key in PEM form ("-----BEGIN PUBLIC KEY-----")');
  }
  return { key, algorithms: algorithmsOf(key, algorithm), kid: undefined };
}

/** A member of a JWKS. Symmetric, private and encryption keys are refused. */
export function jwkKey(jwk: Readonly<Record<string, unknown>>): PinnedKey {
  const kid = typeof jwk.kid === 'string' ? jwk.kid : undefined;
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new KeyError('the key is not for signatures (use)');
  if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) {
    throw new KeyError('the key is not for verifying (key_ops)');
  }
  if (jwk.kty === 'oct') throw new KeyError('a key set must hold public keys, not shared secrets');
  if (jwk.d !== undefined) throw new KeyError('a key set must hold public keys, not private ones');
  if (jwk.alg !== undefined && typeof jwk.alg !== 'string') throw new KeyError('the key has a malformed alg');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    throw new KeyError(
      `the key is not a valid ${typeof jwk.kty === 'string' ? jwk.kty.slice(0, 8) : ''} JWK`,
    );
  }
  return { key, algorithms: algorithmsOf(key, jwk.alg), kid };
}
