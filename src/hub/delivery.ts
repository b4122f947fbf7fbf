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
  /** The other turn's list, emptied: reused, so the list never regrows from nothing each turn. */
  #spare: Session[] = [];
  #scheduled = false;
  #flushing = false;
  /** Heartbeat sweeps so far; a session's last write is stamped with it. */
  #beat = 0;
  /**
   * The turn's first event, as a one-element array: most sessions' only chunk in a turn, written
   * from here (see `Session.onCommon`) until the flush.
   */
  #common: readonly Buffer[] | undefined;
  readonly #checkEveryWrite: boolean;

  constructor(
    private readonly counters: HubCounters,
    /** Unsent bytes past which a session is cut (it resumes from history). */
    readonly ceiling: number,
    /** Called for a session that fell too far behind; it must close the session. */
    private readonly onSlow: (session: Session) => void,
  ) {
    this.#checkEveryWrite = ceiling < HIGH_WATER_MARK_BOUND;
  }

  /** Queues a chunk for the session, after what it already has, and the session for this turn's flush. */
  enqueue(session: Session, chunk: Buffer, isEvent: boolean): void {
    if (isEvent && !this.#flushing && !session.hasPending) {
      this.#common ??= [chunk];
      if (this.#common[0] === chunk) {
        session.queueCommon(chunk.length);
        this.markDirty(session);
        return;
      }
    }
    // A second chunk this turn: the common event goes first, now as the session's own.
    session.push(chunk, isEvent, this.#common?.[0]);
    this.markDirty(session);
  }

  /** Queues the session for this turn's flush. */
  markDirty(session: Session): void {
    if (!session.markDirty()) return;
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
    // (A flush from inside a flush gets a fresh list: the spare is then the one being walked.)
    this.#dirty = this.#spare !== dirty ? this.#spare : [];
    const flushing = this.#flushing;
    this.#flushing = true;
    for (const session of dirty) {
      session.clearDirty();
      if (session.closed || !session.hasPending) continue;
      if ((session.congested || this.#checkEveryWrite) && session.sink.buffered() > this.ceiling) {
        this.dropSlow(session);
        continue;
      }
      this.writeNow(session);
    }
    this.#flushing = flushing;
    if (!flushing) this.#common = undefined;
    dirty.length = 0;
    this.#spare = dirty;
  };

  /** Writes a session's pending bytes at once (a replay page, a stream's last words). */
  writeNow(session: Session): void {
    if (!session.hasPending || session.closed) return;
    this.counters.eventsDelivered += session.pendingEvents;
    this.counters.bytesOut += session.pendingBytes;
    const events = session.pendingEvents;
    const first = session.first;
    const all = session.all;
    const common = session.onCommon;
    session.clearPending();
    if (common) {
      session.wrote(session.sink.write(this.#common!, events), this.#beat);
      return;
    }
    if (all !== undefined) {
      session.wrote(session.sink.write(all, events), this.#beat);
      return;
    }
    ONE[0] = first!;
    session.wrote(session.sink.write(ONE, events), this.#beat);
    ONE[0] = NOTHING;
  }

  /**
   * Bytes of live events a replaying session may hold: half its ceiling, so that once its replay has
   * drained, what it held goes out without taking it past the ceiling.
   */
  get holdLimit(): number {
    return this.ceiling / 2;
  }

  dropSlow(session: Session): void {
    this.counters.slowConsumerDisconnects++;
    this.onSlow(session);
  }

  /** The current heartbeat sweep (a new session's stamp). */
  get beat(): number {
    return this.#beat;
  }

  /**
   * One heartbeat sweep: a comment line to every live stream with no write in the last
   * `quietBeats` sweeps (the hub runs one every half heartbeat interval or so).
   */
  heartbeat(sessions: Iterable<Session>, quietBeats: number): void {
    const beat = ++this.#beat;
    for (const session of sessions) {
      if (!session.live || !session.heartbeat || beat - session.lastBeat < quietBeats) continue;
      session.wrote(session.sink.write(HEARTBEATS, 0), beat);
      this.counters.bytesOut += HEARTBEAT.length;
    }
  }
}
