/** Every bound the hub enforces, in one place, with its default. */
export interface Limits {
  /** Open event streams at once; past it, new subscribers are shed. */
  maxConnections: number;
  /** Open event streams from one client address. */
  maxConnectionsPerClient: number;
  /** `topic=` parameters in one subscription. */
  maxTopicsPerSubscription: number;
  /** Topics one event may be published to. */
  maxTopicsPerEvent: number;
  /** Bytes of `data` in one event (UTF-8). */
  maxEventBytes: number;
  /** Bytes of one publish request body. */
  maxPublishBodyBytes: number;
  /** Publish requests per second from one client address. */
  maxPublishesPerSecondPerClient: number;
  /** Unsent bytes a subscriber may fall behind before it is disconnected (it resumes from history). */
  maxUnsentBytesPerSession: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxConnections: 50_000,
  maxConnectionsPerClient: 1_000,
  maxTopicsPerSubscription: 32,
  maxTopicsPerEvent: 16,
  maxEventBytes: 256 * 1024,
  maxPublishBodyBytes: 1024 * 1024,
  maxPublishesPerSecondPerClient: 2_000,
  maxUnsentBytesPerSession: 1024 * 1024,
};

/** Counts per client address: open streams, and publishes in the current one-second window. */
export class ClientCounters {
  readonly #streams = new Map<string, number>();
  #publishes = new Map<string, number>();

  streams(client: string): number {
    return this.#streams.get(client) ?? 0;
  }

  openStream(client: string): void {
    this.#streams.set(client, this.streams(client) + 1);
  }

  closeStream(client: string): void {
    const n = this.streams(client) - 1;
    if (n <= 0) this.#streams.delete(client);
    else this.#streams.set(client, n);
  }

  /** Counts one publish; returns false when the client is over `perSecond` in this window. */
  takePublish(client: string, perSecond: number): boolean {
    const n = (this.#publishes.get(client) ?? 0) + 1;
    this.#publishes.set(client, n);
    return n <= perSecond;
  }

  /** Starts a new one-second window (called by the hub's once-a-second tick). */
  newWindow(): void {
    if (this.#publishes.size > 0) this.#publishes = new Map();
  }
}
