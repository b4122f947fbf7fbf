import type { HttpCounters } from '../http/http-counters.js';
import type { StaticAsset } from '../http/static-assets.js';
import type { Hub } from '../hub/hub.js';
import { Collector, type CollectorOptions } from './collector.js';
import { NAMED_STATS_TOPIC } from './named-stats.js';
import { monitorPageAssets } from './page-assets.js';

/** `createHub({ monitor })`: the stats collector and the page at `/`. Every field has a default. */
export interface MonitorOptions extends Partial<CollectorOptions> {
  /** Serve the monitor page at `/` (default true). With false only the `$SYS/` topics are published. */
  page?: boolean;
  /**
   * Make the figures private (default false: public, figures only, private topics never shown):
   * `$SYS/` topics and `/monitor/history.json` then need a subscriber credential whose
   * `herald.subscribe` lists `$SYS/**`. The page's own files (code, no figures) stay public.
   */
  auth?: boolean;
}

export interface Monitor {
  readonly collector: Collector;
  /** Files for the hub to serve: the page at `/`, its scripts, uPlot and /monitor/history.json. */
  readonly assets: ReadonlyMap<string, StaticAsset>;
  /** Streams at fixed paths: `GET /stats`, the snapshots as named events (`connections`, `requests`, `uptime`, ...). */
  readonly streams: ReadonlyMap<string, readonly string[]>;
  stop(): void;
}

/** Creates and starts the monitor of one hub. */
export function createMonitor(hub: Hub, http: HttpCounters, options: MonitorOptions = {}): Monitor {
  const { page = true, auth: _auth, ...collectorOptions } = options;
  const collector = new Collector(hub, http, collectorOptions);
  const assets = page ? monitorPageAssets(collector) : new Map<string, StaticAsset>();
  collector.start();
  const streams = new Map([['/stats', [NAMED_STATS_TOPIC]]]);
  return { collector, assets, streams, stop: () => collector.stop() };
}
