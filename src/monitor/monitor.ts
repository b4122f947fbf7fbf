import type { HttpCounters } from '../http/http-counters.js';
import type { StaticAsset } from '../http/static-assets.js';
import type { Hub } from '../hub/hub.js';
import { Collector, type CollectorOptions } from './collector.js';
import { NAMED_STATS_TOPIC } from './named-stats.js';
import { monitorPageAssets } from './page-assets.js';
import { listsProcesses } from './process-visibility.js';

/** `createHub({ monitor })`: the stats collector and the page at `/`. Every field has a default. */
export interface MonitorOptions extends Partial<Omit<CollectorOptions, 'listsProcesses'>> {
  /** Serve the monitor page at `/` (default true). With false only the `$SYS/` topics are published. */
  page?: boolean;
  /**
   * Make the figures private (default false: public, figures only, private topics never shown):
   * `$SYS/` topics and `/monitor/history.json` then need a subscriber credential whose
   * `herald.subscribe` lists `$SYS/**`. The page's own files (code, no figures) stay public.
   */
  auth?: boolean;
  /**
   * List the host's busiest processes (names, pids, memory) in the figures? true: always; false:
   * never. Default: only where no stranger sees them: with `auth`, or on a hub whose every
   * `hub.listen` is on loopback (the default host). A hub on `0.0.0.0` or any other address lists
   * none, nor does a hub mounted on a server of your own (`hub.handler`, `hub.fetch`): it cannot
   * know where that server listens. `herald serve --monitor-processes` sets true.
   */
  processes?: boolean;
}

export interface Monitor {
  readonly collector: Collector;
  /** Files for the hub to serve: the page at `/`, its scripts, uPlot and /monitor/history.json. */
  readonly assets: ReadonlyMap<string, StaticAsset>;
  /** Streams at fixed paths: `GET /stats`, the snapshots as named events (`connections`, `requests`, `uptime`, ...). */
  readonly streams: ReadonlyMap<string, readonly string[]>;
  stop(): void;
}

/**
 * Creates and starts the monitor of one hub; `hosts` says where `hub.listen` listens (for the
 * process list, see `processes`).
 */
export function createMonitor(
  hub: Hub,
  http: HttpCounters,
  options: MonitorOptions,
  hosts: () => readonly string[],
): Monitor {
  const { page = true, auth = false, processes, ...collectorOptions } = options;
  const collector = new Collector(hub, http, {
    ...collectorOptions,
    listsProcesses: () => listsProcesses({ processes, auth, hosts: hosts() }),
  });
  const assets = page ? monitorPageAssets(collector) : new Map<string, StaticAsset>();
  collector.start();
  const streams = new Map([['/stats', [NAMED_STATS_TOPIC]]]);
  return { collector, assets, streams, stop: () => collector.stop() };
}
