import type { Hub } from '../hub/hub.js';
import { type HttpReply, json } from './exchange.js';
import type { Admitted } from './pipeline.js';

/**
 * POST /tickets: a single-use ticket carrying the admitted caller's grant; answers
 * `{"ticket", "expiresIn"}`, never to be cached. The body, if any, is not read.
 */
export function ticketsRoute(hub: Hub, { grant }: Admitted): HttpReply {
  const issued = hub.issueTicket(grant!);
  return json(200, { ticket: issued.ticket, expiresIn: issued.expiresIn }, { 'cache-control': 'no-store' });
}
