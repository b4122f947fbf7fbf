/** A fixed one-second window of counts per client address (publishes, failed authentications). */
export class ClientBudget {
  #counts = new Map<string, number>();

  /** Counts one; returns false when the client is over `perSecond` in this window. */
  take(client: string, perSecond: number): boolean {
    const n = (this.#counts.get(client) ?? 0) + 1;
    this.#counts.set(client, n);
    return n <= perSecond;
  }

  /** Starts a new one-second window (the hub's once-a-second tick). */
  newWindow(): void {
    if (this.#counts.size > 0) this.#counts = new Map();
  }
}
