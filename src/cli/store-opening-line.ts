import type { StoreOpening } from '../log/event-log.js';

/**
 * The start-up line saying what the store held: a path with a typo (or a Redis on the wrong
 * database) otherwise starts an empty hub without a word.
 */
export function storeOpeningLine(label: string, opening: StoreOpening): string {
  const events = `${opening.events.toLocaleString('en-US')} event${opening.events === 1 ? '' : 's'}`;
  if (label.startsWith('redis')) {
    return opening.created
      ? `store ${label}: the stream does not exist yet, it starts empty`
      : `store ${label}: the stream holds ${events}`;
  }
  if (!opening.created) return `store ${label}: opened with ${events}`;
  const folders = opening.createdFolders ?? [];
  const made = folders.length === 0 ? '' : ` (and its folder ${folders.at(-1)}, which did not exist)`;
  return `store ${label}: created new, empty${made}`;
}
