import { type EventLog, type HistoryPage, LogUnavailableError, type StoredEvent } from '../log/event-log.js';
import type { Grant } from './authorizer.js';
import type { ReceiveRule, Receiver } from './receive-rule.js';
import { HeraldError, quote } from './refusal.js';
import { type SelectorDeps, subscriberSelectors } from './subscriber-admission.js';
import { anySelectorMatchesSplit, type SplitTopics, type TopicSelector } from './topic-selector.js';

/** What `hub.history` takes. */
export interface HistoryRequest {
  /** Selector texts, as a subscription names them. */
  readonly topics: readonly string[];
  /** Most events answered: 1 to MAX_HISTORY_EVENTS (default DEFAULT_HISTORY_EVENTS). */
  readonly limit?: number;
  /** Only events older than this id (the next page back); absent: the newest. */
  readonly before?: string;
}

/** One event of history, as the caller sees it. */
export interface HistoryEvent {
  readonly id: string;
  readonly topics: readonly string[];
  /** Its type; `message` when its publisher gave none (the type an EventSource dispatches it with). */
  readonly type: string;
  readonly data: string;
  /** When the log stored it (ms since the Unix epoch). */
  readonly time: number;
}

/** What `hub.history` answers. */
export interface HistoryAnswer {
  /** The newest events before `before` that the caller may see, oldest first. */
  readonly events: HistoryEvent[];
  /** Older events may exist: ask again with `before: cursor`. */
  readonly more: boolean;
  /**
   * With `more`: the `before` of the next page, the oldest event examined (which may be one the
   * caller may not see, so a page of them never repeats).
   */
  readonly cursor?: string;
}

export const DEFAULT_HISTORY_EVENTS = 50;
export const MAX_HISTORY_EVENTS = 500;
/** Most `data` one answer carries (UTF-16 code units, as the log counts), unless its newest event alone is larger. */
export const MAX_HISTORY_BYTES = 1024 * 1024;
/** Longer than any id a log assigns. */
const MAX_ID_LENGTH = 256;

/** What reading history needs of the hub. */
export interface HistoryDeps extends SelectorDeps {
  readonly log: EventLog;
  readonly rule: ReceiveRule;
}

/** The caller of a history read, judged by the rule that judges a stream's session. */
class HistoryReader implements Receiver {
  readonly #claims: readonly TopicSelector[];
  readonly #expiresAt: number;

  constructor(
    readonly selectors: readonly TopicSelector[],
    grant: Grant | undefined,
  ) {
    this.#claims = grant?.subscribe ?? [];
    this.#expiresAt = grant?.expiresAt ?? Number.POSITIVE_INFINITY;
  }

  expiredBy(now: number): boolean {
    return this.#expiresAt <= now;
  }

  subscribesTo(topics: SplitTopics): boolean {
    return anySelectorMatchesSplit(this.selectors, topics);
  }

  claims(topics: SplitTopics): boolean {
    return anySelectorMatchesSplit(this.#claims, topics);
  }
}

/**
 * The history operation for an admitted caller: the newest events under its selectors that it
 * would receive on a stream (public ones for anyone, private ones under a topic its grant covers),
 * oldest first. `limit` counts what it receives; the log's scan budget bounds the events examined,
 * and `more` with `cursor` says where to go on. Throws 'invalid' refusals for bad input and
 * 'unavailable' when the store cannot answer now.
 */
export async function readHistory(
  deps: HistoryDeps,
  grant: Grant | undefined,
  request: HistoryRequest,
): Promise<HistoryAnswer> {
  const reader = new HistoryReader(subscriberSelectors(deps, request.topics, grant), grant);
  const limit = request.limit ?? DEFAULT_HISTORY_EVENTS;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_HISTORY_EVENTS)
    throw new HeraldError('invalid', `limit must be a whole number from 1 to ${MAX_HISTORY_EVENTS}`);
  const before = request.before;
  if (before !== undefined && (typeof before !== 'string' || before === '' || before.length > MAX_ID_LENGTH))
    throw new HeraldError('invalid', 'before must be an event id');
  const now = Date.now();
  const visible = (event: StoredEvent) => deps.rule.visible(reader, event, now);
  let page: HistoryPage;
  try {
    page = await deps.log.readBefore(before, visible, limit, MAX_HISTORY_BYTES);
  } catch (error) {
    if (!(error instanceof LogUnavailableError)) throw error;
    throw new HeraldError('unavailable', `the event store is unavailable: ${error.message}`, {
      retryAfterMs: 1000,
      cause: error,
    });
  }
  if (page.foreign)
    throw new HeraldError(
      'invalid',
      `before ${quote(before!)} is not an id of this hub's events (take one from its history or its streams)`,
    );
  const events = page.events.map(historyEvent);
  return page.more ? { events, more: true, cursor: page.cursor } : { events, more: false };
}

function historyEvent(event: StoredEvent): HistoryEvent {
  return {
    id: event.id,
    topics: event.topics,
    type: event.type ?? 'message',
    data: event.data,
    time: event.time,
  };
}
