import { randomBytes } from 'node:crypto';
import type { Authorizer, Credential, Grant, IssuedTicket, Tickets } from '../hub/authorizer.js';
import { HeraldError } from '../hub/refusal.js';

/** 24 random bytes: 192 bits, 32 base64url characters. */
const TICKET_BYTES = 24;
const TICKET_SHAPE = /^[A-Za-z0-9_-]{32}$/;

export interface TicketOptions {
  /** How long a ticket may wait to be used, in seconds (default 30); never past its grant's expiry. */
  lifetimeSeconds?: number;
  /** Outstanding tickets kept at most (default 100000); past it the oldest are dropped. */
  maxOutstanding?: number;
  now?: () => number;
}

export type { IssuedTicket };

interface Entry {
  /** Undefined once redeemed: the entry stays until it expires, so a second use is told so. */
  grant: Grant | undefined;
  readonly expiresAt: number;
}

/**
 * Single-use tickets: a subscriber trades its token (sent in a header or a cookie) for a short-lived
 * random ticket carrying the same grant, and puts only the ticket in an `EventSource` URL, so a
 * long-lived token never lands in URLs, access logs or browser history. A ticket is redeemed once,
 * within its lifetime; the grant's own expiry is kept, never extended.
 *
 * Bounded without a timer per ticket: expired tickets are swept from the oldest end on every
 * issue and redeem (or by `sweep()` from a hub tick), and past `maxOutstanding` the oldest
 * outstanding ticket is dropped to make room.
 */
export class TicketBook implements Tickets {
  readonly lifetimeMs: number;
  readonly maxOutstanding: number;
  readonly #now: () => number;
  /** In issue order, which is also expiry order for all but tickets cut short by their grant. */
  readonly #entries = new Map<string, Entry>();
  #dropped = 0;

  constructor(options: TicketOptions = {}) {
    const lifetime = options.lifetimeSeconds ?? 30;
    const max = options.maxOutstanding ?? 100_000;
    if (!(lifetime >= 1 && lifetime <= 3600)) throw new RangeError('a ticket lifetime is 1 to 3600 seconds');
    if (!(Number.isInteger(max) && max >= 1))
      throw new RangeError('maxOutstanding must be a whole number, 1 or more');
    this.lifetimeMs = lifetime * 1000;
    this.maxOutstanding = max;
    this.#now = options.now ?? Date.now;
  }

  /** Tickets held (issued and not yet expired or swept, redeemed ones included until they expire). */
  get size(): number {
    return this.#entries.size;
  }

  /** Tickets dropped unused to stay within `maxOutstanding`. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Issues a ticket for a verified grant; refuses a grant that has (almost) expired. */
  issue(grant: Grant): IssuedTicket {
    const now = this.#now();
    this.sweep(now);
    const left =
      grant.expiresAt === undefined ? this.lifetimeMs : Math.min(this.lifetimeMs, grant.expiresAt - now);
    if (left < 1000) {
      throw new HeraldError(
        'unauthenticated',
        'the token expires within a second: get a fresh one, then a ticket',
      );
    }
    while (this.#entries.size >= this.maxOutstanding) {
      const oldest = this.#entries.keys().next().value as string;
      if (this.#entries.get(oldest)?.grant !== undefined) this.#dropped++;
      this.#entries.delete(oldest);
    }
    const ticket = randomBytes(TICKET_BYTES).toString('base64url');
    this.#entries.set(ticket, { grant, expiresAt: now + left });
    return { ticket, expiresIn: Math.floor(left / 1000) };
  }

  /** The grant a ticket carries, once; throws an 'unauthenticated' HeraldError saying why not. */
  redeem(ticket: string): Grant {
    const now = this.#now();
    this.sweep(now);
    if (!TICKET_SHAPE.test(ticket)) {
      throw new HeraldError(
        'unauthenticated',
        'the ticket is malformed: pass it exactly as POST /tickets gave it',
      );
    }
    const entry = this.#entries.get(ticket);
    if (entry === undefined || entry.expiresAt <= now) {
      if (entry) this.#entries.delete(ticket);
      throw new HeraldError(
        'unauthenticated',
        `the ticket is unknown or has expired (tickets last ${this.lifetimeMs / 1000} s): get a new one`,
      );
    }
    const { grant } = entry;
    if (grant === undefined) {
      throw new HeraldError(
        'unauthenticated',
        'the ticket has already been used: get a new one for each connection',
      );
    }
    entry.grant = undefined;
    return grant;
  }

  /** Drops expired tickets from the oldest end; cheap enough to call on every issue, redeem or tick. */
  sweep(now: number = this.#now()): void {
    for (const [ticket, entry] of this.#entries) {
      if (entry.expiresAt > now) break;
      this.#entries.delete(ticket);
    }
  }
}

/**
 * An Authorizer that takes tickets (`source: 'ticket'`) by redeeming them from `book`, and passes
 * every other credential to `tokens`.
 */
export function acceptTickets(tokens: Authorizer, book: TicketBook): Authorizer {
  return {
    verify(credential: Credential): Promise<Grant> {
      if (credential.source !== 'ticket') return tokens.verify(credential);
      try {
        return Promise.resolve(book.redeem(credential.token));
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
}
