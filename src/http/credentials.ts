/**
 * Where each credential source of the hub's operations is found in an HTTP request (extraction
 * only: which sources an operation takes, in which order, and what they allow is the hub's
 * decision, src/hub/operations.ts):
 *
 * - `bearer`: `Authorization: Bearer <token>`;
 * - `ticket`: `ticket=` in the query;
 * - `ambient`: the auth cookie (`herald_auth` unless configured);
 * - `url`: `access_token=` in the query (the hub refuses it when URL tokens are switched off).
 *
 * The first source present, in the operation's order, is the one used: the others are ignored,
 * never tried in turn, so a refusal always names the credential it judged.
 */
import type { Credential, CredentialSource } from '../hub/authorizer.js';
import { HeraldError } from '../hub/refusal.js';
import { cookieValue } from './cookies.js';
import type { HttpRequest } from './exchange.js';

/** Reads `Authorization: Bearer <token>`; undefined when absent, 'unauthenticated' when malformed. */
export function bearerToken(header: string | null): string | undefined {
  if (header === null || header === '') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match)
    throw new HeraldError('unauthenticated', 'malformed Authorization header: expected "Bearer <token>"');
  return match[1];
}

function queryParameter(request: HttpRequest, name: string): string | undefined {
  const value = request.url.searchParams.get(name);
  return value === null || value === '' ? undefined : value;
}

function tokenFrom(request: HttpRequest, source: CredentialSource, cookie: string): string | undefined {
  switch (source) {
    case 'bearer':
      return bearerToken(request.header('authorization'));
    case 'ticket':
      return queryParameter(request, 'ticket');
    case 'ambient': {
      const value = cookieValue(request.header('cookie'), cookie);
      return value === '' ? undefined : value;
    }
    case 'url':
      return queryParameter(request, 'access_token');
  }
}

/** The request's credential: the first of `sources` present, looking for the auth cookie by `cookie`. */
export function findCredential(
  request: HttpRequest,
  sources: readonly CredentialSource[],
  cookie: string,
): Credential | undefined {
  for (const source of sources) {
    const token = tokenFrom(request, source, cookie);
    if (token !== undefined) return { token, source };
  }
  return undefined;
}
