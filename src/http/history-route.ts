import { MAX_HISTORY_EVENTS } from '../hub/history.js';
import type { Hub } from '../hub/hub.js';
import { HeraldError } from '../hub/refusal.js';
import { refuseUnknownNames } from '../hub/unknown-names.js';
import { type HttpReply, json } from './exchange.js';
import type { Admitted } from './pipeline.js';

/** The query's names: the request's own, then the credential sources the pipeline reads there. */
const HISTORY_PARAMETERS: readonly string[] = ['topic', 'limit', 'before', 'access_token', 'ticket'];
const HISTORY_PARAMETER = { one: 'history parameter', many: 'parameters' };

/**
 * GET /history?topic=SELECTOR[&topic=...][&limit=N][&before=ID]: the newest events the caller may
 * see, oldest first, as JSON `{ events, more[, cursor] }`; a page renders them, then subscribes to
 * /events with `Last-Event-ID` set to the newest id it rendered, and misses nothing in between.
 */
export async function historyRoute(hub: Hub, { request, grant }: Admitted): Promise<HttpReply> {
  const query = request.url.searchParams;
  refuseUnknownNames(query.keys(), HISTORY_PARAMETERS, HISTORY_PARAMETER);
  const answer = await hub.history(grant, {
    topics: query.getAll('topic'),
    limit: limitOf(query.get('limit')),
    before: query.get('before') ?? undefined,
  });
  return json(200, answer, { 'cache-control': 'no-store' });
}

/** `limit=` as a number, or undefined for the default; the hub judges its range. */
function limitOf(text: string | null): number | undefined {
  if (text === null) return undefined;
  if (!/^\d{1,6}$/.test(text))
    throw new HeraldError('invalid', `limit must be a whole number from 1 to ${MAX_HISTORY_EVENTS}`);
  return Number(text);
}
