import type { NewEvent, StoredEvent } from '../log/event-log.js';
import {
  anySelectorMatches,
  anySelectorMatchesSplit,
  type SplitTopics,
  splitTopics,
  type TopicSelector,
} from './topic-selector.js';

/**
 * Whoever the rule judges: a stream's session, or the reader of a history page. Each answers for
 * its own selectors, claims and credential; the rule below combines them, once for every reader.
 */
export interface Receiver {
  /** Has the credential expired by `now` (ms)? */
  expiredBy(now: number): boolean;
  /** Does one of its selectors match one of the topics (split into segments)? */
  subscribesTo(topics: SplitTopics): boolean;
  /** Does its grant cover one of the topics (split), so that it may see a private event there? */
  claims(topics: SplitTopics): boolean;
}

/**
 * Who gets an event, for live delivery, replay and history alike: a session receives an event when one of
 * its selectors matches one of the event's topics, its credential has not expired, and, for a
 * private event (flagged by its publisher, or under one of the hub's private namespaces), its grant
 * covers one of the topics. An expired session gets nothing, public events included: its stream
 * ends at `exp`, the client's resume point stays at its last event, and the reconnect with a fresh
 * credential replays the rest; one number comparison, whatever the event.
 *
 * Live, the topic index does the topic match (it agrees with `selectorMatches`) and the privacy is
 * decided once per event; in replay, `visible` does it all for each stored event. Namespaces are
 * applied when an event is delivered, so events stored before one was configured obey it too.
 */
export class ReceiveRule {
  constructor(
    /** `--private-topics`: every event with a topic under one of these is private. */
    private readonly privateTopics: readonly TopicSelector[],
  ) {}

  /** Is an event with these topics private: `flagged` by its publisher, or under a private namespace? */
  isPrivate(flagged: boolean, topics: SplitTopics): boolean {
    return flagged || (this.privateTopics.length > 0 && anySelectorMatchesSplit(this.privateTopics, topics));
  }

  /**
   * May `session`, one of whose selectors matches one of `topics`, receive the event at `now` (ms,
   * read once per event)?
   */
  admits(session: Receiver, topics: SplitTopics, isPrivate: boolean, now: number): boolean {
    return !session.expiredBy(now) && (!isPrivate || session.claims(topics));
  }

  /** The whole rule for a stored event (replay): topic match, then as `admits`. */
  visible(session: Receiver, event: StoredEvent, now: number): boolean {
    const topics = splitTopics(event.topics);
    return (
      session.subscribesTo(topics) && this.admits(session, topics, this.isPrivate(event.private, topics), now)
    );
  }

  /** The event as it is stored: marked private when a namespace makes it so (the stored flag is honest). */
  marked<E extends NewEvent>(event: E): E {
    if (event.private || this.privateTopics.length === 0) return event;
    return anySelectorMatches(this.privateTopics, event.topics) ? { ...event, private: true } : event;
  }
}
