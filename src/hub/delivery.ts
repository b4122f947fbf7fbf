import type { HubCounters } from './counters.js';
import type { Session } from './session.js';

const HEARTBEAT = Buffer.from(':\n\n');

/**
 * Getting queued bytes onto sockets: sessions with something due are marked dirty and flushed once
 * per event-loop turn (one write each), a session too far behind is cut, and quiet streams get a
 * heartbeat from one hub-wide timer.
 */
export class Delivery {
  #dirty: Session[] = [];
  #scheduled = false;

  constructor(
    private readonly counters: HubCounters,
    /** Unsent bytes past which a session is cut (it resumes from history). */
    private readonly ceiling: number,
    /** Called for a session that fell too far behind; it must close the session. */
    private readonly onSlow: (session: Session) => void,
  ) {}

  /** Queues the session for this turn's flush. */
  markDirty(session: Session): void {
    if (session.dirty) return;
    session.dirty = true;
    this.#dirty.push(session);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Writes everything due to each dirty socket in one write. */
  readonly flush = (): void => {
    this.#scheduled = false;
    const dirty = this.#dirty;
    this.#dirty = [];
    const now = Date.now();
    for (const session of dirty) {
      session.dirty = false;
      if (session.closed || session.pending.length === 0) continue;
      if (session.sink.buffered() > this.ceiling) {
        this.dropSlow(session);
        continue;
      }
      this.writeNow(session, now);
    }
  };

  /** Writes a session's pending bytes at once (a replay page, a stream's last words). */
  writeNow(session: Session, now = Date.now()): void {
    if (session.pending.length === 0 || session.closed) return;
    session.sink.write(session.pending, session.pendingEvents);
    this.counters.eventsDelivered += session.pendingEvents;
    this.counters.bytesOut += session.pendingBytes;
    session.lastWriteAt = now;
    session.pending.length = 0;
    session.pendingBytes = 0;
    session.pendingEvents = 0;
  }

  /** Is the session past its ceiling of unsent bytes (in the sink, or held during its replay)? */
  isBehind(session: Session): boolean {
    return session.sink.buffered() > this.ceiling || session.heldBytes > this.ceiling;
  }

  dropSlow(session: Session): void {
    this.counters.slowConsumerDisconnects++;
    this.onSlow(session);
  }

  /** A comment line to every live stream quiet for `quietMs`. */
  heartbeat(sessions: Iterable<Session>, quietMs: number): void {
    const now = Date.now();
    for (const session of sessions) {
      if (session.state !== 'live' || !session.heartbeat || now - session.lastWriteAt < quietMs) continue;
      session.sink.write([HEARTBEAT], 0);
      session.lastWriteAt = now;
      this.counters.bytesOut += HEARTBEAT.length;
    }
  }
}
