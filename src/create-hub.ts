import type { Server } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import type { Duplex } from 'node:stream';
import { KeySpecError } from './auth/create-authorizer.js';
import { hubKeys, type KeyOption } from './auth/hub-keys.js';
import { acceptTickets, TicketBook, type TicketOptions } from './auth/tickets.js';
import { clientErrorHandler } from './http/client-errors.js';
import { DEFAULT_AUTH_COOKIE, isCookieName } from './http/cookies.js';
import { CorsPolicy } from './http/cors.js';
import { type FetchHandler, fetchHandler } from './http/fetch-adapter.js';
import { CONSOLE_LOGGER, type HubLogger, newHttpCounters } from './http/http-counters.js';
import { LongPolls } from './http/long-poll.js';
import { createMetrics } from './http/metrics.js';
import { type NodeHandler, nodeHandler } from './http/node-adapter.js';
import { createRouter, ENDPOINTS } from './http/router.js';
import {
  createHttpServer,
  createHttpsServer,
  DEFAULT_SERVER_TIMEOUTS,
  listen,
  type OwnServer,
  type ServerTimeouts,
  type TlsFiles,
} from './http/server.js';
import { asset, clientBundleAssets, type StaticAsset } from './http/static-assets.js';
import { TrustedProxies } from './http/trusted-proxies.js';
import type { BatchOptions, PublishedBatch } from './hub/event-batch.js';
import type { Published, PublishInput } from './hub/event-rules.js';
import type { HistoryAnswer, HistoryRequest } from './hub/history.js';
import { Hub } from './hub/hub.js';
import { DEFAULT_LIMITS, type Limits } from './hub/limits.js';
import { DEFAULT_PRESENCE_MS, type HubRecord, Presence } from './hub/presence.js';
import {
  checkRevocation,
  DEFAULT_REVOCATION_LIMITS,
  type Revocation,
  type RevocationLimits,
} from './hub/revocations.js';
import { parseSelector, TopicError, type TopicSelector } from './hub/topic-selector.js';
import type { EventLog, Retention } from './log/event-log.js';
import { MemoryLog } from './log/memory.js';
import { openStore, parseStoreUrl } from './log/open-store.js';
import { DEFAULT_RETENTION } from './log/retention.js';
import { createMonitor, type Monitor, type MonitorOptions } from './monitor/monitor.js';

