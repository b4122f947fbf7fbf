import type { Grant } from '../hub/authorizer.js';
import type { Hub } from '../hub/hub.js';
import type { Presence } from '../hub/presence.js';
import { subscriberCredential } from './credentials.js';
import { type HttpReply, type HttpRequest, json } from './exchange.js';

/**
 * GET /subscriptions?topic=SELECTOR[&topic=...]: subscriber counts, cluster-wide on a shared store.
 * Authorized like a subscribe: anonymous callers count public subscriptions only; a subscriber
 * token also counts the private ones under the selectors it covers.
 */
export async function subscriptionsRoute(
  hub: Hub,
  presence: Presence,
  request: HttpRequest,
): Promise<HttpReply> {
  const credential = subscriberCredential(request);
  const grant: Grant | undefined =
    credential === undefined ? undefined : await hub.verifySubscriber(credential);
  const answer = presence.counts(
    request.url.searchParams.getAll('topic'),
    grant,
    hub.limits.maxTopicsPerSubscription,
  );
  return json(200, answer, { 'cache-control': 'no-store' });
}
