import type { Hub } from '../hub/hub.js';
import type { Presence } from '../hub/presence.js';
import { type HttpReply, json } from './exchange.js';
import type { Admitted } from './pipeline.js';

/**
 * GET /subscriptions?topic=SELECTOR[&topic=...]: subscriber counts, cluster-wide on a shared store.
 * An anonymous caller counts public subscriptions only; a subscriber token also counts the private
 * ones under the selectors it covers.
 */
export function subscriptionsRoute(hub: Hub, presence: Presence, { request, grant }: Admitted): HttpReply {
  const answer = presence.counts(
    request.url.searchParams.getAll('topic'),
    grant,
    hub.limits.maxTopicsPerSubscription,
  );
  return json(200, answer, { 'cache-control': 'no-store' });
}