/** Options of `createHub`; every one has a default (see `HUB_DEFAULTS`). */
export interface HubOptions {
  /**
   * Where events are kept: a store URL (`memory`, `sqlite:PATH`, `redis://host:port[/db][?stream=NAME]`,
   * see STORE_URL_FORMS) or a ready EventLog. Default `memory`. `createHub` is synchronous and
   * takes only `memory` or an EventLog; `await openHub(options)` opens any URL first.
   */
  store?: string | EventLog;
  /** Retention of a store the hub opens from a URL (an EventLog passed in keeps its own). */
  history?: { maxEvents?: number; maxBytes?: number; maxAgeMs?: number };
  /**
   * HS256 key (at least 32 bytes) for publisher and subscriber JWTs: the shorthand for
   * `{ secret: jwtKey }` on both sides; `publisherKey` and `subscriberKey` each win for their side.
   * With no key for a side, HTTP publishing is off / subscriber tokens are refused.
   */
  jwtKey?: string | Uint8Array;
  /**
   * How publishers' tokens are verified: a key spec (HS256 secret, PEM public key or file, JWKS,
   * JWKS file or URL, with optional `issuer` / `audience`), or an Authorizer of your own. Key files
   * are read in the background: `hub.ready()` (awaited by `hub.listen`) says when they are loaded.
   */
  publisherKey?: KeyOption;
  /** How subscribers' tokens are verified (as `publisherKey`). */
  subscriberKey?: KeyOption;
  /** The cookie a subscriber token is read from on `/events` and `POST /tickets`. Default `herald_auth`. */
  authCookie?: string;
  /** Take a subscriber token in the `access_token` query parameter? Default true. */
  queryToken?: boolean;
  /** Tickets from `POST /tickets`: `lifetimeSeconds` (30) and `maxOutstanding` (100,000). */
  tickets?: Omit<TicketOptions, 'now'>;
  /** Origins allowed by CORS (`*` for any, without credentials). Default: none (CORS closed). */
  corsOrigins?: string[];
  /** Request headers preflights allow besides Authorization, Content-Type, Last-Event-ID, Cache-Control, X-Requested-With, Idempotency-Key. */
  corsHeaders?: string[];
  /**
   * Proxies (addresses, CIDR ranges, `loopback`, `private`, `linklocal`) whose `Forwarded` /
   * `X-Forwarded-For` headers name the client, for per-client limits. Default: none (the peer is
   * the client).
   */
  trustProxy?: string | readonly string[];
  /**
   * Private namespaces: every event with a topic matched by one of these selectors is private
   * (reaches only subscribers whose token covers the topic), whatever its publisher said, live and
   * in replay, events stored before the option was set included. Default: none.
   */
  privateTopics?: readonly string[];
  /** Bounds on connections, topics, sizes and rates. */
  limits?: Partial<Limits>;
  /**
   * Revocations (`hub.revoke`, `POST /revocations`) are kept `keepMs` (default 24 h: set it to at
   * least the longest lifetime of the tokens you issue) and at most `max` of them (100,000).
   */
  revocations?: Partial<RevocationLimits>;
  /** `retry:` sent to every new subscriber (ms). */
  retryMs?: number;
  /**
   * With a shared store (Redis), how often this hub writes its subscriber counts and figures to it
   * (ms); a hub not heard of for three of these drops out of counts and the monitor's cluster view.
   */
  presenceMs?: number;
  /** Quiet streams get a comment line this often (ms). */
  heartbeatMs?: number;
  /** Base of the jittered reconnect delay when shedding load or shutting down (ms). */
  shedRetryMs?: number;
  /** On close, how long streams get to send what is queued for them before they are cut (ms). */
  drainTimeoutMs?: number;
  /** Long-poll: end the response this long after the last event of a burst (ms). */
  pollQuietMs?: number;
  /** Long-poll: end the response after this long in any case (ms). */
  pollTimeoutMs?: number;
  /** Timeouts of the server made by `hub.listen` (a server of your own keeps its own). */
  serverTimeouts?: Partial<ServerTimeouts>;
  /** Extra files served from memory, by path (the monitor page uses this). */
  assets?: ReadonlyMap<string, StaticAsset>;
  /**
   * node:http streams write ready-framed chunks straight to the socket once their head is out
   * (default true); false sends every write through `ServerResponse.write` instead.
   */
  directWrites?: boolean;
  /** Where the hub reports (pino-compatible): unexpected errors at error, client mishaps at debug. */
  logger?: HubLogger;
  /** Where unexpected errors go, when no `logger` is given. Default: console.error. */
  onError?: (error: unknown) => void;
  /** The live monitor: `$SYS/` stats topics and the page at `/`. Default: on (`true`). */
  monitor?: boolean | MonitorOptions;
}

export const HUB_DEFAULTS = {
  history: DEFAULT_RETENTION,
  limits: DEFAULT_LIMITS,
  retryMs: 3_000,
  heartbeatMs: 15_000,
  shedRetryMs: 5_000,
  drainTimeoutMs: 5_000,
  pollQuietMs: 250,
  pollTimeoutMs: 25_000,
  presenceMs: DEFAULT_PRESENCE_MS,
  serverTimeouts: DEFAULT_SERVER_TIMEOUTS,
} as const;

/** Read-only figures of a running hub. */
export interface HubStats {
  /** Open streams. */
  readonly connections: number;
  /** Open streams subscribed with a credential. */
  readonly authenticatedConnections: number;
  readonly eventsPublished: number;
  readonly eventsDelivered: number;
  readonly slowConsumerDisconnects: number;
  /** Retained history. */
  readonly history: { readonly events: number; readonly bytes: number };
}

/** How `hub.listen` serves. */
export interface ListenOptions {
  /** HTTPS with HTTP/2 (and HTTP/1.1 for clients without it) on the same port. */
  tls?: TlsFiles;
}

