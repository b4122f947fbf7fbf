import type { Authorizer, Credential, IssuedTicket, Tickets } from './authorizer.js';
import { ClientBudget } from './client-budget.js';
import type { Limits } from './limits.js';
import { HeraldError } from './refusal.js';

/**
 * Issuing tickets (`POST /tickets`), in order: the client's budget is taken first (so a flood of
 * bad tokens costs a bounded number of verifications), then the subscriber token is verified, then
 * a ticket carrying its grant is issued. Only a token that travels outside URLs (a header or a
 * cookie) may buy a ticket: a ticket never buys another, and a query token would defeat the point.
 */
export class TicketAdmission {
  readonly #budget = new ClientBudget();

  constructor(
    private readonly limits: Limits,
    private readonly authorizer: Authorizer | undefined,
    private readonly tickets: Tickets | undefined,
  ) {}

  async issue(credential: Credential | undefined, client: string): Promise<IssuedTicket> {
    if (this.authorizer === undefined || this.tickets === undefined) {
      throw new HeraldError(
        'forbidden',
        'this hub has no subscriber key, so it issues no tickets (set subscriberKey / --subscriber-key or --jwt-key)',
      );
    }
    const perSecond = this.limits.maxTicketsPerSecondPerClient;
    if (!this.#budget.take(client, perSecond)) {
      throw new HeraldError(
        'rate-limited',
        `too many ticket requests: at most ${perSecond} per second per client (maxTicketsPerSecondPerClient)`,
        { retryAfterMs: 1000 },
      );
    }
    if (credential === undefined) {
      throw new HeraldError(
        'unauthenticated',
        'a ticket needs a subscriber token: send "Authorization: Bearer <JWT>" or the auth cookie',
      );
    }
    if (credential.source !== 'header' && credential.source !== 'cookie') {
      throw new HeraldError(
        'unauthenticated',
        'a ticket is bought with a token in the Authorization header or the auth cookie, not in a URL',
      );
    }
    const grant = await this.authorizer.verify(credential);
    return this.tickets.issue(grant);
  }

  newWindow(): void {
    this.#budget.newWindow();
  }
}
