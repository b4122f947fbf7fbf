import { HeraldError, quote } from '../hub/refusal.js';
import { jwkKey, KeyError, type PinnedKey } from './pinned-key.js';

/** More keys than any real issuer publishes at once (a few during a rotation). */
export const MAX_KEYS = 100;

/** The parts of a token's protected header that pick a key. */
export interface KeyChoice {
  readonly alg: string;
  readonly kid: string | undefined;
}

/** The usable signing keys of a JWKS (`{"keys": [...]}`); members that cannot serve are left out. */
export class KeySet {
  readonly keys: readonly PinnedKey[];
  /** Why each left-out member was left out, for the operator. */
  readonly skipped: readonly string[];

  private constructor(keys: PinnedKey[], skipped: string[]) {
    this.keys = keys;
    this.skipped = skipped;
  }

  /** Reads a parsed JWKS; throws a KeyError when it is malformed or holds no usable key. */
  static from(jwks: unknown): KeySet {
    const members = (jwks as { keys?: unknown } | null)?.keys;
    if (typeof jwks !== 'object' || jwks === null || !Array.isArray(members)) {
      throw new KeyError('it is not a JWKS (a JSON object with a "keys" array)');
    }
    if (members.length > MAX_KEYS) throw new KeyError(`it holds ${members.length} keys; at most ${MAX_KEYS}`);
    const keys: PinnedKey[] = [];
    const skipped: string[] = [];
    members.forEach((member, index) => {
      try {
        if (typeof member !== 'object' || member === null) throw new KeyError('it is not a JSON object');
        keys.push(jwkKey(member as Record<string, unknown>));
      } catch (error) {
        if (!(error instanceof KeyError)) throw error;
        skipped.push(`key ${index}: ${error.message}`);
      }
    });
    if (keys.length === 0) {
      throw new KeyError(`it holds no usable signing key${skipped.length ? ` (${skipped[0]})` : ''}`);
    }
    return new KeySet(keys, skipped);
  }

  /** Whether a key with this `kid` is in the set. */
  has(kid: string): boolean {
    return this.keys.some((k) => k.kid === kid);
  }

  /**
   * The key for a token: by `kid` when the token names one, else the only key that takes its
   * algorithm. Throws an 'unauthenticated' HeraldError saying why none fits.
   */
  select(choice: KeyChoice): PinnedKey {
    const { alg, kid } = choice;
    const named = kid === undefined ? this.keys : this.keys.filter((k) => k.kid === kid);
    if (named.length === 0) {
      throw new HeraldError(
        'unauthenticated',
        `the token's key id ${quote(kid!)} is not in this hub's key set`,
      );
    }
    const fitting = named.filter((k) => k.algorithms.includes(alg));
    if (fitting.length === 0) throw algorithmMismatch(alg, named);
    if (fitting.length > 1 && kid === undefined) {
      throw new HeraldError(
        'unauthenticated',
        `the token names no key id (kid) and this hub's key set has several ${alg} keys`,
      );
    }
    return fitting[0]!;
  }
}

/** "the token uses algorithm X; this hub's key takes Y", for one key or several. */
export function algorithmMismatch(alg: string, keys: readonly PinnedKey[]): HeraldError {
  const taken = [...new Set(keys.flatMap((k) => k.algorithms))].join(', ');
  const shown = /^[\w+-]{1,32}$/.test(alg) ? alg : quote(alg);
  const used = alg === 'none' ? 'is unsigned (algorithm none)' : `uses algorithm ${shown}`;
  const whose = keys.length === 1 ? "this hub's key takes" : "this hub's keys take";
  return new HeraldError('unauthenticated', `the token ${used}; ${whose} ${taken}`);
}
