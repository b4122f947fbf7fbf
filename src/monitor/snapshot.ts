/** One process in the "top by CPU" list (Linux only). */
export interface TopProcess {
  pid: number;
  name: string;
  /** CPU used since the previous tick, in percent of one core. */
  cpu: number;
  /** Resident memory in bytes. */
  rss: number;
}

/** What the collector reads from the machine and the process each tick (injectable for tests). */
export interface SystemSample {
  /** 1, 5 and 15 minute load averages (zeros where the OS has none). */
  load: [number, number, number];
  cpus: number;
  /** CPU use in percent: `process` of one core, `system` of all cores together. */
  cpu: { process: number; system: number };
  /** Bytes. */
  memory: { rss: number; heapUsed: number; systemTotal: number; systemFree: number };
  /** Busiest processes; absent where /proc is not available (never faked). */
  top?: TopProcess[];
}

/** The JSON published on `$SYS/stats` (type `stats`) about once a second. */
export interface StatsSnapshot {
  /** Epoch milliseconds of this tick. */
  t: number;
  uptimeSeconds: number;
  connections: {
    now: number;
    /** The hub's maxConnections limit. */
    max: number;
    /** Streams subscribed with a credential: counted here, never listed under `topics`. */
    authenticated: number;
    opened: number;
    closed: number;
    shed: number;
    openedPerSecond: number;
    closedPerSecond: number;
  };
  http: { requests: number; perSecond: number };
  events: { published: number; delivered: number; publishedPerSecond: number; deliveredPerSecond: number };
  bytesOut: { total: number; perSecond: number };
  slowConsumerDisconnects: number;
  history: { events: number; bytes: number };
  /** Whether the event store answers; while it does not, since when (epoch ms) and why. */
  store: { up: boolean; downSince?: number; reason?: string };
  load: [number, number, number];
  cpus: number;
  cpu: { process: number; system: number };
  memory: {
    rss: number;
    heapUsed: number;
    systemTotal: number;
    systemFree: number;
    /** Fraction (0..1) of system memory in use. */
    systemUsed: number;
  };
  top?: TopProcess[];
  /**
   * Selectors of anonymous subscriptions now: how many, and the busiest with their counts. Those of
   * subscriptions made with a credential are private and never appear (see `connections.authenticated`).
   */
  topics: { count: number; top: { selector: string; subscribers: number }[] };
  /** Names of the threshold rules at warning level now. */
  warnings: string[];
  /**
   * Every live hub of the cluster (hubs sharing a Redis stream), this one first, from their
   * heartbeats; absent for a hub alone on its store.
   */
  cluster?: ClusterMember[];
}

/** One hub of the cluster in a snapshot. */
export interface ClusterMember {
  id: string;
  address: string;
  connections: number;
  eventsPerSecond: number;
  /** Epoch milliseconds of its last heartbeat (now, for this hub). */
  lastSeen: number;
  /** This hub. */
  self: boolean;
}
