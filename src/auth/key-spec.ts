import { fileURLToPath } from 'node:url';
import { type KeySpec, KeySpecError } from './create-authorizer.js';
import { checkJwksUrl } from './jwks-url.js';
import { KeyError } from './pinned-key.js';

const FORMS = 'hs256:SECRET, pem:FILE, jwks:FILE or jwks:URL';

/**
 * Reads a key as given on the command line or in the environment. The forms:
 *
 * ```
 * hs256:SECRET            an HS256 shared secret, at least 32 bytes: everything after "hs256:"
 * pem:FILE                a public key in PEM (SPKI, PKCS#1 or an X.509 certificate), read at startup;
 *                         its type pins the algorithm: RSA -> RS256, EC P-256/P-384/P-521 ->
 *                         ES256/ES384/ES512, Ed25519 -> EdDSA
 * jwks:FILE               a JWKS file (or jwks:file:///abs/path), re-read when it changes
 * jwks:https://HOST/PATH  a JWKS URL, fetched when needed and cached (plain http:// only to loopback)
 * ```
 *
 * The kind is case-insensitive; FILE is relative to the working directory. `herald serve` takes
 * them as `--publisher-key SPEC` and `--subscriber-key SPEC` (env `HERALD_PUBLISHER_KEY`,
 * `HERALD_SUBSCRIBER_KEY`); `--jwt-key SECRET` stays the shorthand for one bare HS256 secret
 * for both, and either specific option overrides it for its side. Issuer and audience checks
 * are options of their own (`--subscriber-issuer`, `--subscriber-audience` and the publisher
 * pair), so no value here needs escaping.
 *
 * Throws a KeySpecError in one line. No error repeats the value: it may be a secret.
 */
export function parseKeySpec(text: string): KeySpec {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new KeySpecError(`a key is given as ${FORMS} (e.g. pem:./public.pem)`);
  const kind = text.slice(0, colon).toLowerCase();
  const value = text.slice(colon + 1);
  if (kind !== 'hs256' && kind !== 'pem' && kind !== 'jwks') {
    throw new KeySpecError(`the key kind (before the first colon) must be hs256, pem or jwks: ${FORMS}`);
  }
  if (value === '')
    throw new KeySpecError(`${kind}: needs a ${kind === 'hs256' ? 'secret' : 'file or URL'} after the colon`);
  if (kind === 'hs256') {
    const bytes = new TextEncoder().encode(value).length;
    if (bytes < 32) throw new KeySpecError(`an hs256 secret must be at least 32 bytes (got ${bytes})`);
    return { secret: value };
  }
  if (kind === 'pem') return { publicKeyFile: value };
  if (/^file:/i.test(value)) {
    const usage = 'jwks:file: needs an absolute file URL (file:///path/to/keys.json), or give jwks:PATH';
    if (!/^file:\/\//i.test(value)) throw new KeySpecError(usage);
    try {
      return { jwksFile: fileURLToPath(value) };
    } catch {
      throw new KeySpecError(usage);
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    try {
      return { jwksUrl: checkJwksUrl(value) };
    } catch (error) {
      if (error instanceof KeyError) throw new KeySpecError(error.message);
      throw error;
    }
  }
  return { jwksFile: value };
}
