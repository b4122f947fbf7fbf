/** One session's wait for its share of the budget. */
interface Waiter {
  readonly bytes: number;
  readonly resolve: () => void;
}

/**
 * The bytes of replay the whole hub has in memory at once (pages read and not yet taken by their
 * socket). Shares are granted in the order asked, and a session asks again at the back of the line
 * for each page, so a storm of reconnects is served round-robin: none waits for another's whole
 * replay, none starves.
 */
export class ReplayBudget {
  #free: number;
  readonly #waiting: Waiter[] = [];
  /** Index of the first waiter not yet granted (the line is a list consumed from the front). */
  #head = 0;

  /** The hub's one-second ticks so far, and the next one as a promise every holder shares. */
  #ticks = 0;
  #nextTick!: Promise<void>;
  #tickNow!: () => void;

  constructor(readonly total: number) {
    this.#free = total;
    this.#newTick();
  }

  /** Called by the hub's one-second timer (no timer here, none per session). */
  tick(): void {
    this.#ticks++;
    const now = this.#tickNow;
    this.#newTick();
    now();
  }

  /**
   * Waits until `sent` resolves (the socket took the page its share holds), or `ticks` ticks at
   * most: a stream that stopped reading gives its share back to the others then (its page stays
   * queued for it, within its own ceiling).
   */
  async hold(sent: Promise<void>, ticks: number): Promise<void> {
    let done = false;
    void sent.then(() => {
      done = true;
    });
    const until = this.#ticks + ticks;
    while (!done && this.#ticks < until) await Promise.race([sent, this.#nextTick]);
  }

  #newTick(): void {
    this.#nextTick = new Promise((resolve) => {
      this.#tickNow = resolve;
    });
  }

  /** Bytes granted and not yet given back. */
  get inUse(): number {
    return this.total - this.#free;
  }

  /** Sessions waiting for a share. */
  get waiting(): number {
    return this.#waiting.length - this.#head;
  }

  /** Resolves with the share granted: `bytes`, or the whole budget when it is smaller. */
  async acquire(bytes: number): Promise<number> {
    const share = Math.min(bytes, this.total);
    if (this.waiting === 0 && this.#free >= share) {
      this.#free -= share;
      return share;
    }
    await new Promise<void>((resolve) => this.#waiting.push({ bytes: share, resolve }));
    return share;
  }

  /**
   * Turns a share of `granted` bytes into one of `used` (what a page turned out to hold): the rest
   * goes back, or the excess (encoding overhead, a few bytes per event) is taken even past the total.
   */
  resize(granted: number, used: number): number {
    this.#free += granted - used;
    this.#grant();
    return used;
  }

  release(bytes: number): void {
    this.#free += bytes;
    this.#grant();
  }

  #grant(): void {
    while (this.#head < this.#waiting.length) {
      const next = this.#waiting[this.#head]!;
      if (this.#free < next.bytes) break;
      this.#free -= next.bytes;
      this.#head++;
      next.resolve();
    }
    if (this.#head === this.#waiting.length) {
      this.#waiting.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
