import { refuseUnknownNames } from './unknown-names.js';

const PUBLISH_FIELD = { one: 'publish field', many: 'fields' };

/** Refuses ('invalid') the first of `fields` not in `known`: a misspelled `private` must not publish the event publicly. */
export function refuseUnknownPublishFields(fields: Iterable<string>, known: readonly string[]): void {
  refuseUnknownNames(fields, known, PUBLISH_FIELD);
}
