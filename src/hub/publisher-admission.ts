import type { NewEvent } from '../log/event-log.js';
import type { Authorizer, Credential, Grant } from './authorizer.js';
import { ClientBudget } from './client-budget.js';
import type { HubCounters } from './counters.js';
import type { Limits } from './limits.js';
import { HeraldError, quote } from './refusal.js';
import { anySelectorMatches, isSystemTopic } from './topic-selector.js';

/**
 * Admission of publishers from outside the process, in order: a credential is required and
 * verified first; failures are counted against their own per-client budget (past it they are told
 * to slow down), so an anonymous flood never spends the budget of a real publisher on the same
 * address; then the authenticated publish budget is taken. What the grant allows is checked once
 * the event is known (`authorize`).
 */
export class PublisherAdmission {
  readonly #publishes = new ClientBudget();
  readonly #failures = new ClientBudget();

  constructor(
    private readonly limits: Limits,
    private readonly authorizer: Authorizer | undefined,
    private readonly counters: HubCounters,
  ) {}

  async admit(credential: Credential | undefined, client: string): Promise<Grant> {
    if (this.authorizer === undefined) {
      throw new HeraldError(
        'forbidden',
        'publishing over HTTP is disabled: this hub has no publisher key (set jwtKey / --jwt-key or publisherKey / --publisher-key)',
      );
    }
    let grant: Grant;
    try {
      if (credential === undefined) {
        throw new HeraldError(
          'unauthenticated',
          'missing publisher token: send "Authorization: Bearer <JWT>" (mint one with: herald token)',
        );
      }
      grant = await this.authorizer.verify(credential);
    } catch (error) {
      this.counters.publishAuthFailures++;
      const perSecond = this.limits.maxAuthFailuresPerSecondPerClient;
      if (!this.#failures.take(client, perSecond)) {
        throw new HeraldError(
          'rate-limited',
          `too many publish attempts without a valid token from this client (at most ${perSecond} per second)`,
          { retryAfterMs: 1000 },
        );
      }
      throw error;
    }
    const perSecond = this.limits.maxPublishesPerSecondPerClient;
    if (!this.#publishes.take(client, perSecond)) {
      throw new HeraldError(
        'rate-limited',
        `too many publishes: at most ${perSecond} per second per client`,
        {
          retryAfterMs: 1000,
        },
      );
    }
    return grant;
  }

  /** Refuses ('forbidden') an event the grant does not cover, or one on a system topic. */
  authorize(grant: Grant, event: NewEvent): void {
    for (const topic of event.topics) {
      if (isSystemTopic(topic))
        throw new HeraldError('forbidden', `topic ${quote(topic)} is reserved for the hub`);
      if (!anySelectorMatches(grant.publish, [topic])) {
        throw new HeraldError(
          'forbidden',
          `the token may not publish to ${quote(topic)} (its herald.publish claim does not cover it)`,
        );
      }
    }
  }

  newWindow(): void {
    this.#publishes.newWindow();
    this.#failures.newWindow();
  }
}
