import type { EventLog, StoredEvent } from '../log/event-log.js';
import { gapEvent, resumeEvent, retryBlock } from './control-events.js';
import type { Delivery } from './delivery.js';
import type { ReceiveRule } from './receive-rule.js';
import type { Session } from './session.js';
import type { WireCache } from './wire-cache.js';

const REPLAY_PAGE = 1000;
const GAP_REASON = 'the resume point is older than the history or unknown';

/**
 * A subscriber's start: its first bytes, the replay of what it missed, then live delivery with no
 * gap and no duplicate. The session is registered (and so holds live events) before the replay is
 * read; held events newer than the replay's end are released after it.
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
    // The clock is read once per page, as fan-out reads it once per event.
    let now = 0;
    const visible = (event: StoredEvent) => this.rule.visible(session, event, now);
    let cursor = lastEventId;
    let lastSent: string | undefined;
    for (let gapSent = false; ; ) {
      now = Date.now();
      const result = await this.log.readAfter(cursor, visible, REPLAY_PAGE);
      if (session.closed) return cursor;
      // A later page may report one too: retention overtook a long replay.
      if (result.gap && !gapSent) {
        this.delivery.enqueue(session, gapEvent(lastEventId, GAP_REASON), false);
        gapSent = true;
      }
      for (const event of result.events) {
        this.delivery.enqueue(session, this.wires.wireOf(event), true);
        lastSent = event.id;
      }
      cursor = result.cursor;
      if (!result.more) break;
      // Long replay: send this page and wait for the socket to drain before reading the next.
      this.delivery.writeNow(session);
      if (session.sink.buffered() > 0) await session.sink.drained();
      if (session.closed) return cursor;
    }
    // Move the client's resume point past events it may not see, and past a gap (unless it is there).
    if (lastSent !== cursor && cursor !== lastEventId)
      this.delivery.enqueue(session, resumeEvent(cursor), false);
    return cursor;
  }
}
