import type { TopicSelector } from './topic-selector.js';

/**
 * Where a credential came from, in the hub's words (each transport knows where it finds each one;
 * over HTTP: the Authorization header, `ticket=`, the auth cookie, `access_token=`):
 * - `bearer`: presented by code for this very request;
 * - `ticket`: a single-use ticket bought for this request;
 * - `ambient`: sent with every request to the site (a cookie), whoever asks;
 * - `url`: inside the address itself, which lands in logs and history.
 */
export type CredentialSource = 'bearer' | 'ticket' | 'ambient' | 'url';

/** A credential as a transport found it (a bearer token, a cookie's value, a ticket). */
export interface Credential {
  readonly token: string;
  readonly source: CredentialSource;
}

/** What a verified credential allows. */
export interface Grant {
  /** Topics the holder may publish to. */
  readonly publish: readonly TopicSelector[];
  /** Private topics the holder may receive. */
  readonly subscribe: readonly TopicSelector[];
  /** When the credential stops being valid (ms since the Unix epoch); undefined: never. */
  readonly expiresAt: number | undefined;
  /** Who it was issued to (`sub`), for logs and revocation; undefined when the credential names no one. */
  readonly subject: string | undefined;
  /** When it was issued (`iat`, ms since the Unix epoch), for revocation; undefined when unknown. */
  readonly issuedAt?: number | undefined;
  /** Its own id (`jti`), for revocation; undefined when it has none. */
  readonly tokenId?: string | undefined;
}

/**
 * Verifies credentials. The hub holds one for publishers and one for subscribers (the same object
 * when one key serves both). Rejects with a HeraldError ('unauthenticated') whose message says why
 * in plain words.
 */
export interface Authorizer {
  verify(credential: Credential): Promise<Grant>;
}

/** What `POST /tickets` answers: a single-use ticket and its lifetime in whole seconds. */
export interface IssuedTicket {
  readonly ticket: string;
  readonly expiresIn: number;
}

/**
 * Where the hub keeps single-use tickets (auth/tickets.ts has the implementation; redeeming is an
 * Authorizer's business, for credentials whose source is 'ticket').
 */
export interface Tickets {
  /** A ticket carrying `grant`; throws a HeraldError when the grant cannot have one. */
  issue(grant: Grant): IssuedTicket;
  /** Forgets expired tickets (the hub calls it once a second). */
  sweep(now?: number): void;
}
