import type { NewEvent, Retention } from './event-log.js';

/** The retention of a store opened without bounds: every store keeps this much by default. */
export const DEFAULT_RETENTION = { maxEvents: 10_000, maxBytes: 64 * 1024 * 1024 } as const;

/** A store's bounds, with the defaults filled in; throws RangeError for a negative one. */
export function retentionBounds(retention: Retention): Required<Retention> {
  const bounds = {
    maxEvents: retention.maxEvents ?? DEFAULT_RETENTION.maxEvents,
    maxBytes: retention.maxBytes ?? DEFAULT_RETENTION.maxBytes,
    maxAgeMs: retention.maxAgeMs ?? Number.POSITIVE_INFINITY,
  };
  if (!(bounds.maxEvents >= 0) || !(bounds.maxBytes >= 0) || !(bounds.maxAgeMs >= 0))
    throw new RangeError('history limits must be >= 0');
  return bounds;
}

/** What an event costs the history: its data, topics and type, plus a fixed overhead. */
export function storedSize(event: NewEvent): number {
  let bytes = 64 + Buffer.byteLength(event.data) + (event.type?.length ?? 0);
  for (const topic of event.topics) bytes += topic.length;
  return bytes;
}
