import type { HubCounters } from './counters.js';
import type { Session } from './session.js';

const HEARTBEAT = Buffer.from(':\n\n');
const HEARTBEATS: readonly Buffer[] = [HEARTBEAT];
/** Lends a session's only chunk to `Sink.write` as a one-element array (sinks do not keep it). */
const ONE: Buffer[] = [Buffer.alloc(0)];
const NOTHING = ONE[0]!;
/**
 * A write taken without backpressure leaves less than the transport's high-water mark queued (16
 * KiB for a socket or an HTTP/2 stream, 64 KiB for a Fetch stream): under a ceiling at least this
 * high, only a congested session can be past it, and the others' queues need not be asked.
 */
const HIGH_WATER_MARK_BOUND = 64 * 1024;

/**
 * Getting queued bytes onto sockets: sessions with something due are marked dirty and flushed once
 * per event-loop turn (one write each), a session too far behind is cut, and quiet streams get a
 * heartbeat from one hub-wide timer.
 */
export class Delivery {
  #dirty: Session[] = [];
  #scheduled = false;
  readonly #checkEveryWrite: boolean;

  constructor(
    private readonly counters: HubCounters,
    /** Unsent bytes past which a session is cut (it resumes from history). */
    private readonly ceiling: number,
    /** Called for a session that fell too far behind; it must close the session. */
    private readonly onSlow: (session: Session) => void,
  ) {
    this.#checkEveryWrite = ceiling < HIGH_WATER_MARK_BOUND;
  }

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
      if (session.closed || !session.hasPending) continue;
      if ((session.congested || this.#checkEveryWrite) && session.sink.buffered() > this.ceiling) {
        this.dropSlow(session);
        continue;
      }
      this.writeNow(session, now);
    }
  };

  /** Writes a session's pending bytes at once (a replay page, a stream's last words). */
  writeNow(session: Session, now = Date.now()): void {
    const first = session.first;
    if (first === undefined || session.closed) return;
    this.counters.eventsDelivered += session.pendingEvents;
    this.counters.bytesOut += session.pendingBytes;
    session.lastWriteAt = now;
    const events = session.pendingEvents;
    const all = session.all;
    session.clearPending();
    if (all !== undefined) {
      session.congested = !session.sink.write(all, events);
      return;
    }
    ONE[0] = first;
    session.congested = !session.sink.write(ONE, events);
    ONE[0] = NOTHING;
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
      session.congested = !session.sink.write(HEARTBEATS, 0);
      session.lastWriteAt = now;
      this.counters.bytesOut += HEARTBEAT.length;
    }
  }
}
