import type { Hub } from '../hub/hub.js';
import { type CredentialOptions, ticketCredential } from './credentials.js';
import { type HttpReply, type HttpRequest, json } from './exchange.js';

/**
 * POST /tickets: the hub trades the subscriber token in the Authorization header or the auth
 * cookie for a single-use ticket; answers `{"ticket", "expiresIn"}`, never to be cached. The body,
 * if any, is not read.
 */
export async function ticketsRoute(
  hub: Hub,
  request: HttpRequest,
  credentials: CredentialOptions,
): Promise<HttpReply> {
  const issued = await hub.issueTicket(ticketCredential(request, credentials), request.client);
  return json(200, { ticket: issued.ticket, expiresIn: issued.expiresIn }, { 'cache-control': 'no-store' });
}
