/** Why the hub said no, independent of the transport; HTTP maps each code to a status once. */
export type RefusalCode =
  /** The input is malformed or breaks a rule (400). */
  | 'invalid'
  /** No credential, or one that does not verify (401). */
  | 'unauthenticated'
  /** A valid credential that does not cover this (403). */
  | 'forbidden'
  /** Over a size bound (413). */
  | 'too-large'
  /** A body in a format the hub does not read (415). */
  | 'unsupported-media'
  /** Over a rate or a per-client bound (429). */
  | 'rate-limited'
  /** The hub cannot take it now: full, shutting down, or its store is unreachable (503). */
  | 'unavailable'
  /** The host app is set up so that the hub cannot serve this (a body parser read it first) (500). */
  | 'misconfigured';

/**
 * What the caller can do about a refusal, named by the hub and worded by each transport (over
 * HTTP: which header to send, which flag to set), so that the hub's reasons name no transport.
 */
export type Advice =
  /** Send a publisher token. */
  | 'send-publisher-token'
  /** Send a subscriber token in a way the operation takes. */
  | 'send-subscriber-token'
  /** Send the token some way other than in the URL. */
  | 'token-outside-url'
  /** Configure a publisher key. */
  | 'set-publisher-key'
  /** Configure a subscriber key. */
  | 'set-subscriber-key'
  /** Name the topics to subscribe to. */
  | 'name-topics'
  /** List the page's origin as allowed. */
  | 'allow-origin'
  /** The outcome is unknown: retry with the same idempotency key, which cannot store it twice. */
  | 'retry-with-idempotency-key';

/** A refusal: a code and a one-line reason in plain words, safe to show the client. */
export class HeraldError extends Error {
  readonly code: RefusalCode;
  /** When a retry may succeed (ms), for rate limits and unavailability. */
  readonly retryAfterMs: number | undefined;
  /** What the caller can do about it, for the transport to word. */
  readonly advice: Advice | undefined;

  constructor(
    code: RefusalCode,
    message: string,
    options: { retryAfterMs?: number; advice?: Advice; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'HeraldError';
    this.code = code;
    this.retryAfterMs = options.retryAfterMs;
    this.advice = options.advice;
  }
}

const MAX_QUOTE = 80;

/**
 * Client input quoted inside a reason: as a JSON string (so CR, LF and control characters stay
 * escaped and the reason stays one line), cut to a bounded length.
 */
export function quote(input: string): string {
  const cut = input.length > MAX_QUOTE ? `${input.slice(0, MAX_QUOTE)}…` : input;
  return JSON.stringify(cut);
}
