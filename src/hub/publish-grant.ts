import type { NewEvent } from '../log/event-log.js';
import type { Grant } from './authorizer.js';
import { HeraldError, quote } from './refusal.js';
import { anySelectorMatches, isSystemTopic } from './topic-selector.js';

/**
 * What a publisher's grant allows, checked once the event is known (the publish operation's own
 * step, after its admission): every topic covered by `herald.publish`, none of the hub's own.
 * Refuses with 'forbidden'.
 */
export function checkPublishGrant(grant: Grant, event: NewEvent): void {
  for (const topic of event.topics) {
    if (isSystemTopic(topic))
      throw new HeraldError('forbidden', `topic ${quote(topic)} is reserved for the hub`);
    if (!anySelectorMatches(grant.publish, [topic])) {
      throw new HeraldError(
        'forbidden',
        `the token may not publish to ${quote(topic)} (its herald.publish claim does not cover it)`,
      );
    }
  }
}
