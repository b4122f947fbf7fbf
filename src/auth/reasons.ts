import { errors } from 'jose';
import { HeraldError, quote } from '../hub/refusal.js';

/** A NumericDate claim as an ISO time, or a quoted value when it is not a usable number. */
function when(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > 8.64e12) {
    return quote(String(value));
  }
  return new Date(value * 1000).toISOString().replace('.000Z', 'Z');
}

/** A list the hub expects, as shown in a reason. */
function expected(values: string | readonly string[]): string {
  return (typeof values === 'string' ? [values] : values).map((v) => quote(v)).join(' or ');
}

/** Claims a hub may require beyond the signature and the time window. */
export interface ExpectedClaims {
  /** Accepted issuers (`iss`): the token must name one of them. */
  readonly issuer?: string | readonly string[] | undefined;
  /** Accepted audiences (`aud`): the token must name at least one of them. */
  readonly audience?: string | readonly string[] | undefined;
}

export const MALFORMED_TOKEN =
  'the token is not a well-formed JWT (three base64url parts with a JSON header and claims)';

/**
 * A failed verification in plain words, as an 'unauthenticated' HeraldError with the library's
 * error as its cause. Reasons are one line and never repeat a library's wording.
 */
export function tokenFailure(error: unknown, checks: ExpectedClaims = {}): HeraldError {
  if (error instanceof HeraldError) return error;
  const fail = (reason: string) => new HeraldError('unauthenticated', reason, { cause: error });
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return fail("the token's signature does not match this hub's key");
  }
  if (error instanceof errors.JWTExpired) {
    if (error.claim === 'exp') return fail(`the token has expired (at ${when(error.payload.exp)})`);
    return fail('the token is too old');
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const { claim, reason, payload } = error;
    if (reason === 'missing') return fail(`the token has no ${claim} claim, which this hub requires`);
    if (reason === 'invalid') return fail(`the token's ${claim} claim is not a number`);
    if (claim === 'nbf') return fail(`the token is not valid before ${when(payload.nbf)}`);
    if (claim === 'iss' && checks.issuer !== undefined) {
      return fail(
        `the token's issuer ${quote(String(payload.iss))} is not the one this hub expects (${expected(checks.issuer)})`,
      );
    }
    if (claim === 'aud' && checks.audience !== undefined) {
      return fail(`the token's audience does not include this hub's (${expected(checks.audience)})`);
    }
    return fail(`the token's ${claim} claim does not pass this hub's check`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return fail("the token's algorithm does not fit this hub's key");
  if (error instanceof errors.JOSENotSupported)
    return fail('the token uses a header extension (crit) this hub does not support');
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return fail(MALFORMED_TOKEN);
  }
  return fail('the token could not be verified');
}

/**
 * Whether a refusal holds for good, whatever the time: a signature that does not match, a
 * malformed token, a wrong algorithm or claim, a token already expired (it only gets older). Not
 * one that time heals (`nbf` or `iat` in the future), nor one without a verification behind it (no key for
 * its kid, a key set that cannot be fetched: a refreshed key set may change them).
 */
export function isLastingFailure(error: HeraldError): boolean {
  if (error.code !== 'unauthenticated' || !(error.cause instanceof errors.JOSEError)) return false;
  const cause = error.cause;
  if (cause instanceof errors.JWTExpired) return true;
  // `nbf` in the future, or `iat` (with a maximum token age): valid later.
  return !(
    cause instanceof errors.JWTClaimValidationFailed &&
    (cause.claim === 'nbf' || cause.claim === 'iat')
  );
}
