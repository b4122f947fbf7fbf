import { nearestName } from './nearest-name.js';
import { HeraldError, quote } from './refusal.js';

/** How a refusal names what the names are: one of them ("publish field"), and all ("fields"). */
export interface NameKind {
  readonly one: string;
  readonly many: string;
}

/**
 * Refuses ('invalid') the first of `names` not in `known`, with a did-you-mean or else the list:
 * a misspelled name (`privat`) must never be ignored. Stops at the first unknown name, so a
 * request of thousands of them costs one pass at most.
 */
export function refuseUnknownNames(names: Iterable<string>, known: readonly string[], kind: NameKind): void {
  for (const name of names) {
    if (known.includes(name)) continue;
    const suggestion = nearestName(name, known);
    const hint =
      suggestion === undefined
        ? `the ${kind.many} are ${known.join(', ')}`
        : `did you mean ${quote(suggestion)}?`;
    throw new HeraldError('invalid', `${quote(name)} is not a ${kind.one}; ${hint}`);
  }
}
