import type { NewEvent } from '../log/event-log.js';
import type { Limits } from './limits.js';
import { refuseUnknownPublishFields } from './publish-fields.js';
import { HeraldError, quote } from './refusal.js';
import { parseTopic, TopicError } from './topic-selector.js';

/** What `hub.publish` takes. */
export interface PublishInput {
  /** One topic or several; the event reaches each subscriber once however many match. */
  topics: string | readonly string[];
  data: string;
  /** Event type (`event:`); names starting with `herald-` are reserved for the hub. */
  type?: string;
  /** Reconnection delay (ms) sent to subscribers with this event. */
  retry?: number;
  /** Only subscribers whose token authorizes one of the topics receive it. */
  private?: boolean;
  /**
   * Makes a retry safe: a publish with the key of one stored within the window (`idempotencyWindowMs`)
   * stores nothing and answers the first event's id. 1 to 128 visible ASCII characters.
   */
  idempotencyKey?: string;
}

/** What a publish answers: the event's id; `replayed` when its idempotency key named an earlier one. */
export interface Published {
  id: string;
  replayed?: true;
}

/** The fields of a PublishInput, in the order a refusal lists them; `hub.publish` refuses any other. */
export const PUBLISH_INPUT_FIELDS: readonly (keyof PublishInput)[] = [
  'topics',
  'data',
  'type',
  'retry',
  'private',
  'idempotencyKey',
];

/** Event types the hub sends itself (`herald-gap`, `herald-reauth`, ...). */
export const RESERVED_TYPE_PREFIX = 'herald-';
const MAX_TYPE_LENGTH = 128;

/** Is `retry` a valid reconnection delay (ms)? The one rule, for publishes and options alike. */
export function isRetry(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/**
 * Checks a publish and turns it into the event the log stores: its fields, topics, size, type, retry.
 * Throws 'invalid' / 'too-large' refusals whose reasons quote input escaped.
 */
export function toNewEvent(input: PublishInput, limits: Limits): NewEvent {
  refuseUnknownPublishFields(Object.keys(input), PUBLISH_INPUT_FIELDS);
  const list = typeof input.topics === 'string' ? [input.topics] : input.topics;
  if (!Array.isArray(list) || list.length === 0)
    throw new HeraldError('invalid', 'at least one topic is required');
  if (list.length > limits.maxTopicsPerEvent) {
    throw new HeraldError(
      'invalid',
      `an event may have at most ${limits.maxTopicsPerEvent} topics (maxTopicsPerEvent)`,
    );
  }
  for (const topic of list) {
    try {
      parseTopic(topic);
    } catch (error) {
      if (error instanceof TopicError) throw new HeraldError('invalid', error.message);
      throw error;
    }
  }
  if (typeof input.data !== 'string') throw new HeraldError('invalid', 'data must be a string');
  const bytes = Buffer.byteLength(input.data);
  if (bytes > limits.maxEventBytes) {
    throw new HeraldError(
      'too-large',
      `data is ${bytes} bytes; the limit is ${limits.maxEventBytes} (maxEventBytes)`,
    );
  }
  if (input.type !== undefined) {
    if (typeof input.type !== 'string' || input.type === '' || /[\r\n\0]/.test(input.type)) {
      throw new HeraldError('invalid', 'type must be a non-empty string without CR, LF or NUL');
    }
    if (input.type.length > MAX_TYPE_LENGTH)
      throw new HeraldError('invalid', `type is longer than ${MAX_TYPE_LENGTH} characters`);
    if (input.type.startsWith(RESERVED_TYPE_PREFIX)) {
      throw new HeraldError(
        'invalid',
        `event type ${quote(input.type)}: types starting with "${RESERVED_TYPE_PREFIX}" are reserved for the hub`,
      );
    }
  }
  if (input.retry !== undefined && !isRetry(input.retry)) {
    throw new HeraldError('invalid', 'retry must be a non-negative integer (milliseconds)');
  }
  return {
    topics: [...new Set(list)],
    data: input.data,
    type: input.type,
    retry: input.retry,
    private: input.private === true,
  };
}
