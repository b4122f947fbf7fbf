import type { Authorizer, Credential, Grant } from '../hub/authorizer.js';
import { HeraldError } from '../hub/refusal.js';
import {
  type AuthorizerContext,
  type AuthorizerSpec,
  checkAuthorizerSpec,
  createAuthorizer,
  KeySpecError,
} from './create-authorizer.js';
import { FixedKey, KeyAuthorizer } from './key-authorizer.js';
import { KeyError, secretKey } from './pinned-key.js';
import { VerifiedCache } from './verified-cache.js';

/**
 * How `createHub` is told to verify one side's tokens: a key spec (`{ secret }`, `{ publicKeyPem }`,
 * `{ publicKeyFile }`, `{ jwks }`, `{ jwksFile }`, `{ jwksUrl }`, each with optional `issuer`,
 * `audience` and `clockToleranceSeconds`), or an Authorizer of your own.
 */
export type KeyOption = AuthorizerSpec | Authorizer;

export function isAuthorizer(option: KeyOption): option is Authorizer {
  return typeof (option as Partial<Authorizer>).verify === 'function';
}

/**
 * An Authorizer still being made: `createAuthorizer` is async (it reads key files), `createHub` is
 * not. Made at once, so that a file is read while the hub starts; `ready()` settles when it is,
 * rejecting with the KeySpecError (`hub.listen` and `herald serve` wait for it, so a wrong file
 * fails startup). Until then a token waits for the key; should the key never load, every token is
 * refused as 'unavailable' with a reason that names no file (the operator's log has the details).
 */
export class PendingAuthorizer implements Authorizer {
  readonly #making: Promise<Authorizer>;
  readonly #side: string;
  #made: Authorizer | undefined;
  #failed = false;

  constructor(making: Promise<Authorizer>, side: string) {
    this.#side = side;
    this.#making = making;
    making.then(
      (authorizer) => {
        this.#made = authorizer;
      },
      () => {
        this.#failed = true;
      },
    );
  }

  /** Resolves once the key is loaded; rejects with the reason it cannot be. */
  async ready(): Promise<void> {
    await this.#making;
  }

  verify(credential: Credential): Promise<Grant> {
    if (this.#made !== undefined) return this.#made.verify(credential);
    if (this.#failed) return Promise.reject(this.#unloaded());
    return this.#making.then(
      (authorizer) => authorizer.verify(credential),
      () => {
        throw this.#unloaded();
      },
    );
  }

  #unloaded(): HeraldError {
    return new HeraldError(
      'unavailable',
      `this hub's ${this.#side} key could not be loaded (see the hub's log)`,
    );
  }
}

/** An HS256 secret's authorizer, made at once (the shorthand `jwtKey`). Throws a KeySpecError. */
export function secretAuthorizer(secret: string | Uint8Array): KeyAuthorizer {
  try {
    return new KeyAuthorizer(new FixedKey(secretKey(secret)));
  } catch (error) {
    if (error instanceof KeyError || error instanceof RangeError) throw new KeySpecError(error.message);
    throw error;
  }
}

/** `createHub`'s key options. */
export interface KeyOptions {
  /** An HS256 secret for both sides, unless a side has its own key. */
  readonly jwtKey?: string | Uint8Array | undefined;
  readonly publisherKey?: KeyOption | undefined;
  readonly subscriberKey?: KeyOption | undefined;
}

/** The authorizers of a hub's two sides, and when their keys are loaded. */
export interface HubKeys {
  readonly publishers: Authorizer | undefined;
  readonly subscribers: Authorizer | undefined;
  /** Resolves once both sides' keys are loaded; rejects with a KeySpecError saying which failed. */
  ready(): Promise<void>;
  /** Tokens verified against a key so far, both sides (what the verified-token caches did not answer). */
  verifications(): number;
}

/**
 * The authorizers for `createHub`'s key options: `publisherKey` and `subscriberKey` each win over
 * `jwtKey` for their side; one spec object given for both sides makes one authorizer. Checks every
 * spec now (a KeySpecError is thrown at once for what needs no file), loads files in the background.
 * Authorizers made from keys remember verified tokens (VerifiedCache); one of your own is used as
 * given.
 */
export function hubKeys(options: KeyOptions, context: (side: string) => AuthorizerContext): HubKeys {
  const pending: Array<{ side: string; authorizer: PendingAuthorizer }> = [];
  const made = new Map<KeyOption, VerifiedCache>();
  const make = (option: KeyOption, side: string): Authorizer => {
    if (isAuthorizer(option)) return option;
    const known = made.get(option);
    if (known !== undefined) return known;
    checkAuthorizerSpec(option);
    const pendingAuthorizer = new PendingAuthorizer(createAuthorizer(option, context(side)), side);
    pending.push({ side, authorizer: pendingAuthorizer });
    // Verified tokens are remembered: a repeated token costs a lookup, not a signature check.
    const authorizer = new VerifiedCache(pendingAuthorizer);
    made.set(option, authorizer);
    return authorizer;
  };
  const shared =
    options.jwtKey === undefined ? undefined : new VerifiedCache(secretAuthorizer(options.jwtKey));
  const { publisherKey, subscriberKey } = options;
  const both = publisherKey !== undefined && publisherKey === subscriberKey;
  const publishers =
    publisherKey === undefined ? shared : make(publisherKey, both ? 'publisher and subscriber' : 'publisher');
  const subscribers =
    subscriberKey === undefined
      ? shared
      : make(subscriberKey, both ? 'publisher and subscriber' : 'subscriber');
  const caches = [...made.values(), ...(shared === undefined ? [] : [shared])];
  return {
    publishers,
    subscribers,
    verifications: () => caches.reduce((sum, cache) => sum + cache.verifications, 0),
    async ready() {
      for (const { side, authorizer } of pending) {
        try {
          await authorizer.ready();
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          throw new KeySpecError(`the ${side} key: ${reason}`);
        }
      }
    },
  };
}
