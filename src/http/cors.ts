import type { Headers, HttpReply, HttpRequest } from './exchange.js';
import { plain, refuse } from './exchange.js';

/** CORS is closed until origins are listed. `*` allows every origin, without credentials. */
export class CorsPolicy {
  readonly #origins: ReadonlySet<string>;
  readonly #any: boolean;

  constructor(origins: readonly string[]) {
    this.#origins = new Set(origins.map((o) => o.replace(/\/$/, '')));
    this.#any = this.#origins.has('*');
  }

  /** Headers to add to an answer for this request (empty when the origin is not allowed). */
  headersFor(request: HttpRequest): Headers {
    const origin = request.header('origin');
    if (origin === null) return {};
    if (this.#any) return { 'access-control-allow-origin': '*' };
    if (!this.#origins.has(origin)) return {};
    return {
      'access-control-allow-origin': origin,
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    };
  }

  /** Answers a preflight request. */
  preflight(request: HttpRequest): HttpReply {
    const allowed = this.headersFor(request);
    if (allowed['access-control-allow-origin'] === undefined) {
      return refuse(403, 'origin not allowed: list it with --cors-origin (HERALD_CORS_ORIGINS)', {
        vary: 'Origin',
      });
    }
    return plain(204, '', {
      ...allowed,
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers':
        'Authorization, Content-Type, Last-Event-ID, Cache-Control, X-Requested-With',
      'access-control-max-age': '600',
    });
  }
}
