import type { Grant } from './authorizer.js';
import type { Limits } from './limits.js';
import { HeraldError, quote } from './refusal.js';
import { isHubOnlyTopic } from './revocations.js';
import type { SelectorCache } from './selector-cache.js';
import type { Subscription } from './session.js';
import type { SessionRegistry } from './session-registry.js';
import { isSystemTopic, TopicError, type TopicSelector } from './topic-selector.js';

/** A subscribe request as any transport hands it over. */
export interface SubscribeRequest {
  /** Selector texts (`topic=` parameters). */
  readonly selectors: readonly string[];
  /** The caller's verified grant (the subscribe operation's admission); undefined: anonymous. */
  readonly grant: Grant | undefined;
  /** Resume point as the client sent it; undefined or '' for a fresh subscriber. */
  readonly lastEventId: string | null | undefined;
  readonly client: string;
}

/** Admitted, or shed: the transport tells the client to come back in `retryMs` (never a hard error). */
export type Admission =
  | { readonly kind: 'admitted'; readonly subscription: Subscription }
  | {
      readonly kind: 'shed';
      readonly code: 'unavailable' | 'rate-limited';
      readonly reason: string;
      readonly retryMs: number;
    };

const MAX_EVENT_ID_LENGTH = 256;

export interface SubscriberAdmissionDeps {
  readonly limits: Limits;
  /** Whether `$SYS/` topics need a grant covering `$SYS/**` (see `checkMonitorGrant`). */
  readonly monitorAuth: boolean;
  readonly selectors: SelectorCache;
  readonly sessions: SessionRegistry;
  readonly closing: () => boolean;
  readonly jitteredRetry: () => number;
}

/** The claim that opens the monitor's figures when they are private: `herald.subscribe` lists it. */
export const MONITOR_SELECTOR = '$SYS/**';

/**
 * With monitor auth on, `$SYS/` topics and the monitor's figures are for holders of a grant whose
 * `herald.subscribe` lists `$SYS/**` (a root wildcard never covers system topics, so `**` does not).
 * Throws 'unauthenticated' without a grant, 'forbidden' with one that does not list it.
 */
export function checkMonitorGrant(grant: Grant | undefined): void {
  if (grant === undefined) {
    throw new HeraldError(
      'unauthenticated',
      `this hub's monitor is private: its figures and $SYS/ topics need a subscriber token whose herald.subscribe lists "${MONITOR_SELECTOR}"`,
    );
  }
  if (!grant.subscribe.some((selector) => selector.text === MONITOR_SELECTOR)) {
    throw new HeraldError(
      'forbidden',
      `the token may not see this hub's monitor: its herald.subscribe claim does not list "${MONITOR_SELECTOR}"`,
    );
  }
}

/**
 * The subscribe operation, once its caller is admitted (src/hub/operation-admission.ts): selectors,
 * then, for `$SYS/` topics with monitor auth, the grant, then capacity (shedding). Refusals are
 * thrown as HeraldError; shedding is an answer, since an EventSource must be told to come back.
 */
export function admitSubscriber(deps: SubscriberAdmissionDeps, request: SubscribeRequest): Admission {
  const grant = request.grant;
  const selectors = subscriberSelectors(deps, request.selectors, grant);
  const limits = deps.limits;
  if (deps.closing()) return shed(deps, 'unavailable', 'the hub is shutting down');
  if (deps.sessions.size >= limits.maxConnections)
    return shed(deps, 'unavailable', 'the hub is at its connection limit');
  if (deps.sessions.streamsOf(request.client) >= limits.maxConnectionsPerClient) {
    return shed(
      deps,
      'rate-limited',
      `too many streams from this client (maxConnectionsPerClient ${limits.maxConnectionsPerClient})`,
    );
  }
  return {
    kind: 'admitted',
    subscription: { selectors, grant, lastEventId: resumePoint(request.lastEventId), client: request.client },
  };
}

function shed(
  deps: SubscriberAdmissionDeps,
  code: 'unavailable' | 'rate-limited',
  reason: string,
): Admission {
  return { kind: 'shed', code, reason, retryMs: deps.jitteredRetry() };
}

/** What choosing a subscriber's selectors reads. */
export type SelectorDeps = Pick<SubscriberAdmissionDeps, 'limits' | 'monitorAuth' | 'selectors'>;

/**
 * The selectors a subscriber (of a stream, or of history) asks for: parsed, bounded in number, none
 * of the hub's own topics, and `$SYS/` ones only with a grant that may see the monitor when it is
 * private. Throws 'invalid' / 'forbidden' / 'unauthenticated' refusals.
 */
export function subscriberSelectors(
  deps: SelectorDeps,
  texts: readonly string[],
  grant: Grant | undefined,
): readonly TopicSelector[] {
  const selectors = parseSelectors(deps, texts);
  if (deps.monitorAuth && selectors.some((selector) => isSystemTopic(selector.text)))
    checkMonitorGrant(grant);
  return selectors;
}

function parseSelectors(deps: SelectorDeps, texts: readonly string[]): readonly TopicSelector[] {
  if (texts.length === 0)
    throw new HeraldError('invalid', 'at least one topic is required', { advice: 'name-topics' });
  const max = deps.limits.maxTopicsPerSubscription;
  if (texts.length > max)
    throw new HeraldError('invalid', `at most ${max} topics per subscription (maxTopicsPerSubscription)`);
  for (const text of texts)
    if (isHubOnlyTopic(text)) throw new HeraldError('forbidden', `topic ${quote(text)} is the hub's own`);
  try {
    return deps.selectors.list(texts);
  } catch (error) {
    if (error instanceof TopicError) throw new HeraldError('invalid', error.message);
    throw error;
  }
}

function resumePoint(id: string | null | undefined): string | undefined {
  if (id === null || id === undefined || id === '') return undefined;
  // An over-long id cannot be one of ours: treat it as unknown (the replay says so with a gap event).
  return id.length > MAX_EVENT_ID_LENGTH ? '' : id;
}
