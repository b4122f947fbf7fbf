import type { Hub } from '../hub/hub.js';
import { HeraldError } from '../hub/refusal.js';
import { type HttpReply, plain } from './exchange.js';
import type { Admitted } from './pipeline.js';
import { checkPublishMediaType, mayHintMediaType, parsePublishBody } from './publish-body.js';

/**
 * POST /publish, for a publisher already admitted (credential, rate) before a byte of the body is
 * read: the body is read within its bound, parsed, and published under the publisher's grant, with
 * its `Idempotency-Key` header if any. Answers 200 with the new id and a newline as text/plain.
 */
export async function publishRoute(hub: Hub, { request, grant }: Admitted): Promise<HttpReply> {
  const contentType = request.header('content-type');
  const limit = hub.limits.maxPublishBodyBytes;
  // An admitted publisher's body without a usable type is read (within its bound) to hint at JSON.
  if (mayHintMediaType(contentType)) checkPublishMediaType(contentType, await request.body(limit));
  checkPublishMediaType(contentType);
  const length = Number(request.header('content-length') ?? '0');
  if (length > limit)
    throw new HeraldError(
      'too-large',
      `body is ${length} bytes; the limit is ${limit} (maxPublishBodyBytes)`,
    );
  const input = parsePublishBody(contentType, await request.body(limit));
  const key = request.header('idempotency-key');
  if (key !== null) input.idempotencyKey = key;
  const { id, replayed } = await hub.publishAs(grant!, input);
  // Ends in a newline like every plain-text answer, so curl users see it cleanly. A replay answers
  // the same body, and says it is one (as Stripe's Idempotent-Replayed does).
  return plain(200, `${id}\n`, replayed ? { 'idempotent-replayed': 'true' } : {});
}
