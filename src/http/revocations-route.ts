import type { Hub } from '../hub/hub.js';
import { HeraldError } from '../hub/refusal.js';
import { checkRevocation } from '../hub/revocations.js';
import { type HttpReply, json } from './exchange.js';
import type { Admitted } from './pipeline.js';

/** A revocation is one short name: anything longer is not one. */
const MAX_BODY_BYTES = 4096;

/**
 * POST /revocations `{"subject": "..."}` or `{"tokenId": "..."}`, for an admitted publisher:
 * answers `{"ended": N}`, the streams this hub ended (every other hub of a cluster ends its own).
 */
export async function revocationsRoute(hub: Hub, { request, grant }: Admitted): Promise<HttpReply> {
  const type = (request.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json')
    throw new HeraldError('unsupported-media', 'send the revocation as Content-Type: application/json');
  const text = (await request.body(MAX_BODY_BYTES)).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HeraldError('invalid', `body is not valid JSON: ${(error as Error).message}`);
  }
  const { ended } = await hub.revokeAs(grant!, checkRevocation(value));
  return json(200, { ended }, { 'cache-control': 'no-store' });
}
