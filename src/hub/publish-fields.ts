import { nearestName } from './nearest-name.js';
import { HeraldError, quote } from './refusal.js';

/**
 * Refuses ('invalid') the first of `fields` not in `known`, with a did-you-mean or else the list:
 * a misspelled `private` must not publish the event publicly. Stops at the first unknown field, so
 * a body of thousands of them costs one pass at most.
 */
export function refuseUnknownPublishFields(fields: Iterable<string>, known: readonly string[]): void {
  for (const field of fields) {
    if (known.includes(field)) continue;
    const suggestion = nearestName(field, known);
    const hint =
      suggestion === undefined ? `the fields are ${known.join(', ')}` : `did you mean ${quote(suggestion)}?`;
    throw new HeraldError('invalid', `${quote(field)} is not a publish field; ${hint}`);
  }
}
