import type { Delivery } from './delivery.js';
import type { Session } from './session.js';
import type { TopicIndex } from './topic-index.js';
import type { Outgoing } from './wire-cache.js';

/**
 * Why did this subscriber get this event? Here: the topic index finds the sessions whose selectors
 * match one of the event's topics, each session is visited once per event (round stamp, no Set per
 * event), a private event passes only sessions authorized for it, and the same bytes go to every
 * live session; a session still replaying holds the event until its handover.
 *
 * Events are fanned out once per event-loop turn, after the turn's publishes (in the check phase,
 * when the writes would leave anyway). A turn with one event, the usual case, is written in the
 * same walk: one pass over the sessions, one write each. A turn with several queues them on each
 * session and the delivery flushes them together, so a socket still gets one write per turn.
 * A session registered meanwhile cannot get an event twice: its handover's resume point already
 * covers every event appended before it, and events up to that point are skipped (`liveAfter`,
 * and the held events' id check).
 */
export class FanOut {
  #round = 0;
  #event: Outgoing | undefined;
  /** The event's bytes as a one-element array, shared by every session written in the walk. */
  #chunks: readonly Buffer[] = [];
  #segments: readonly (readonly string[])[] = [];
  #queued: Outgoing[] = [];
  #scheduled = false;

  constructor(
    private readonly index: TopicIndex<Session>,
    private readonly delivery: Delivery,
    private readonly compareIds: (a: string, b: string) => number,
  ) {}

  /** Queues an event for this turn's fan-out. */
  send(event: Outgoing): void {
    this.#queued.push(event);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.run);
    }
  }

  /** Fans out what is queued, now (also before a gap notice or a shutdown's last words). */
  readonly run = (): void => {
    this.#scheduled = false;
    const events = this.#queued;
    if (events.length === 0) return;
    this.#queued = [];
    if (events.length === 1) {
      this.#walk(events[0]!, this.#write);
      return;
    }
    for (const event of events) this.#walk(event, this.#queue);
    this.delivery.flush();
  };

  #walk(event: Outgoing, visit: (session: Session) => void): void {
    this.#round++;
    this.#event = event;
    this.#chunks = [event.wire];
    // Split once per event, for the index walk and for every private-event check.
    const segments = event.topics.map((topic) => topic.split('/'));
    this.#segments = segments;
    for (const topic of segments) this.index.forEachMatch(topic, visit);
    this.#event = undefined;
    this.#chunks = [];
  }

  /** Should this session get the event live? Replaying sessions hold it (and may be cut). */
  #due(session: Session, event: Outgoing): boolean {
    if (session.round === this.#round) return false;
    session.round = this.#round;
    if (!session.mayReceive(event, this.#segments)) return false;
    if (session.state === 'live') {
      if (session.liveAfter !== undefined && event.id !== undefined) {
        // Already sent by the replay: the tail was behind it, or the event was queued before it.
        if (this.compareIds(event.id, session.liveAfter) <= 0) return false;
        session.liveAfter = undefined;
      }
      return true;
    }
    if (session.state === 'replaying') {
      session.held!.push(event);
      session.heldBytes += event.wire.length;
      if (this.delivery.isBehind(session)) this.delivery.dropSlow(session);
    }
    return false;
  }

  // Bound arrows kept on the instance: no closure allocated per event.
  readonly #write = (session: Session): void => {
    const event = this.#event!;
    if (!this.#due(session, event)) return;
    // Something already due first (a control line): the event goes after it, in the flush.
    if (session.hasPending) this.delivery.enqueue(session, event.wire, true);
    else this.delivery.writeEvent(session, this.#chunks, event.wire.length);
  };

  readonly #queue = (session: Session): void => {
    const event = this.#event!;
    if (this.#due(session, event)) this.delivery.enqueue(session, event.wire, true);
  };
}
