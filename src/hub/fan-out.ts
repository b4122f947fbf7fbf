import type { Delivery } from './delivery.js';
import type { ReceiveRule } from './receive-rule.js';
import type { Session } from './session.js';
import type { TopicIndex } from './topic-index.js';
import { type SplitTopics, splitTopics } from './topic-selector.js';
import type { Outgoing } from './wire-cache.js';

/**
 * Live delivery of one event: the topic index finds the sessions whose selectors match one of the
 * event's topics, each session is visited once per event (round stamp, no Set per event), the
 * receive rule says whether it gets the event, and the same bytes are queued on every live session;
 * a session still replaying holds the event until its handover.
 */
export class FanOut {
  #round = 0;
  #event: Outgoing | undefined;
  #topics: SplitTopics = [];
  #private = false;
  /** The clock, read once per event: expiry is a number comparison per session. */
  #now = 0;

  constructor(
    private readonly index: TopicIndex<Session>,
    private readonly rule: ReceiveRule,
    private readonly delivery: Delivery,
    private readonly compareIds: (a: string, b: string) => number,
    /** Called for a session refused an event because its credential expired; it must end the session. */
    private readonly onExpired: (session: Session) => void,
  ) {}

  send(event: Outgoing): void {
    this.#round++;
    this.#event = event;
    // Split once per event, for the index walk and for every private-event check.
    const topics = splitTopics(event.topics);
    this.#topics = topics;
    this.#private = this.rule.isPrivate(event.private, topics);
    this.#now = Date.now();
    for (const topic of topics) this.index.forEachMatch(topic, this.#visit);
    this.#event = undefined;
  }

  // A bound arrow kept on the instance: no closure allocated per event.
  readonly #visit = (session: Session): void => {
    const event = this.#event!;
    if (!session.firstVisitIn(this.#round)) return;
    if (!this.rule.admits(session, this.#topics, this.#private, this.#now)) {
      // No need to wait for the hub's sweep: its stream ends now.
      if (session.expiredBy(this.#now)) this.onExpired(session);
      return;
    }
    if (session.live) {
      if (session.alreadyReplayed(event.id, this.compareIds)) return;
      this.delivery.enqueue(session, event.wire, true);
    } else if (session.replaying) {
      session.hold(event);
      // Bounded: past it, the replay reads them from the log instead (see Handover).
      if (session.heldBytes > this.delivery.holdLimit) session.dropHeld();
    }
  };
}
