import type { Advice, HeraldError, RefusalCode } from '../hub/refusal.js';
import type { Admission } from '../hub/subscriber-admission.js';
import { EVENT_STREAM_HEADERS, type Headers, type PlainReply, plain, refuse } from './exchange.js';

/** The one place a hub refusal becomes an HTTP status. */
export const STATUS_OF: Readonly<Record<RefusalCode, number>> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'too-large': 413,
  'unsupported-media': 415,
  'rate-limited': 429,
  unavailable: 503,
  misconfigured: 500,
};

/** The hub's advice in HTTP's words: the header, parameter or flag that helps, after the reason. */
export const ADVICE_WORDS: Readonly<Record<Advice, string>> = {
  'send-publisher-token': '; send "Authorization: Bearer <JWT>" (mint one with: herald token)',
  'send-subscriber-token': '; send "Authorization: Bearer <JWT>" or the auth cookie',
  'token-outside-url':
    ' (access_token is switched off): send it in a cookie or an Authorization header, or get a ticket from POST /tickets',
  'set-publisher-key': ' (set jwtKey / --jwt-key or publisherKey / --publisher-key)',
  'set-subscriber-key': ' (set subscriberKey / --subscriber-key or jwtKey / --jwt-key)',
  'name-topics': ' (topic= query parameters)',
  'allow-origin': ' (list origins with --cors-origin / corsOrigins)',
  'retry-with-idempotency-key':
    ': a retry may store it twice unless the publish carries an Idempotency-Key header (the same one each time)',
};

/** A refusal as an HTTP answer: its status, its one-line reason, and the headers it implies. */
export function refusalReply(error: HeraldError): PlainReply {
  const headers: Headers = {};
  if (error.code === 'unauthenticated') headers['www-authenticate'] = 'Bearer';
  if (error.retryAfterMs !== undefined)
    headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
  const advice = error.advice === undefined ? '' : ADVICE_WORDS[error.advice];
  return refuse(STATUS_OF[error.code], `${error.message}${advice}`, headers);
}

/**
 * Shedding: an EventSource gets 200 with a jittered `retry:` and an immediate end, so it comes back
 * later by itself (it would give up for good on an error status). Anything else gets 503/429.
 */
export function shedReply(shed: Extract<Admission, { kind: 'shed' }>, eventSource: boolean): PlainReply {
  if (eventSource) return plain(200, `: ${shed.reason}\nretry: ${shed.retryMs}\n\n`, EVENT_STREAM_HEADERS);
  return refuse(STATUS_OF[shed.code], shed.reason, {
    'retry-after': String(Math.max(1, Math.ceil(shed.retryMs / 1000))),
  });
}