/** An embedded Herald hub. */
export interface HeraldHub {
  /**
   * Publishes an event; resolves with its id once the log has stored it. With `idempotencyKey`, a
   * key used within the window stores nothing and resolves with the first id (and `replayed`).
   */
  publish(input: PublishInput): Promise<Published>;
  /**
   * Publishes a batch, all or nothing: every event is checked before any is stored (a bad one
   * refuses the batch, naming it), then they are stored at consecutive positions and reach
   * subscribers in order; resolves with their ids in order. At most `maxEventsPerBatch` events.
   * With `idempotencyKey`, the key covers the whole batch: used within the window, it stores
   * nothing and resolves with the first publish's ids (and `replayed`).
   */
  publishMany(inputs: readonly PublishInput[], options?: BatchOptions): Promise<PublishedBatch>;
  /**
   * Ends the streams of a subject's tokens issued until now (`{ subject }`, the `sub` claim), or of
   * one token (`{ tokenId }`, its `jti`), with `herald-reauth`, and refuses those tokens from then
   * on, on every hub of a cluster. Resolves with how many streams this hub ended.
   */
  revoke(revocation: Revocation): Promise<{ ended: number }>;
  /** The whole HTTP API as a node:http request listener (works as Express middleware too). */
  readonly handler: NodeHandler;
  /** The whole HTTP API for Fetch-API servers. */
  readonly fetch: FetchHandler;
  /**
   * Answers malformed requests with a status and a one-line reason; `hub.listen` installs it, attach
   * it to your own server with `server.on('clientError', hub.clientErrorHandler)`.
   */
  readonly clientErrorHandler: (error: Error, socket: Duplex) => void;
  /**
   * Starts a node:http server with stream-friendly timeouts; resolves once it listens (after
   * `ready()`: a key that cannot be loaded rejects here).
   */
  listen(port: number, host?: string): Promise<Server>;
  /**
   * With `tls` (a PEM certificate and key): an HTTPS server speaking HTTP/2 and HTTP/1.1 on one
   * port, so a browser's six-connections-per-host limit no longer caps its streams.
   */
  listen(
    port: number,
    host: string | undefined,
    options: ListenOptions & { tls: TlsFiles },
  ): Promise<Http2SecureServer>;
  listen(port: number, host?: string, options?: ListenOptions): Promise<Server | Http2SecureServer>;
  /**
   * Resolves once key files are read; rejects with a KeySpecError saying which key failed and why.
   * A failure is logged at error only when neither this nor `listen` was called before it.
   */
  ready(): Promise<void>;
  /** Figures of the hub now. */
  stats(): HubStats;
  /** Orders two event ids of this hub (negative, zero or positive). */
  compareIds(a: string, b: string): number;
  /** Id of the newest event: a resume point meaning "from now on". */
  head(): Promise<string>;
  /** Anonymous subscriptions per selector (those made with a credential are private and not listed). */
  subscriberCounts(): ReadonlyMap<string, number>;
  /**
   * Subscriptions covered by each selector, cluster-wide with a shared store: what
   * `GET /subscriptions?topic=...` answers an anonymous caller (public subscriptions only).
   */
  subscriptionCounts(selectors: readonly string[]): Record<string, number>;
  /**
   * The newest events under the selectors, oldest first: what `GET /history?topic=...` answers an
   * anonymous caller (public events only).
   */
  history(request: HistoryRequest): Promise<HistoryAnswer>;
  /** Every live hub of the cluster (this one first), as their heartbeats last said. */
  clusterHubs(): HubRecord[];
  /** The monitor (its collector), when on. */
  readonly monitor: Monitor | undefined;
  /**
   * Closes every stream with a jittered `retry:` once its queued bytes are out (at most
   * `drainTimeoutMs`), stops servers made by `listen`, closes the log.
   */
  close(): Promise<void>;
}

const DEFAULT_PAGE = `<!doctype html><meta charset="utf-8"><title>Herald</title>
<h1>Herald</h1><p>A Server-Sent Events hub. Subscribe with <code>GET /events?topic=...</code>,
publish with <code>POST /publish</code>. Health: <a href="healthz">/healthz</a>, metrics: <a href="metrics">/metrics</a>.</p>`;

function addressOf(server: Server, host: string): string {
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : 0;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}

/** The retention `history` asks for, every bound filled in. */
function retentionOf(options: HubOptions): Retention {
  return {
    maxEvents: options.history?.maxEvents ?? DEFAULT_RETENTION.maxEvents,
    maxBytes: options.history?.maxBytes ?? DEFAULT_RETENTION.maxBytes,
    maxAgeMs: options.history?.maxAgeMs,
  };
}

/** `privateTopics`, checked: a malformed selector throws a TopicError naming the option. */
function privateTopicsOf(options: HubOptions): TopicSelector[] {
  return (options.privateTopics ?? []).map((text) => {
    try {
      return parseSelector(text);
    } catch (error) {
      if (error instanceof TopicError) throw new TopicError(`privateTopics: ${error.message}`);
      throw error;
    }
  });
}

