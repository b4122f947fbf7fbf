import type { Authorizer, Credential, CredentialSource, Grant } from './authorizer.js';
import { ClientBudget } from './client-budget.js';
import type { HubCounters } from './counters.js';
import type { Limits } from './limits.js';
import type { BudgetLimit, Operation, Side } from './operations.js';
import { HeraldError } from './refusal.js';
import type { Revocations } from './revocations.js';

export interface OperationAdmissionOptions {
  readonly limits: Limits;
  /** The authorizer of each side; undefined: the hub has no key for it. */
  readonly authorizers: Readonly<Record<Side, Authorizer | undefined>>;
  /** Take credentials found in URLs (source `url`)? */
  readonly urlTokens: boolean;
  readonly revocations: Revocations;
  readonly counters: HubCounters;
}

/** How a refusal names where a credential came from. */
const SOURCE_WORDS: Readonly<Record<CredentialSource, string>> = {
  bearer: 'a bearer token',
  ticket: 'a ticket',
  ambient: 'an ambient credential',
  url: 'a credential in the URL',
};

const BUDGET_WORDS: Readonly<Record<BudgetLimit, string>> = {
  maxPublishesPerSecondPerClient: 'too many publishes',
  maxTicketsPerSecondPerClient: 'too many ticket requests',
  maxHistoryReadsPerSecondPerClient: 'too many history reads',
};

/**
 * The steps every operation shares after its transport found the credential, in order:
 * verification (the side's key, the source rules, revocation), with failures counted against a
 * per-client budget of their own (past it a failing client is told to slow down; an anonymous or
 * bad-token flood never spends the budget of a real caller on the same address), then the
 * operation's own per-client budget.
 */
export class OperationAdmission {
  readonly #options: OperationAdmissionOptions;
  readonly #failures = new ClientBudget();
  readonly #budgets = new Map<BudgetLimit, ClientBudget>();

  constructor(options: OperationAdmissionOptions) {
    this.#options = options;
  }

  /**
   * Admits a caller to `operation`: resolves with its verified grant (undefined for an anonymous
   * caller where the operation allows one), or rejects with a HeraldError.
   */
  async admit(
    operation: Operation,
    credential: Credential | undefined,
    client: string,
  ): Promise<Grant | undefined> {
    const grant = await this.#verify(operation, credential, client);
    if (operation.budget !== undefined) this.#spend(operation.budget, client);
    return grant;
  }

  async #verify(
    operation: Operation,
    credential: Credential | undefined,
    client: string,
  ): Promise<Grant | undefined> {
    const authorizer = this.#options.authorizers[operation.side];
    if (authorizer === undefined && operation.credentialRequired) throw keyless(operation);
    if (credential === undefined && !operation.credentialRequired) return undefined;
    const perSecond = this.#options.limits.maxAuthFailuresPerSecondPerClient;
    try {
      if (credential === undefined) throw missing(operation);
      if (authorizer === undefined)
        throw new HeraldError(
          'unauthenticated',
          'this hub has no subscriber key, so it cannot accept subscriber tokens',
          {
            advice: 'set-subscriber-key',
          },
        );
      this.#checkSource(operation, credential);
      const grant = await authorizer.verify(credential);
      if (this.#options.revocations.refuses(grant))
        throw new HeraldError('unauthenticated', 'the token has been revoked: get a new one');
      return grant;
    } catch (error) {
      if (operation.side === 'publisher') this.#options.counters.publishAuthFailures++;
      if (!this.#failures.take(client, perSecond)) throw tooManyFailures(perSecond);
      throw error;
    }
  }

  #checkSource(operation: Operation, credential: Credential): void {
    if (credential.source === 'url' && !this.#options.urlTokens)
      throw new HeraldError('unauthenticated', 'this hub takes no token in the URL', {
        advice: 'token-outside-url',
      });
    if (!operation.sources.includes(credential.source))
      throw new HeraldError(
        'unauthenticated',
        `${SOURCE_WORDS[credential.source]} cannot be used to ${operation.verb}`,
        { advice: operation.side === 'publisher' ? 'send-publisher-token' : 'send-subscriber-token' },
      );
  }

  /**
   * Spends `count` more of a per-client budget after the admission's one: a batch of events
   * spends one per event, so that batching is no way around the budget.
   */
  spendMore(limit: BudgetLimit, client: string, count: number): void {
    if (count > 0) this.#spend(limit, client, count, ' (a batch spends one per event)');
  }

  #spend(limit: BudgetLimit, client: string, count = 1, why = ''): void {
    let budget = this.#budgets.get(limit);
    if (budget === undefined) {
      budget = new ClientBudget();
      this.#budgets.set(limit, budget);
    }
    const perSecond = this.#options.limits[limit];
    if (!budget.take(client, perSecond, count))
      throw new HeraldError(
        'rate-limited',
        `${BUDGET_WORDS[limit]}: at most ${perSecond} per second per client (${limit})${why}`,
        {
          retryAfterMs: 1000,
        },
      );
  }

  /** Starts a new one-second window for every budget (the hub's tick). */
  newWindow(): void {
    this.#failures.newWindow();
    for (const budget of this.#budgets.values()) budget.newWindow();
  }
}

function keyless(operation: Operation): HeraldError {
  return operation.side === 'publisher'
    ? new HeraldError(
        'forbidden',
        `no one outside the process may ${operation.verb}: this hub has no publisher key`,
        {
          advice: 'set-publisher-key',
        },
      )
    : new HeraldError('forbidden', `no one may ${operation.verb}: this hub has no subscriber key`, {
        advice: 'set-subscriber-key',
      });
}

function missing(operation: Operation): HeraldError {
  return operation.side === 'publisher'
    ? new HeraldError('unauthenticated', `missing publisher token: one is needed to ${operation.verb}`, {
        advice: 'send-publisher-token',
      })
    : new HeraldError('unauthenticated', `missing subscriber token: one is needed to ${operation.verb}`, {
        advice: 'send-subscriber-token',
      });
}

function tooManyFailures(perSecond: number): HeraldError {
  return new HeraldError(
    'rate-limited',
    `too many attempts without a valid token from this client (at most ${perSecond} per second)`,
    { retryAfterMs: 1000 },
  );
}
