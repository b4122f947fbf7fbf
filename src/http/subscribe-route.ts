import type { Authorizer } from '../hub/authorizer.js';
import type { Hub } from '../hub/hub.js';
import { HeraldError } from '../hub/refusal.js';
import { parseSelector, TopicError, type TopicSelector } from '../hub/topic-selector.js';
import { subscriberCredential } from './credentials.js';
import { EVENT_STREAM_HEADERS, type HttpReply, type HttpRequest, plain, refuse } from './exchange.js';

const MAX_EVENT_ID_LENGTH = 256;

/** Does the request come from something that reconnects by itself on a 200 (an EventSource)? */
function isEventSource(request: HttpRequest): boolean {
  return (request.header('accept') ?? '').includes('text/event-stream');
}

/** Long-poll fallback: asked for explicitly, or an XHR-based polyfill. */
function wantsPoll(request: HttpRequest): boolean {
  return (
    request.url.searchParams.get('transport') === 'poll' ||
    request.header('x-requested-with') === 'XMLHttpRequest'
  );
}

/** A browser tab navigating to /events asks for HTML first; send it to the monitor instead. */
function isNavigation(request: HttpRequest): boolean {
  const accept = request.header('accept') ?? '';
  return accept.includes('text/html') && !accept.includes('text/event-stream');
}

/**
 * Shedding: an EventSource gets 200 with a jittered `retry:` and an immediate end, so it comes back
 * later by itself (it would give up for good on an error status). Anything else gets 503/429.
 */
function shed(hub: Hub, request: HttpRequest, status: number, reason: string): HttpReply {
  hub.counters.connectionsShed++;
  const retry = hub.jitteredRetry();
  if (isEventSource(request) && !wantsPoll(request)) {
    return plain(200, `: ${reason}\nretry: ${retry}\n\n`, EVENT_STREAM_HEADERS);
  }
  return refuse(status, reason, { 'retry-after': String(Math.ceil(retry / 1000)) });
}

// Parsed selectors are immutable, so streams asking for the same ones share them (bounded cache).
const selectorCache = new Map<string, TopicSelector>();
const SELECTOR_CACHE_SIZE = 10_000;

function cachedSelector(text: string): TopicSelector {
  let selector = selectorCache.get(text);
  if (selector === undefined) {
    selector = parseSelector(text);
    if (selectorCache.size >= SELECTOR_CACHE_SIZE) selectorCache.clear();
    selectorCache.set(text, selector);
  }
  return selector;
}

const NO_SELECTORS: readonly TopicSelector[] = Object.freeze([]);

function parseSelectors(hub: Hub, request: HttpRequest): TopicSelector[] {
  const texts = request.url.searchParams.getAll('topic');
  if (texts.length === 0) throw new HeraldError('invalid', 'at least one topic= query parameter is required');
  const max = hub.options.limits.maxTopicsPerSubscription;
  if (texts.length > max)
    throw new HeraldError('invalid', `at most ${max} topics per subscription (maxTopicsPerSubscription)`);
  try {
    return [...new Set(texts)].map(cachedSelector);
  } catch (error) {
    if (error instanceof TopicError) throw new HeraldError('invalid', error.message);
    throw error;
  }
}

function resumePoint(request: HttpRequest): string | undefined {
  const id = request.header('last-event-id') ?? request.url.searchParams.get('lastEventId');
  if (id === null || id === '') return undefined;
  // An over-long id cannot be one of ours: treat it as unknown (the replay says so with a gap event).
  return id.length > MAX_EVENT_ID_LENGTH ? '' : id;
}

/** GET /events: authorize, bound, then open a stream (or a long-poll response). */
export async function subscribeRoute(
  hub: Hub,
  authorizer: Authorizer | undefined,
  request: HttpRequest,
): Promise<HttpReply> {
  if (isNavigation(request)) return plain(302, '', { location: '/' });
  const selectors = parseSelectors(hub, request);
  const credential = subscriberCredential(request);
  let privateSelectors = NO_SELECTORS;
  if (credential !== undefined) {
    if (authorizer === undefined)
      throw new HeraldError(
        'unauthenticated',
        'this hub has no JWT key, so it cannot accept subscriber tokens',
      );
    privateSelectors = (await authorizer.verify(credential)).subscribe;
  }
  const limits = hub.options.limits;
  if (hub.closing) return shed(hub, request, 503, 'the hub is shutting down');
  if (hub.connections >= limits.maxConnections)
    return shed(hub, request, 503, 'the hub is at its connection limit');
  if (hub.clients.streams(request.client) >= limits.maxConnectionsPerClient) {
    return shed(
      hub,
      request,
      429,
      `too many streams from this client (maxConnectionsPerClient ${limits.maxConnectionsPerClient})`,
    );
  }
  const lastEventId = resumePoint(request);
  const poll = wantsPoll(request);
  // Captured alone: the stream must not keep the whole request (URL, headers) alive for hours.
  const client = request.client;
  return {
    kind: 'stream',
    headers: EVENT_STREAM_HEADERS,
    start(sink) {
      const session = hub.open(sink, {
        selectors,
        privateSelectors,
        lastEventId,
        client,
        poll,
      });
      return () => hub.closeSession(session, 'gone');
    },
  };
}
