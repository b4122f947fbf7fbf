import { HeraldError, quote } from '../hub/refusal.js';
import type { Headers, HttpReply, HttpRequest } from './exchange.js';
import { plain, refuse } from './exchange.js';

/**
 * Request headers every preflight allows: what EventSource polyfills and the herald client send,
 * and a page's publish retried safely.
 */
export const CORS_ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Last-Event-ID',
  'Cache-Control',
  'X-Requested-With',
  'Idempotency-Key',
] as const;

/** An origin or header list that cannot work, in one line (fit for a usage error). */
export class CorsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorsConfigError';
  }
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** `https://app.example[:port]`, as a browser sends it in `Origin`; a trailing slash is forgiven. */
function checkOrigin(text: string): string {
  const origin = text.trim().replace(/\/$/, '');
  if (origin === '*') return origin;
  let parsed: URL | undefined;
  try {
    parsed = new URL(origin);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || parsed.origin !== origin) {
    throw new CorsConfigError(
      `${JSON.stringify(text.slice(0, 80))} is not an origin: give scheme, host and port only, as in https://app.example or http://localhost:3000`,
    );
  }
  return origin;
}

/** The `host[:port]` of an Origin header, lowercased; undefined when it is not a URL. */
function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/**
 * CORS is closed until origins are listed. A listed origin is answered by name, with
 * `Access-Control-Allow-Credentials: true` (so `EventSource(url, { withCredentials: true })` and
 * cookies work) and `Vary: Origin`; `*` allows every origin, without credentials (browsers refuse
 * `*` together with credentials, so cookie mode needs the origins listed).
 *
 * Subscribing and buying tickets from a page on an origin that is not allowed is refused with 403
 * (`checkOrigin`) rather than answered with a stream the browser would only discard. The hub's own
 * pages are always allowed. Browsers send no Origin on a same-origin GET (Chromium's same-origin
 * EventSource sends none, with or without `withCredentials`), but do on a same-origin POST such as
 * `fetch('/tickets', { method: 'POST' })`; such a request is known as the hub's own by
 * `Sec-Fetch-Site: same-origin`, which page scripts cannot set, or by an Origin that names the host
 * the request was sent to (its `Host` header; only host and port, since behind a TLS proxy the
 * scheme the hub sees is not the page's). Either is safe to trust: the CORS headers, not this
 * check, decide what a page may read.
 */
export class CorsPolicy {
  readonly #origins: ReadonlySet<string>;
  readonly #any: boolean;
  readonly #allowHeaders: string;

  /** Throws a CorsConfigError for an entry that is not an origin, or an extra header that is no header name. */
  constructor(origins: readonly string[], extraHeaders: readonly string[] = []) {
    this.#origins = new Set(origins.map(checkOrigin));
    this.#any = this.#origins.has('*');
    const headers = new Map<string, string>(CORS_ALLOWED_HEADERS.map((h) => [h.toLowerCase(), h]));
    for (const raw of extraHeaders) {
      const header = raw.trim();
      if (!HEADER_NAME.test(header)) {
        throw new CorsConfigError(`${JSON.stringify(raw.slice(0, 80))} is not a header name`);
      }
      if (!headers.has(header.toLowerCase())) headers.set(header.toLowerCase(), header);
    }
    this.#allowHeaders = [...headers.values()].join(', ');
  }

  /** Whether a page on `origin` may use the hub (listed, or `*`). */
  allows(origin: string): boolean {
    return this.#any || this.#origins.has(origin);
  }

  /** Headers to add to an answer for this request (only `Vary` when the origin is not allowed). */
  headersFor(request: HttpRequest): Headers {
    const origin = request.header('origin');
    if (this.#any) return origin === null ? {} : { 'access-control-allow-origin': '*' };
    // The answer depends on Origin whenever origins are listed: caches must keep them apart.
    const vary: Headers = this.#origins.size > 0 ? { vary: 'Origin' } : {};
    if (origin === null || !this.#origins.has(origin)) return vary;
    return {
      'access-control-allow-origin': origin,
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    };
  }

  /**
   * Refuses ('forbidden') a request from a page whose origin may not use the hub: one with an
   * Origin header that is neither allowed nor the hub's own (see the class comment). The reason
   * never lists the allowed origins: a stranger learns only that theirs is not one of them.
   */
  checkOrigin(request: HttpRequest, what: string): void {
    const origin = request.header('origin');
    if (origin === null || this.allows(origin)) return;
    if (request.header('sec-fetch-site') === 'same-origin') return;
    const own = request.header('host');
    if (own !== null && hostOf(origin) === own.toLowerCase()) return;
    throw new HeraldError(
      'forbidden',
      `a page on ${quote(origin)} may not ${what} here: its origin is not allowed (list origins with --cors-origin / corsOrigins)`,
    );
  }

  /** Answers a preflight request; a refusal names the origin asked about, never the allowed ones. */
  preflight(request: HttpRequest): HttpReply {
    const origin = request.header('origin');
    if (origin === null || !this.allows(origin)) {
      return refuse(
        403,
        `origin ${origin === null ? '(none)' : quote(origin)} not allowed: list it with --cors-origin (HERALD_CORS_ORIGINS)`,
        { vary: 'Origin' },
      );
    }
    return plain(204, '', {
      ...this.headersFor(request),
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': this.#allowHeaders,
      'access-control-max-age': '600',
    });
  }
}
