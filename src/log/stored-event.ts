import type { AppendedEvent, NewEvent, StoredEvent } from './event-log.js';

/** The event as stored under `id` at `time`: its own fields only (never a caller's extra ones). */
export function storedEvent(event: NewEvent, id: string, time: number): StoredEvent {
  return {
    id,
    topics: event.topics,
    data: event.data,
    type: event.type,
    retry: event.retry,
    private: event.private,
    time,
  };
}

/** What an idempotent append with a known key answers: the first event's id and time. */
export function replayedEvent(event: NewEvent, id: string, time: number): AppendedEvent {
  return { ...storedEvent(event, id, time), replayed: true };
}
