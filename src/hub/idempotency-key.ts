import type { IdempotencyRule } from '../log/event-log.js';
import type { Limits } from './limits.js';
import { HeraldError } from './refusal.js';

/** The longest idempotency key taken (a UUID is 36 characters; room for a prefix of the caller's). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;

const KEY = new RegExp(`^[\\x21-\\x7e]{1,${MAX_IDEMPOTENCY_KEY_LENGTH}}$`);

/**
 * The rule the log applies to a publish with an idempotency key, or undefined without one. Keys
 * are scoped by the publisher's subject (`sub`): two publishers that happen to pick the same key
 * (a counter, a row id) never swallow each other's events, and none can learn another's ids by
 * guessing its keys. Publishers without a subject, and `hub.publish` in the process, share one
 * scope. Refuses ('invalid') a key that is not 1 to 128 visible ASCII characters.
 */
export function idempotencyRule(
  key: unknown,
  subject: string | undefined,
  limits: Limits,
): IdempotencyRule | undefined {
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || !KEY.test(key)) {
    const length = typeof key === 'string' ? key.length : 0;
    const why =
      typeof key !== 'string'
        ? 'it is not a string'
        : length === 0
          ? 'it is empty'
          : length > MAX_IDEMPOTENCY_KEY_LENGTH
            ? `it has ${length}`
            : 'it has a space, a control or a non-ASCII character';
    throw new HeraldError(
      'invalid',
      `the idempotency key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters (letters, digits, punctuation); ${why}`,
    );
  }
  return {
    // JSON keeps the two parts apart whatever characters a subject holds.
    key: JSON.stringify([subject ?? null, key]),
    windowMs: limits.idempotencyWindowMs,
    maxKeys: limits.maxIdempotencyKeys,
  };
}
