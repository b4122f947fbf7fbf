/** A fixed one-second window of counts per client address (publishes, failed authentications). */
export class ClientBudget {
  #counts = new Map<string, number>();

  /** Counts `count` (one unless told); returns false when the client is over `perSecond` in this window. */
  take(client: string, perSecond: number, count = 1): boolean {
    const n = (this.#counts.get(client) ?? 0) + count;
    this.#counts.set(client, n);
    return n <= perSecond;
  }

  /** Starts a new one-second window (the hub's once-a-second tick). */
  newWindow(): void {
    if (this.#counts.size > 0) this.#counts = new Map();
  }
}
