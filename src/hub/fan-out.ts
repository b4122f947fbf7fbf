import type { Delivery } from './delivery.js';
import type { Session } from './session.js';
import type { TopicIndex } from './topic-index.js';
import type { Outgoing } from './wire-cache.js';

/**
 * Why did this subscriber get this event? Here: the topic index finds the sessions whose selectors
 * match one of the event's topics, each session is visited once per event (round stamp, no Set per
 * event), a private event passes only sessions authorized for it, and the same bytes are queued on
 * every live session; a session still replaying holds the event until its handover.
 */
export class FanOut {
  #round = 0;
  #event: Outgoing | undefined;
  #segments: readonly (readonly string[])[] = [];

  constructor(
    private readonly index: TopicIndex<Session>,
    private readonly delivery: Delivery,
    private readonly compareIds: (a: string, b: string) => number,
  ) {}

  send(event: Outgoing): void {
    this.#round++;
    this.#event = event;
    // Split once per event, for the index walk and for every private-event check.
    const segments = event.topics.map((topic) => topic.split('/'));
    this.#segments = segments;
    for (const topic of segments) this.index.forEachMatch(topic, this.#visit);
    this.#event = undefined;
  }

  // A bound arrow kept on the instance: no closure allocated per event.
  readonly #visit = (session: Session): void => {
    const event = this.#event!;
    if (session.round === this.#round) return;
    session.round = this.#round;
    if (!session.mayReceive(event, this.#segments)) return;
    if (session.state === 'live') {
      if (session.liveAfter !== undefined && event.id !== undefined) {
        // Already sent by the replay: the tail was behind it.
        if (this.compareIds(event.id, session.liveAfter) <= 0) return;
        session.liveAfter = undefined;
      }
      this.delivery.enqueue(session, event.wire, true);
    } else if (session.state === 'replaying') {
      session.held!.push(event);
      session.heldBytes += event.wire.length;
      if (this.delivery.isBehind(session)) this.delivery.dropSlow(session);
    }
  };
}
