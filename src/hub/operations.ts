import type { CredentialSource } from './authorizer.js';
import type { Limits } from './limits.js';

/** Which of the hub's authorizers verifies an operation's credential. */
export type Side = 'subscriber' | 'publisher';

/**
 * One operation a transport may ask of the hub, declared once: every transport runs the same
 * ordered steps for it (origin policy, credential, verification, budgets, then the operation), and
 * only the last one differs between operations. The words here are the hub's own: where a
 * transport finds each credential source is its business.
 */
export interface Operation {
  readonly name: OperationName;
  /** What the caller asks, as a refusal words it ("may not subscribe here"). */
  readonly verb: string;
  /** The authorizer that verifies its credential. */
  readonly side: Side;
  /** Where its credential may come from, in order: the first one present is the one judged. */
  readonly sources: readonly CredentialSource[];
  /** Refused without a credential; otherwise an anonymous caller gets the public view. */
  readonly credentialRequired: boolean;
  /** The per-second, per-client budget an admitted caller spends, if any. */
  readonly budget?: BudgetLimit;
}

/** Limits that are per-client budgets per second. */
export type BudgetLimit = keyof Pick<
  Limits,
  'maxPublishesPerSecondPerClient' | 'maxTicketsPerSecondPerClient' | 'maxHistoryReadsPerSecondPerClient'
>;

export type OperationName =
  | 'subscribe'
  | 'buy-ticket'
  | 'count-subscriptions'
  | 'read-history'
  | 'view-monitor'
  | 'publish'
  | 'revoke';

/** Every credential source, explicit before ambient, the URL last (it lands in logs). */
const ANY_SOURCE: readonly CredentialSource[] = ['bearer', 'ticket', 'ambient', 'url'];
/** A ticket is single-use: only the stream it was bought for may spend it. */
const NO_TICKET: readonly CredentialSource[] = ['bearer', 'ambient', 'url'];

/** The hub's operations. A transport's endpoint names one of these and never re-implements a step. */
export const OPERATIONS = {
  /** An event stream (a long-poll and a fixed stream such as the monitor's are streams too). */
  subscribe: {
    name: 'subscribe',
    verb: 'subscribe',
    side: 'subscriber',
    sources: ANY_SOURCE,
    credentialRequired: false,
  },
  /**
   * A single-use ticket for a stream, bought with a token that travels outside URLs (a ticket never
   * buys another, and a token in a URL would defeat the point).
   */
  'buy-ticket': {
    name: 'buy-ticket',
    verb: 'get tickets',
    side: 'subscriber',
    sources: ['bearer', 'ambient'],
    credentialRequired: true,
    budget: 'maxTicketsPerSecondPerClient',
  },
  /** Subscriber counts: an anonymous caller counts public subscriptions only. */
  'count-subscriptions': {
    name: 'count-subscriptions',
    verb: 'count subscriptions',
    side: 'subscriber',
    sources: NO_TICKET,
    credentialRequired: false,
  },
  /**
   * Recent events, before a stream: what a stream with the same credential would receive (an
   * anonymous caller sees public events only). Each read costs the store a bounded scan, hence a
   * budget of its own.
   */
  'read-history': {
    name: 'read-history',
    verb: 'read history',
    side: 'subscriber',
    sources: NO_TICKET,
    credentialRequired: false,
    budget: 'maxHistoryReadsPerSecondPerClient',
  },
  /** The monitor's figures (its history), private when the monitor is. */
  'view-monitor': {
    name: 'view-monitor',
    verb: "see the monitor's figures",
    side: 'subscriber',
    sources: NO_TICKET,
    credentialRequired: false,
  },
  /** Publishing from outside the process: a bearer token only (an ambient one would let any page publish). */
  publish: {
    name: 'publish',
    verb: 'publish',
    side: 'publisher',
    sources: ['bearer'],
    credentialRequired: true,
    budget: 'maxPublishesPerSecondPerClient',
  },
  /** Ending a subject's or a token's streams, and refusing its older tokens. */
  revoke: {
    name: 'revoke',
    verb: 'revoke tokens',
    side: 'publisher',
    sources: ['bearer'],
    credentialRequired: true,
    budget: 'maxPublishesPerSecondPerClient',
  },
} as const satisfies Record<OperationName, Operation>;
