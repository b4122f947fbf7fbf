import type { Hub } from '../hub/hub.js';
import type { Session, Subscription } from '../hub/session.js';
import type { Admission } from '../hub/subscriber-admission.js';
import { EVENT_STREAM_HEADERS, type HttpReply, type HttpRequest, plain } from './exchange.js';
import type { LongPolls } from './long-poll.js';
import type { Admitted } from './pipeline.js';
import { shedReply } from './refusal-reply.js';

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

/**
 * A browser tab navigating to /events asks for HTML first; send it to the monitor instead, by a
 * relative redirect (`./`), so that a hub mounted under a prefix sends it to its own monitor.
 */
function isNavigation(request: HttpRequest): boolean {
  const accept = request.header('accept') ?? '';
  return accept.includes('text/html') && !accept.includes('text/event-stream');
}

/**
 * The subscribe operation over HTTP (`GET /events`, and fixed streams such as `GET /stats`, which
 * pass their own `selectors` instead of the query's topics): the hub admits or sheds; this opens
 * the stream or the long-poll answer.
 */
export function subscribeRoute(
  hub: Hub,
  polls: LongPolls,
  { request, grant }: Admitted,
  selectors: readonly string[] = request.url.searchParams.getAll('topic'),
): HttpReply {
  if (isNavigation(request)) return plain(302, '', { location: './' });
  const poll = wantsPoll(request);
  const admission: Admission = hub.admitSubscriber({
    selectors,
    grant,
    lastEventId: request.header('last-event-id') ?? request.url.searchParams.get('lastEventId'),
    client: request.client,
  });
  if (admission.kind === 'shed') return shedReply(admission, isEventSource(request) && !poll);
  // Captured alone: the stream must not keep the whole request (URL, headers) alive for hours, nor
  // the admission once the session holds what it needs.
  let subscription: Subscription | undefined = admission.subscription;
  return {
    kind: 'stream',
    headers: EVENT_STREAM_HEADERS,
    start(sink) {
      const admitted = subscription!;
      subscription = undefined;
      const session = poll ? polls.open(sink, admitted) : hub.open(sink, admitted, { heartbeat: true });
      return whenGone(hub, session);
    },
  };
}

/** Made outside the route, so that a stream's closer keeps only the hub and its session (one context). */
function whenGone(hub: Hub, session: Session): () => void {
  return () => hub.closeSession(session, 'gone');
}
