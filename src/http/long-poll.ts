import type { Hub } from '../hub/hub.js';
import type { Session, Subscription } from '../hub/session.js';
import type { Sink } from '../hub/sink.js';

/**
 * The long-poll fallback, for polyfills and proxies that buffer streams: the same event-stream text,
 * but the answer ends once a burst of events has been sent and `quietMs` passed without more, or
 * after `timeoutMs` in any case; the client comes back with `Last-Event-ID`. One timer for every
 * poll, running only while polls exist.
 */
export class LongPolls {
  readonly #polls = new Map<Session, PollSink>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly hub: Hub,
    private readonly quietMs: number,
    private readonly timeoutMs: number,
  ) {}

  get size(): number {
    return this.#polls.size;
  }

  open(sink: Sink, subscription: Subscription): Session {
    const poll = new PollSink(sink, Date.now() + this.timeoutMs, this.quietMs);
    const session = this.hub.open(poll, subscription, { heartbeat: false });
    this.#polls.set(session, poll);
    this.#timer ??= setInterval(this.#check, Math.max(10, Math.min(50, this.quietMs))).unref();
    return session;
  }

  readonly #check = (): void => {
    const now = Date.now();
    for (const [session, poll] of this.#polls) {
      if (session.closed) this.#polls.delete(session);
      else if (poll.due(now)) {
        this.#polls.delete(session);
        this.hub.closeSession(session, 'end');
      }
    }
    if (this.#polls.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  };
}

/** A sink that notes when the last event went out, so the poll can end after a quiet gap. */
class PollSink implements Sink {
  #quietUntil = 0;

  constructor(
    private readonly inner: Sink,
    private readonly deadline: number,
    private readonly quietMs: number,
  ) {}

  due(now: number): boolean {
    return now >= this.deadline || (this.#quietUntil > 0 && now >= this.#quietUntil);
  }

  write(chunks: readonly Buffer[], events: number): boolean {
    const taken = this.inner.write(chunks, events);
    if (events > 0) this.#quietUntil = Date.now() + this.quietMs;
    return taken;
  }

  buffered(): number {
    return this.inner.buffered();
  }

  end(): void {
    this.inner.end();
  }

  destroy(): void {
    this.inner.destroy();
  }

  drained(): Promise<void> {
    return this.inner.drained();
  }

  finished(): Promise<void> {
    return this.inner.finished();
  }
}
