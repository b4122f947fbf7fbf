import type { Credential } from '../hub/authorizer.js';
import { HeraldError } from '../hub/refusal.js';
import type { HttpRequest } from './exchange.js';

/** Reads `Authorization: Bearer <token>`; undefined when absent, 'unauthenticated' when malformed. */
export function bearerToken(header: string | null): string | undefined {
  if (header === null || header === '') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match)
    throw new HeraldError('unauthenticated', 'malformed Authorization header: expected "Bearer <token>"');
  return match[1];
}

/** A publisher's credential: the Authorization header only. */
export function publisherCredential(request: HttpRequest): Credential | undefined {
  const token = bearerToken(request.header('authorization'));
  return token === undefined ? undefined : { token, source: 'header' };
}

/** A subscriber's credential: the Authorization header, else `access_token` in the query. */
export function subscriberCredential(request: HttpRequest): Credential | undefined {
  const header = bearerToken(request.header('authorization'));
  if (header !== undefined) return { token: header, source: 'header' };
  const query = request.url.searchParams.get('access_token');
  return query === null || query === '' ? undefined : { token: query, source: 'query' };
}