/** One line when the store becomes unavailable, one when it is back: never one per request or tick. */
function logStoreChanges(core: Hub, logger: HubLogger): void {
  core.storeHealth.onChange((change) => {
    if (!change.up)
      logger.error(
        { store: 'unavailable', reason: change.reason },
        `event store unavailable: ${change.reason} (publishes get 503 until it is back)`,
      );
    else {
      // Called on the logger itself: pino's methods need their `this`.
      const fields = { store: 'up', downForMs: change.downForMs };
      const message = `event store back after ${(change.downForMs / 1000).toFixed(1)} s`;
      if (logger.info) logger.info(fields, message);
      else logger.error(fields, message);
    }
  });
}

/**
 * Opens the store `options.store` names (any store URL; see `openStore` for its errors:
 * StoreUrlError for a malformed URL, StoreOpenError when it cannot be opened), applies `history`
 * as its retention, and makes the hub on it. The hub owns the log: `hub.close()` closes it.
 */
export async function openHub(options: HubOptions = {}): Promise<HeraldHub> {
  const store = options.store;
  if (store === undefined || typeof store !== 'string') return createHub(options);
  const log = await openStore(store, retentionOf(options));
  try {
    return createHub({ ...options, store: log });
  } catch (error) {
    await log.close();
    throw error;
  }
}

/** The log `createHub` uses: the one given, or a memory log; other URLs need `openHub`. */
function logOf(options: HubOptions): EventLog {
  const store = options.store;
  if (store === undefined) return new MemoryLog(retentionOf(options));
  if (typeof store !== 'string') return store;
  if (parseStoreUrl(store).kind === 'memory') return new MemoryLog(retentionOf(options));
  throw new TypeError(
    `createHub cannot open ${JSON.stringify(store)} synchronously: use \`await openHub({ store })\` (or pass an EventLog from \`await openStore(url)\`)`,
  );
}

/**
 * Makes a hub, synchronously, on `options.store` when it is an EventLog or `memory` (the default).
 * For a store URL (`sqlite:`, `redis://`) use `openHub`.
 */
