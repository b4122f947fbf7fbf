import type { Grant } from '../hub/authorizer.js';
import type { Hub } from '../hub/hub.js';
import type { Limits } from '../hub/limits.js';
import { HeraldError } from '../hub/refusal.js';
import { type HttpReply, type HttpRequest, json, plain } from './exchange.js';
import type { Admitted } from './pipeline.js';
import { parseBatchBody } from './publish-batch-body.js';
import {
  checkPublishMediaType,
  isBatchMediaType,
  mayHintMediaType,
  parsePublishBody,
} from './publish-body.js';

/** A replay answers the same body, and says it is one (as Stripe's Idempotent-Replayed does). */
const REPLAYED = { 'idempotent-replayed': 'true' };

/**
 * POST /publish, for a publisher already admitted (credential, rate) before a byte of the body is
 * read: the body is read within its bound, parsed, and published under the publisher's grant, with
 * its `Idempotency-Key` header if any. One event (form, JSON) answers 200 with its id and a newline
 * as text/plain; a batch (NDJSON) answers its ids, one a line, or `{"ids": [...]}` to a client that
 * asks for JSON.
 */
export async function publishRoute(hub: Hub, { request, grant }: Admitted): Promise<HttpReply> {
  const contentType = request.header('content-type');
  // An admitted publisher's body without a usable type is read (within its bound) to hint at JSON.
  if (mayHintMediaType(contentType))
    checkPublishMediaType(contentType, await request.body(hub.limits.maxPublishBodyBytes));
  checkPublishMediaType(contentType);
  if (isBatchMediaType(contentType)) return publishBatch(hub, request, grant!);
  const input = parsePublishBody(contentType, await readBody(request, hub.limits, 'maxPublishBodyBytes'));
  const key = request.header('idempotency-key');
  if (key !== null) input.idempotencyKey = key;
  const { id, replayed } = await hub.publishAs(grant!, input);
  // Ends in a newline like every plain-text answer, so curl users see it cleanly.
  return plain(200, `${id}\n`, replayed ? REPLAYED : {});
}

async function publishBatch(hub: Hub, request: HttpRequest, grant: Grant): Promise<HttpReply> {
  const { inputs, lines } = parseBatchBody(await readBody(request, hub.limits, 'maxPublishBatchBytes'));
  const key = request.header('idempotency-key');
  const { ids, replayed } = await hub.publishManyAs(grant, request.client, inputs, {
    ...(key === null ? {} : { idempotencyKey: key }),
    name: (index) => `line ${lines[index]}`,
  });
  const headers = replayed ? REPLAYED : {};
  if (prefersJson(request.header('accept'))) return json(200, { ids }, headers);
  return plain(200, `${ids.join('\n')}\n`, headers);
}

/**
 * The body within the bound `limit` names, refused (413) before it is read when its declared
 * length is over, and when it grows past it.
 */
async function readBody(
  request: HttpRequest,
  limits: Readonly<Limits>,
  limit: 'maxPublishBodyBytes' | 'maxPublishBatchBytes',
): Promise<Buffer> {
  const bound = limits[limit];
  const length = Number(request.header('content-length') ?? '0');
  if (length > bound)
    throw new HeraldError('too-large', `body is ${length} bytes; the limit is ${bound} (${limit})`);
  try {
    return await request.body(bound);
  } catch (error) {
    if (!(error instanceof HeraldError) || error.code !== 'too-large') throw error;
    throw new HeraldError('too-large', `body is larger than ${bound} bytes (${limit})`);
  }
}

/** Does an Accept header name application/json ahead of text/plain (q-values aside)? */
function prefersJson(accept: string | null): boolean {
  if (accept === null) return false;
  const at = accept.indexOf('application/json');
  if (at === -1) return false;
  const plainAt = accept.indexOf('text/plain');
  return plainAt === -1 || at < plainAt;
}
