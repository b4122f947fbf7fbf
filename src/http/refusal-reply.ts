import type { HeraldError, RefusalCode } from '../hub/refusal.js';
import { type Headers, type PlainReply, refuse } from './exchange.js';

/** The one place a hub refusal becomes an HTTP status. */
export const STATUS_OF: Readonly<Record<RefusalCode, number>> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'too-large': 413,
  'unsupported-media': 415,
  'rate-limited': 429,
  unavailable: 503,
};

/** A refusal as an HTTP answer: its status, its one-line reason, and the headers it implies. */
export function refusalReply(error: HeraldError): PlainReply {
  const headers: Headers = {};
  if (error.code === 'unauthenticated') headers['www-authenticate'] = 'Bearer';
  if (error.retryAfterMs !== undefined)
    headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
  return refuse(STATUS_OF[error.code], error.message, headers);
}