export function createHub(options: HubOptions = {}): HeraldHub {
  const log = logOf(options);
  const logger: HubLogger =
    options.logger ??
    (options.onError === undefined
      ? CONSOLE_LOGGER
      : {
          error: (object) => options.onError!((object as { err?: unknown }).err ?? object),
          debug: () => {},
        });
  const keys = hubKeys(options, (side) => ({
    onRefresh: (set) =>
      (logger.info ?? logger.debug)({ side, keys: set.keys.length }, `new ${side} key set in use`),
    onError: (reason) => (logger.warn ?? logger.error)({ side }, reason),
  }));
  const ready = keys.ready();
  // A caller that asked for ready() (or listen()) gets the rejection and says it its own way (the
  // CLI: one line); the log is for a hub whose caller never asked.
  let readyAsked = false;
  const awaitReady = (): Promise<void> => {
    readyAsked = true;
    return ready;
  };
  ready.catch((error: unknown) => {
    if (!readyAsked) logger.error({ err: error }, (error as Error).message);
  });
  const monitorAuth = typeof options.monitor === 'object' && options.monitor.auth === true;
  if (monitorAuth && keys.subscribers === undefined) {
    throw new KeySpecError(
      'monitor.auth needs a subscriber key (subscriberKey or jwtKey) to verify monitor tokens',
    );
  }
  const authCookie = options.authCookie ?? DEFAULT_AUTH_COOKIE;
  if (!isCookieName(authCookie)) {
    throw new KeySpecError(`authCookie ${JSON.stringify(authCookie.slice(0, 40))} is not a cookie name`);
  }
  const tickets = keys.subscribers === undefined ? undefined : new TicketBook(options.tickets);
  const core = new Hub({
    log,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    publishers: keys.publishers,
    subscribers:
      keys.subscribers === undefined || tickets === undefined
        ? keys.subscribers
        : acceptTickets(keys.subscribers, tickets),
    tickets,
    urlTokens: options.queryToken ?? true,
    revocations: { ...DEFAULT_REVOCATION_LIMITS, ...options.revocations },
    monitorAuth,
    privateTopics: privateTopicsOf(options),
    retryMs: options.retryMs ?? HUB_DEFAULTS.retryMs,
    heartbeatMs: options.heartbeatMs ?? HUB_DEFAULTS.heartbeatMs,
    shedRetryMs: options.shedRetryMs ?? HUB_DEFAULTS.shedRetryMs,
    drainTimeoutMs: options.drainTimeoutMs ?? HUB_DEFAULTS.drainTimeoutMs,
  });
  logStoreChanges(core, logger);
  const httpCounters = newHttpCounters();
  const polls = new LongPolls(
    core,
    options.pollQuietMs ?? HUB_DEFAULTS.pollQuietMs,
    options.pollTimeoutMs ?? HUB_DEFAULTS.pollTimeoutMs,
  );
  const assets = new Map<string, StaticAsset>([['/', asset('text/html; charset=utf-8', DEFAULT_PAGE)]]);
  for (const [path, file] of clientBundleAssets()) assets.set(path, file);
  const presence = new Presence(core, log.board, options.presenceMs ?? HUB_DEFAULTS.presenceMs, (error) =>
    logger.debug({ err: error }, 'presence heartbeat failed'),
  );
  // Where `hub.listen` listens: the monitor lists processes only for loopback (monitor.processes).
  const listenedHosts: string[] = [];
  const monitor =
    options.monitor === false
      ? undefined
      : createMonitor(
          core,
          httpCounters,
          {
            onError: (error) => logger.error({ err: error }, 'monitor tick failed'),
            cluster: () =>
              presence.clustered
                ? presence.hubs().map((hub) => ({
                    id: hub.id,
                    address: hub.address,
                    connections: hub.connections,
                    eventsPerSecond: hub.eventsPerSecond,
                    lastSeen: hub.lastSeen,
                    self: hub.id === presence.id,
                  }))
                : undefined,
            ...(options.monitor === true || options.monitor === undefined ? {} : options.monitor),
          },
          () => listenedHosts,
        );
  for (const [path, file] of monitor?.assets ?? []) assets.set(path, file);
  for (const [path, file] of options.assets ?? []) assets.set(path, file);
  const router = createRouter(core, {
    presence,
    cors: new CorsPolicy(options.corsOrigins ?? [], options.corsHeaders),
    authCookie,
    assets,
    metrics: createMetrics(core, httpCounters, keys.verifications),
    counters: httpCounters,
    polls,
    streams: monitor?.streams,
  });
  const proxies = options.trustProxy === undefined ? undefined : new TrustedProxies(options.trustProxy);
  const handler = nodeHandler(router, httpCounters, logger, options.directWrites ?? true, proxies);
  const onClientError = clientErrorHandler(httpCounters, logger);
  const servers: Array<OwnServer<Server | Http2SecureServer>> = [];
  const timeouts = { ...DEFAULT_SERVER_TIMEOUTS, ...options.serverTimeouts };

  const hub: HeraldHub = {
    // async: a refused input rejects the promise, as the type says, instead of throwing at the call.
    publish: async (input) => core.publish(input),
    publishMany: async (inputs, options) => core.publishMany(inputs, options),
    revoke: async (revocation) => core.revoke(checkRevocation(revocation)),
    handler,
    fetch: fetchHandler(router, proxies),
    clientErrorHandler: onClientError,
    monitor,
    compareIds: (a, b) => core.compareIds(a, b),
    head: () => core.head(),
    subscriberCounts: () => core.topicCounts(),
    subscriptionCounts: (selectors) => presence.counts(selectors, undefined, Number.POSITIVE_INFINITY).counts,
    history: (request) => core.history(undefined, request),
    clusterHubs: () => presence.hubs(),
    stats: () => ({
      connections: core.connections,
      authenticatedConnections: core.authenticatedConnections,
      eventsPublished: core.counters.eventsPublished,
      eventsDelivered: core.counters.eventsDelivered,
      slowConsumerDisconnects: core.counters.slowConsumerDisconnects,
      history: core.historySize(),
    }),
    ready: awaitReady,
    // One implementation behind the overloads above.
    listen: (async (port: number, host = '127.0.0.1', options: ListenOptions = {}) => {
      await awaitReady();
      if (options.tls !== undefined) {
        const secure = createHttpsServer(handler, options.tls, timeouts, onClientError);
        await listen(secure.server, port, host);
        servers.push(secure);
        listenedHosts.push(host);
        return secure.server;
      }
      const plain = createHttpServer(handler, timeouts, onClientError);
      await listen(plain.server, port, host);
      servers.push(plain);
      listenedHosts.push(host);
      if (servers.length === 1) presence.address = addressOf(plain.server, host);
      return plain.server;
    }) as HeraldHub['listen'],
    async close() {
      monitor?.stop();
      await presence.close();
      // Stop accepting and keeping connections alive; streams then drain (their last bytes and
      // retry: out) before idle sockets go.
      for (const own of servers) {
        own.stopKeepAlive();
        own.server.close();
      }
      await core.close();
      for (const own of servers) own.closeIdleConnections();
    },
  };
  return Object.defineProperty(hub, ENDPOINTS, { value: router.endpoints });
}
