import type { EventLog } from '../log/event-log.js';
import { gapEvent, resumeEvent, retryBlock } from './control-events.js';
import type { Delivery } from './delivery.js';
import type { ReceiveRule } from './receive-rule.js';
import type { ReplayBudget } from './replay-budget.js';
import type { Session } from './session.js';
import type { WireCache } from './wire-cache.js';

const REPLAY_PAGE = 1000;
/**
 * Bytes of one replay page at most: small enough that a storm of reconnects shares the budget
 * among hundreds of sessions at once, large enough that a page is one big write.
 */
const REPLAY_PAGE_BYTES = 256 * 1024;
/** Ticks (seconds) a replay page may take to leave before its stream counts as stalled. */
const STALLED_TICKS = 2;
const GAP_REASON = 'the resume point is older than the history or unknown';

/** Where one subscriber's replay is. */
interface Replay {
  readonly lastEventId: string;
  /** The last id examined: the next page starts after it. */
  cursor: string;
  /** The last event sent. */
  lastSent: string | undefined;
  gapSent: boolean;
  /** The log has more after the cursor. */
  more: boolean;
}

/**
 * A subscriber's start: its first bytes, the replay of what it missed, then live delivery with no
 * gap and no duplicate. The session is registered (and so holds live events) before the replay is
 * read; held events newer than the replay's end are released after it.
 *
 * The replay is paced: a page is read only once the socket has taken the last one and the hub's
 * replay budget grants its share, which it keeps until the socket has taken that page too (or,
 * should the stream stop reading, for two seconds: then its page waits within its own ceiling). So a
 * storm of reconnects has at most the budget in memory, whatever the backlog, and a replaying
 * session never goes past its ceiling for bytes the hub queued. The live events it holds meanwhile
 * are bounded (`Delivery.holdLimit`): past that they are dropped, and the replay reads them from the
 * log before it goes live.
 */
export class Handover {
  /**
   * The last fresh subscriber's resume point: those opening together share the string a session
   * keeps as `liveAfter` until an event passes it (an idle stream keeps it for its whole life).
   */
  #lastHead = '';

  constructor(
    private readonly log: EventLog,
    private readonly rule: ReceiveRule,
    private readonly wires: WireCache,
    private readonly delivery: Delivery,
    private readonly budget: ReplayBudget,
    private readonly retryMs: number,
  ) {}

  async start(session: Session, lastEventId: string | undefined): Promise<void> {
    let cursor: string;
    if (lastEventId === undefined) {
      // A fresh subscriber's resume point is now, set by a herald-resume event (no onmessage).
      cursor = await this.log.head();
      if (cursor === this.#lastHead) cursor = this.#lastHead;
      else this.#lastHead = cursor;
      if (session.closed) return;
      this.delivery.enqueue(session, resumeEvent(cursor, this.retryMs), false);
    } else {
      this.delivery.enqueue(session, retryBlock(this.retryMs), false);
      cursor = await this.#replay(session, lastEventId);
      if (session.closed) return;
    }
    const held = session.goLive();
    // Held events passed the rule when they arrived; none of them goes out after the expiry.
    const expired = session.expiredBy(Date.now());
    let passed = false;
    for (const event of expired ? [] : held) {
      if (event.id === undefined || this.log.compareIds(event.id, cursor) > 0) {
        this.delivery.enqueue(session, event.wire, true);
        if (event.id !== undefined) passed = true;
      }
    }
    // The tail may still be behind what the replay read (Redis): fan-out skips up to the cursor.
    if (!passed) session.replayedUpTo(cursor);
    this.delivery.markDirty(session);
  }

  /** Sends what the subscriber missed after `lastEventId`; returns the id the stream has reached. */
  async #replay(session: Session, lastEventId: string): Promise<string> {
    const replay: Replay = {
      lastEventId,
      cursor: lastEventId,
      lastSent: undefined,
      gapSent: false,
      more: true,
    };
    while (replay.more || session.heldDropped) {
      await this.#drained(session);
      if (session.closed) return replay.cursor;
      // A page within the ceiling: a stream that stops reading keeps no more queued than that.
      let share = await this.budget.acquire(Math.min(REPLAY_PAGE_BYTES, this.delivery.ceiling));
      try {
        if (session.closed) return replay.cursor;
        share = this.budget.resize(share, await this.#page(session, replay, share));
        if (session.closed) return replay.cursor;
        this.delivery.writeNow(session);
        // The page is in memory until the socket takes it: its share is held till then (or until
        // the stream is found stalled).
        if (session.sink.buffered() > 0) await this.budget.hold(session.sink.drained(), STALLED_TICKS);
      } finally {
        this.budget.release(share);
      }
    }
    const cursor = replay.cursor;
    // Move the client's resume point past events it may not see, and past a gap (unless it is there).
    if (replay.lastSent !== cursor && cursor !== lastEventId)
      this.delivery.enqueue(session, resumeEvent(cursor), false);
    return cursor;
  }

  /**
   * Reads the page after the cursor (at most `maxBytes` of data) and queues its encodings; returns
   * their bytes. The events read are let go here, before the wait for the socket: only the
   * encodings, shared with every other replay of them, stay in memory meanwhile.
   */
  async #page(session: Session, replay: Replay, maxBytes: number): Promise<number> {
    // The clock is read once per page, as fan-out reads it once per event.
    const now = Date.now();
    // Held events dropped before this read are in the log past the cursor: this read gets them.
    session.keepHeld();
    const result = await this.log.readAfter(
      replay.cursor,
      (event) => this.rule.visible(session, event, now),
      REPLAY_PAGE,
      maxBytes,
    );
    if (session.closed) return 0;
    // A later page may report one too: retention overtook a long replay.
    if (result.gap && !replay.gapSent) {
      this.delivery.enqueue(session, gapEvent(replay.lastEventId, GAP_REASON), false);
      replay.gapSent = true;
    }
    let bytes = 0;
    for (const event of result.events) {
      const wire = this.wires.wireOf(event);
      this.delivery.enqueue(session, wire, true);
      bytes += wire.length;
      replay.lastSent = event.id;
    }
    replay.cursor = result.cursor;
    replay.more = result.more;
    return bytes;
  }

  async #drained(session: Session): Promise<void> {
    if (session.sink.buffered() > 0 && !session.closed) await session.sink.drained();
  }
}
