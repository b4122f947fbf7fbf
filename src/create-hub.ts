import type { Server } from 'node:http';
import { JwtAuthorizer } from './auth/jwt.js';
import { CorsPolicy } from './http/cors.js';
import { type FetchHandler, fetchHandler } from './http/fetch-adapter.js';
import { createMetrics } from './http/metrics.js';
import { type NodeHandler, nodeHandler } from './http/node-adapter.js';
import { createRouter } from './http/router.js';
import { createHttpServer, DEFAULT_SERVER_TIMEOUTS, listen, type ServerTimeouts } from './http/server.js';
import { asset, clientBundleAssets, type StaticAsset } from './http/static-assets.js';
import { Hub, type PublishInput } from './hub/hub.js';
import { DEFAULT_LIMITS, type Limits } from './hub/limits.js';
import type { EventLog } from './log/event-log.js';
import { MEMORY_LOG_DEFAULTS, MemoryLog } from './log/memory.js';
import { createMonitor, type MonitorOptions } from './monitor/monitor.js';

/** Options of `createHub`; every one has a default (see `HUB_DEFAULTS`). */
export interface HubOptions {
  /** The event log. Default: an in-memory log bounded by `history`. */
  log?: EventLog;
  /** Bounds of the default in-memory history. */
  history?: { maxEvents?: number; maxBytes?: number };
  /** HS256 key (at least 32 bytes) for publisher and subscriber JWTs. Without it, HTTP publishing is off. */
  jwtKey?: string | Uint8Array;
  /** Origins allowed by CORS (`*` for any). Default: none (CORS closed). */
  corsOrigins?: string[];
  /** Bounds on connections, topics, sizes and rates. */
  limits?: Partial<Limits>;
  /** `retry:` sent to every new subscriber (ms). */
  retryMs?: number;
  /** Quiet streams get a comment line this often (ms). */
  heartbeatMs?: number;
  /** Base of the jittered reconnect delay when shedding load or shutting down (ms). */
  shedRetryMs?: number;
  /** Long-poll: end the response this long after the last event of a burst (ms). */
  pollQuietMs?: number;
  /** Long-poll: end the response after this long in any case (ms). */
  pollTimeoutMs?: number;
  /** Timeouts of the server made by `hub.listen` (a server of your own keeps its own). */
  serverTimeouts?: Partial<ServerTimeouts>;
  /** Extra files served from memory, by path (the monitor page uses this). */
  assets?: ReadonlyMap<string, StaticAsset>;
  /** Where unexpected errors go. Default: console.error. */
  onError?: (error: unknown) => void;
  /** The live monitor: `$SYS/` stats topics and the page at `/`. Default: on (`true`). */
  monitor?: boolean | MonitorOptions;
}

export const HUB_DEFAULTS = {
  history: MEMORY_LOG_DEFAULTS,
  limits: DEFAULT_LIMITS,
  retryMs: 3_000,
  heartbeatMs: 15_000,
  shedRetryMs: 5_000,
  pollQuietMs: 250,
  pollTimeoutMs: 25_000,
  serverTimeouts: DEFAULT_SERVER_TIMEOUTS,
} as const;

/** An embedded Herald hub. */
export interface HeraldHub {
  /** Publishes an event; resolves with its id once the log has stored it. */
  publish(input: PublishInput): Promise<{ id: string }>;
  /** The whole HTTP API as a node:http request listener (works as Express middleware too). */
  readonly handler: NodeHandler;
  /** The whole HTTP API for Fetch-API servers. */
  readonly fetch: FetchHandler;
  /** Starts a node:http server with stream-friendly timeouts; resolves once it listens. */
  listen(port: number, host?: string): Promise<Server>;
  /** Closes every stream with a jittered `retry:`, stops servers made by `listen`, closes the log. */
  close(): Promise<void>;
  /** The hub core: counters, connections, topics (for monitoring and advanced use). */
  readonly core: Hub;
}

const DEFAULT_PAGE = `<!doctype html><meta charset="utf-8"><title>Herald</title>
<h1>Herald</h1><p>A Server-Sent Events hub. Subscribe with <code>GET /events?topic=...</code>,
publish with <code>POST /publish</code>. Health: <a href="/healthz">/healthz</a>, metrics: <a href="/metrics">/metrics</a>.</p>`;

export function createHub(options: HubOptions = {}): HeraldHub {
  const log =
    options.log ??
    new MemoryLog({
      maxEvents: options.history?.maxEvents ?? MEMORY_LOG_DEFAULTS.maxEvents,
      maxBytes: options.history?.maxBytes ?? MEMORY_LOG_DEFAULTS.maxBytes,
    });
  const core = new Hub({
    log,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    retryMs: options.retryMs ?? HUB_DEFAULTS.retryMs,
    heartbeatMs: options.heartbeatMs ?? HUB_DEFAULTS.heartbeatMs,
    shedRetryMs: options.shedRetryMs ?? HUB_DEFAULTS.shedRetryMs,
    pollQuietMs: options.pollQuietMs ?? HUB_DEFAULTS.pollQuietMs,
    pollTimeoutMs: options.pollTimeoutMs ?? HUB_DEFAULTS.pollTimeoutMs,
  });
  const assets = new Map<string, StaticAsset>([['/', asset('text/html; charset=utf-8', DEFAULT_PAGE)]]);
  for (const [path, file] of clientBundleAssets()) assets.set(path, file);
  const monitor =
    options.monitor === false
      ? undefined
      : createMonitor(core, {
          onError: options.onError,
          ...(options.monitor === true || options.monitor === undefined ? {} : options.monitor),
        });
  for (const [path, file] of monitor?.assets ?? []) assets.set(path, file);
  for (const [path, file] of options.assets ?? []) assets.set(path, file);
  const router = createRouter(core, {
    authorizer: options.jwtKey === undefined ? undefined : new JwtAuthorizer(options.jwtKey),
    cors: new CorsPolicy(options.corsOrigins ?? []),
    assets,
    metrics: createMetrics(core),
  });
  const onError = options.onError ?? ((error: unknown) => console.error('herald:', error));
  const handler = nodeHandler(router, onError);
  const servers: Server[] = [];
  const timeouts = { ...DEFAULT_SERVER_TIMEOUTS, ...options.serverTimeouts };

  return {
    publish: (input) => core.publish(input),
    handler,
    fetch: fetchHandler(router),
    core,
    async listen(port, host = '127.0.0.1') {
      const server = createHttpServer(handler, timeouts);
      await listen(server, port, host);
      servers.push(server);
      return server;
    },
    async close() {
      monitor?.stop();
      for (const server of servers) server.close();
      await core.close();
      for (const server of servers) server.closeIdleConnections();
    },
  };
}
