/**
 * Finding credentials in requests (extraction only: what they allow is the hub's decision).
 *
 * A subscriber's credential is looked for in this order, and the first one present is the one used
 * (the others are ignored, never tried in turn, so a refusal always names the credential it judged):
 *
 * 1. `Authorization: Bearer <token>`: set by code for this very request;
 * 2. `ticket=` in the query: a single-use ticket put in this URL for this request;
 * 3. the auth cookie (`herald_auth` unless configured): ambient, sent with every request to the site;
 * 4. `access_token=` in the query: the last resort, as it lands in logs (it can be switched off).
 *
 * Explicit before ambient: a page that holds a cookie but asks with a header or a ticket means
 * those. A publisher's credential is the header only: a cookie would let any page a publisher
 * visits publish in their name.
 */
import type { Credential } from '../hub/authorizer.js';
import { HeraldError } from '../hub/refusal.js';
import { cookieValue, DEFAULT_AUTH_COOKIE } from './cookies.js';
import type { HttpRequest } from './exchange.js';

/** Where subscriber credentials are looked for besides the header and the query. */
export interface CredentialOptions {
  /** The cookie a subscriber token is read from. */
  readonly cookie: string;
}

export const DEFAULT_CREDENTIAL_OPTIONS: CredentialOptions = { cookie: DEFAULT_AUTH_COOKIE };

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

function headerOrCookie(request: HttpRequest, options: CredentialOptions): Credential | undefined {
  const header = bearerToken(request.header('authorization'));
  if (header !== undefined) return { token: header, source: 'header' };
  const cookie = cookieValue(request.header('cookie'), options.cookie);
  return cookie === undefined || cookie === '' ? undefined : { token: cookie, source: 'cookie' };
}

function queryParameter(request: HttpRequest, name: string): string | undefined {
  const value = request.url.searchParams.get(name);
  return value === null || value === '' ? undefined : value;
}

/** A subscriber's credential on `GET /events`: header, ticket, cookie, then `access_token`. */
export function subscriberCredential(
  request: HttpRequest,
  options: CredentialOptions = DEFAULT_CREDENTIAL_OPTIONS,
): Credential | undefined {
  const header = bearerToken(request.header('authorization'));
  if (header !== undefined) return { token: header, source: 'header' };
  const ticket = queryParameter(request, 'ticket');
  if (ticket !== undefined) return { token: ticket, source: 'ticket' };
  const cookie = cookieValue(request.header('cookie'), options.cookie);
  if (cookie !== undefined && cookie !== '') return { token: cookie, source: 'cookie' };
  const query = queryParameter(request, 'access_token');
  return query === undefined ? undefined : { token: query, source: 'query' };
}

/** The credential that buys a ticket on `POST /tickets`: the header, else the cookie (never a URL). */
export function ticketCredential(
  request: HttpRequest,
  options: CredentialOptions = DEFAULT_CREDENTIAL_OPTIONS,
): Credential | undefined {
  return headerOrCookie(request, options);
}

/**
 * The credential of a viewer of the monitor's figures (`/monitor/history.json`): as a subscriber's,
 * but a ticket is left for the stream it was bought for.
 */
export function monitorCredential(
  request: HttpRequest,
  options: CredentialOptions = DEFAULT_CREDENTIAL_OPTIONS,
): Credential | undefined {
  const found = headerOrCookie(request, options);
  if (found !== undefined) return found;
  const query = queryParameter(request, 'access_token');
  return query === undefined ? undefined : { token: query, source: 'query' };
}
