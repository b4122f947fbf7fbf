import type { NewEvent } from '../log/event-log.js';
import { type PublishInput, toNewEvent } from './event-rules.js';
import type { Limits } from './limits.js';
import { HeraldError } from './refusal.js';
import { isSystemTopic } from './topic-selector.js';

/** How `hub.publishMany` takes a batch. */
export interface BatchOptions {
  /**
   * Covers the whole batch: a batch with the key of an earlier publish (batch or single) within the
   * window stores nothing and answers that publish's ids. 1 to 128 visible ASCII characters.
   */
  idempotencyKey?: string;
  /**
   * How a refusal names an event of the batch (by its index), so that a transport can say which
   * one in its own words (a line number); default `event 1`, `event 2`, ...
   */
  name?: (index: number) => string;
}

/** What a batch publish answers: its events' ids in order; `replayed` when its key named an earlier publish. */
export interface PublishedBatch {
  ids: readonly string[];
  replayed?: true;
}

const eventNumber = (index: number): string => `event ${index + 1}`;

/**
 * Checks every event of a batch before any is stored (all or nothing) and turns them into the
 * events the log stores; `check` adds the caller's own rule per event (a publisher's grant). A
 * refusal names the event, keeps the event's own code, and says that nothing was published.
 */
export function toNewEvents(
  inputs: readonly PublishInput[],
  options: BatchOptions,
  limits: Limits,
  check?: (event: NewEvent) => void,
): NewEvent[] {
  if (!Array.isArray(inputs) || inputs.length === 0)
    throw new HeraldError('invalid', 'a batch needs at least one event');
  if (inputs.length > limits.maxEventsPerBatch)
    throw new HeraldError(
      'too-large',
      `the batch has ${inputs.length} events; the limit is ${limits.maxEventsPerBatch} (maxEventsPerBatch)`,
    );
  const name = options.name ?? eventNumber;
  return inputs.map((input, index) => {
    try {
      if (input !== null && typeof input === 'object' && input.idempotencyKey !== undefined)
        throw new HeraldError(
          'invalid',
          'an idempotency key covers the whole batch: give it once, for the batch',
        );
      const event = toNewEvent(input, limits);
      check?.(event);
      // The hub's live snapshots bypass the log, so they cannot take a place in a batch's order.
      if (event.topics.every(isSystemTopic))
        throw new HeraldError(
          'invalid',
          'system topics ($SYS/) are live snapshots: publish them one at a time',
        );
      return event;
    } catch (error) {
      if (!(error instanceof HeraldError)) throw error;
      throw new HeraldError(
        error.code,
        `${name(index)}: ${error.message} (nothing in the batch was published)`,
      );
    }
  });
}
