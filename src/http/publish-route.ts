import type { Authorizer } from '../hub/authorizer.js';
import type { Hub } from '../hub/hub.js';
import { HeraldError } from '../hub/refusal.js';
import { anySelectorMatches, type TopicSelector } from '../hub/topic-selector.js';
import { publisherCredential } from './credentials.js';
import { type HttpReply, type HttpRequest, plain } from './exchange.js';
import { checkPublishMediaType, parsePublishBody } from './publish-body.js';

/** POST /publish: authorize, bound, parse, publish; answers 200 with the new id as text/plain. */
export async function publishRoute(
  hub: Hub,
  authorizer: Authorizer | undefined,
  request: HttpRequest,
): Promise<HttpReply> {
  const limits = hub.options.limits;
  if (!hub.clients.takePublish(request.client, limits.maxPublishesPerSecondPerClient)) {
    throw new HeraldError(
      'rate-limited',
      `too many publishes: at most ${limits.maxPublishesPerSecondPerClient} per second per client`,
      { retryAfterMs: 1000 },
    );
  }
  if (authorizer === undefined) {
    throw new HeraldError(
      'forbidden',
      'publishing over HTTP is disabled: this hub has no JWT key (set jwtKey / --jwt-key)',
    );
  }
  const credential = publisherCredential(request);
  if (credential === undefined) {
    throw new HeraldError(
      'unauthenticated',
      'missing publisher token: send "Authorization: Bearer <JWT>" (mint one with: herald token)',
    );
  }
  const claims = await authorizer.verify(credential);
  checkPublishMediaType(request.header('content-type'));
  const length = Number(request.header('content-length') ?? '0');
  if (length > limits.maxPublishBodyBytes) {
    throw new HeraldError(
      'too-large',
      `body is ${length} bytes; the limit is ${limits.maxPublishBodyBytes} (maxPublishBodyBytes)`,
    );
  }
  const input = parsePublishBody(
    request.header('content-type'),
    await request.body(limits.maxPublishBodyBytes),
  );
  const event = hub.validate(input);
  for (const topic of event.topics) {
    if (topic.startsWith('$')) throw new HeraldError('forbidden', `topic "${topic}" is reserved for the hub`);
    if (!covers(claims.publish, topic)) {
      throw new HeraldError(
        'forbidden',
        `the token may not publish to "${topic}" (its herald.publish claim does not cover it)`,
      );
    }
  }
  const { id } = await hub.append(event);
  return plain(200, id);
}

function covers(selectors: readonly TopicSelector[], topic: string): boolean {
  return anySelectorMatches(selectors, [topic]);
}
