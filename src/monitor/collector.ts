import type { HttpCounters } from '../http/http-counters.js';
import type { Hub } from '../hub/hub.js';
import { HistoryRing } from './history-ring.js';
import { NAMED_STATS_TOPIC, publishNamedStats } from './named-stats.js';
import { ProcessTop } from './process-top.js';
import { type RatedCounters, RateMeter } from './rates.js';
import type { ClusterMember, StatsSnapshot, SystemSample } from './snapshot.js';
import { STORE_RULE, StoreWarning } from './store-warning.js';
import { SystemStats } from './system-stats.js';
import {
  DEFAULT_THRESHOLDS,
  type ThresholdEvent,
  type ThresholdRule,
  ThresholdWatcher,
} from './thresholds.js';

/** The system topics the collector publishes to. */
export const SYS_TOPICS = {
  stats: '$SYS/stats',
  named: NAMED_STATS_TOPIC,
  warnings: '$SYS/warnings',
} as const;

export interface CollectorOptions {
  /** Time between ticks (ms). 0: no timer, the owner calls `tick()`. */
  intervalMs: number;
  /** Threshold rules; replaces the defaults (load, memory, connections). */
  thresholds: readonly ThresholdRule[];
  /** Snapshots kept in memory for the charts of a page that just loaded (300 = 5 minutes). */
  historySize: number;
  /** Recent warning/recovered events kept for a page that just loaded. */
  warningHistorySize: number;
  /** Length of the top-processes list; 0 turns reading /proc off. */
  topProcesses: number;
  /**
   * Whether snapshots may list the host's processes, asked every tick (default: never);
   * `createMonitor` decides it in one place (process-visibility.ts).
   */
  listsProcesses?: () => boolean;
  /** Busiest topic selectors listed in each snapshot. */
  topTopics: number;
  /**
   * Reads the machine and the process; replace it to inject readings (tests) or other sources.
   * `withProcesses`: someone watches `$SYS/` and the list may be shown, so it is worth reading.
   */
  sample?: (withProcesses: boolean) => SystemSample | Promise<SystemSample>;
  /** Where errors of a tick go. */
  onError?: (error: unknown) => void;
  /** The cluster's hubs (this one first), when the hub shares its store; else undefined. */
  cluster?: () => ClusterMember[] | undefined;
}

export const COLLECTOR_DEFAULTS = {
  intervalMs: 1000,
  thresholds: DEFAULT_THRESHOLDS,
  historySize: 300,
  warningHistorySize: 50,
  topProcesses: 8,
  topTopics: 20,
} as const satisfies CollectorOptions;

/** What /monitor/history.json holds. */
export interface MonitorHistory {
  intervalMs: number;
  snapshots: StatsSnapshot[];
  warnings: ThresholdEvent[];
}

/**
 * The default sampler: OS readings plus, on Linux, the busiest processes (one /proc pass per tick,
 * and none while nobody watches `$SYS/` or the list may not be shown: it only matters live).
 */
export function defaultSampler(topProcesses: number): (withProcesses: boolean) => Promise<SystemSample> {
  const system = new SystemStats();
  const top = topProcesses > 0 ? new ProcessTop(topProcesses) : undefined;
  return async (withProcesses) => {
    const list = withProcesses ? await top?.sample() : undefined;
    const sample: SystemSample = system.read();
    if (list !== undefined) sample.top = list;
    return sample;
  };
}

/** The store's availability for a snapshot (figures of this process only: no request to the store). */
function storeState(hub: Hub): StatsSnapshot['store'] {
  const since = hub.storeHealth.downSince;
  return since === undefined ? { up: true } : { up: false, downSince: since, reason: hub.storeHealth.reason };
}

/**
 * Publishes a snapshot of the hub and the machine to `$SYS/stats` every tick, and threshold
 * crossings to `$SYS/warnings`. A tick reads plain counters and sizes only: nothing per connection.
 */
export class Collector {
  readonly options: CollectorOptions;
  readonly #hub: Hub;
  readonly #http: HttpCounters;
  readonly #sample: (withProcesses: boolean) => SystemSample | Promise<SystemSample>;
  readonly #rates: RateMeter;
  readonly #watcher: ThresholdWatcher;
  readonly #storeWarning: StoreWarning;
  readonly #snapshots: HistoryRing<StatsSnapshot>;
  readonly #warnings: HistoryRing<ThresholdEvent>;
  #timer: NodeJS.Timeout | undefined;
  #ticking = false;
  #stopped = false;
  #historyJson: Buffer | undefined;

  constructor(hub: Hub, http: HttpCounters, options: Partial<CollectorOptions> = {}) {
    this.options = { ...COLLECTOR_DEFAULTS, ...options };
    this.#hub = hub;
    this.#http = http;
    this.#sample = this.options.sample ?? defaultSampler(this.options.topProcesses);
    this.#rates = new RateMeter(this.#rated(), Date.now());
    this.#watcher = new ThresholdWatcher(this.options.thresholds);
    this.#storeWarning = new StoreWarning(hub.storeHealth);
    this.#snapshots = new HistoryRing(Math.max(1, this.options.historySize));
    this.#warnings = new HistoryRing(Math.max(1, this.options.warningHistorySize));
  }

