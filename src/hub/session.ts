import type { TopicSelector } from './topic-selector.js';
import type { Outgoing } from './wire-cache.js';

/** Where a session's bytes go: a node:http response, a Fetch ReadableStream, a test double. */
export interface Sink {
  /** Writes everything due in this tick; several chunks go out as one write. */
  write(chunks: readonly Buffer[]): void;
  /** Bytes accepted but not yet sent to the network. */
  buffered(): number;
  /** Ends the response cleanly. */
  end(): void;
  /** Cuts the connection (slow consumer). */
  destroy(): void;
  /** Resolves when buffered bytes have been sent, or the connection is gone. */
  drained(): Promise<void>;
}

export type SessionState = 'replaying' | 'live' | 'closed';

/** Long-poll bookkeeping: the response ends after a quiet gap following a burst, or at a deadline. */
export interface PollState {
  /** Time (ms) at which the response ends regardless. */
  readonly deadline: number;
  /** Time (ms) at which the response ends if nothing more was written; 0 while nothing was sent. */
  quietUntil: number;
}

/**
 * One subscriber's stream. Kept small: no timers, no closures, no copies of history. The hub
 * queues the wire bytes of due events in `pending` and flushes all sessions once per tick.
 */
export class Session {
  state: SessionState = 'replaying';
  /** Wire chunks due in this tick. */
  pending: Buffer[] = [];
  pendingBytes = 0;
  /** How many of the pending chunks are events (the rest are control lines). */
  pendingEvents = 0;
  /** Queued in the hub's dirty list for this tick. */
  dirty = false;
  /** Live events that arrived while the replay was being read; delivered after it, without duplicates. */
  held: Outgoing[] | undefined = [];
  heldBytes = 0;
  /** Last fan-out round that visited this session, so an event with several topics is delivered once. */
  round = 0;
  lastWriteAt: number;

  constructor(
    readonly sink: Sink,
    readonly selectors: readonly TopicSelector[],
    /** Selectors of private topics this subscriber is authorized for (from its token). */
    readonly privateSelectors: readonly TopicSelector[],
    readonly client: string,
    readonly poll: PollState | undefined,
    now: number,
  ) {
    this.lastWriteAt = now;
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  enqueue(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
  }
}