  /** Starts the once-per-interval timer (unref'd: it never keeps the process alive). */
  start(): void {
    if (this.#timer !== undefined || this.#stopped || this.options.intervalMs <= 0) return;
    this.#timer = setInterval(() => {
      // A tick still running (slow /proc) is not stacked on: this one is skipped.
      if (this.#ticking) return;
      this.tick().catch(this.options.onError ?? ((error) => console.error('herald monitor:', error)));
    }, this.options.intervalMs).unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Takes one snapshot, checks the thresholds and publishes; resolves with the snapshot. */
  async tick(): Promise<StatsSnapshot | undefined> {
    this.#ticking = true;
    try {
      const listed = this.options.listsProcesses?.() === true;
      const sample = await this.#sample(listed && this.#watched());
      if (this.#stopped || this.#hub.closing) return undefined;
      const snapshot = this.#snapshot(sample, listed);
      const events = this.#watcher.evaluate(snapshot);
      const store = this.#storeWarning.evaluate(snapshot.t);
      if (store !== undefined) events.push(store);
      snapshot.warnings = this.#watcher.active();
      if (this.#storeWarning.active) snapshot.warnings.push(STORE_RULE);
      await this.#hub.publish({
        topics: SYS_TOPICS.stats,
        type: 'stats',
        data: JSON.stringify(snapshot),
      });
      await publishNamedStats(this.#hub, snapshot);
      this.#snapshots.push(snapshot);
      for (const event of events) {
        this.#warnings.push(event);
        await this.#hub.publish({
          topics: SYS_TOPICS.warnings,
          type: event.kind,
          data: JSON.stringify(event),
        });
      }
      this.#historyJson = undefined;
      return snapshot;
    } finally {
      this.#ticking = false;
    }
  }

  /**
   * Is any stream subscribed to a system topic? Anonymous and authenticated ones alike: with
   * `auth` every watcher holds a token. (Reads the per-selector counts, not connections.)
   */
  #watched(): boolean {
    for (const counts of [this.#hub.topicCounts(), this.#hub.privateTopicCounts()])
      for (const selector of counts.keys()) if (selector.startsWith('$')) return true;
    return false;
  }

  /** Recent snapshots and warnings, for a page's charts to start full. */
  history(): MonitorHistory {
    return {
      intervalMs: this.options.intervalMs,
      snapshots: this.#snapshots.toArray(),
      warnings: this.#warnings.toArray(),
    };
  }

  /** `history()` as JSON bytes, encoded at most once per tick however many pages ask. */
  historyJson(): Buffer {
    this.#historyJson ??= Buffer.from(JSON.stringify(this.history()));
    return this.#historyJson;
  }

  #rated(): RatedCounters {
    return { ...this.#hub.counters, httpRequests: this.#http.requests };
  }

  /** The snapshot of this tick; `listed`: it may carry the sample's process list. */
  #snapshot(sample: SystemSample, listed: boolean): StatsSnapshot {
    const hub = this.#hub;
    const c = hub.counters;
    const now = Date.now();
    const rates = this.#rates.next(this.#rated(), now);
    const size = hub.historySize();
    const total = sample.memory.systemTotal;
    const snapshot: StatsSnapshot = {
      t: now,
      uptimeSeconds: Math.floor((now - c.startedAt) / 1000),
      connections: {
        now: hub.connections,
        max: hub.limits.maxConnections,
        authenticated: hub.authenticatedConnections,
        opened: c.connectionsOpened,
        closed: c.connectionsClosed,
        shed: c.connectionsShed,
        openedPerSecond: rates.connectionsOpened,
        closedPerSecond: rates.connectionsClosed,
      },
      http: { requests: this.#http.requests, perSecond: rates.httpRequests },
      events: {
        published: c.eventsPublished,
        delivered: c.eventsDelivered,
        publishedPerSecond: rates.eventsPublished,
        deliveredPerSecond: rates.eventsDelivered,
      },
      bytesOut: { total: c.bytesOut, perSecond: rates.bytesOut },
      slowConsumerDisconnects: c.slowConsumerDisconnects,
      history: { events: size.events, bytes: size.bytes },
      store: storeState(hub),
      load: sample.load,
      cpus: sample.cpus,
      cpu: sample.cpu,
      memory: {
        ...sample.memory,
        systemUsed: total > 0 ? Math.round(((total - sample.memory.systemFree) / total) * 1000) / 1000 : 0,
      },
      topics: this.#topics(),
      warnings: [],
    };
    if (listed && sample.top !== undefined) snapshot.top = sample.top;
    const cluster = this.options.cluster?.();
    if (cluster !== undefined) snapshot.cluster = cluster;
    return snapshot;
  }

  /** Counts the subscribed selectors and keeps the busiest few (one pass, no sort of them all). */
  #topics(): StatsSnapshot['topics'] {
    const limit = this.options.topTopics;
    const top: { selector: string; subscribers: number }[] = [];
    const counts = this.#hub.topicCounts();
    for (const [selector, subscribers] of counts) {
      if (limit <= 0) break;
      if (top.length === limit && subscribers <= top[top.length - 1]!.subscribers) continue;
      let i = top.length;
      while (i > 0 && top[i - 1]!.subscribers < subscribers) i--;
      top.splice(i, 0, { selector, subscribers });
      if (top.length > limit) top.pop();
    }
    return { count: counts.size, top };
  }
}
