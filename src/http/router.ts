import type { Registry } from 'prom-client';
import type { Hub } from '../hub/hub.js';
import { OPERATIONS } from '../hub/operations.js';
import type { Presence } from '../hub/presence.js';
import { HeraldError, quote } from '../hub/refusal.js';
import type { CorsPolicy } from './cors.js';
import { type HttpReply, type HttpRequest, json, plain, refuse } from './exchange.js';
import { historyRoute } from './history-route.js';
import type { HttpCounters } from './http-counters.js';
import type { LongPolls } from './long-poll.js';
import { type Endpoint, type PipelinePolicy, runPipeline } from './pipeline.js';
import { publishRoute } from './publish-route.js';
import { refusalReply } from './refusal-reply.js';
import { revocationsRoute } from './revocations-route.js';
import type { StaticAsset } from './static-assets.js';
import { subscribeRoute } from './subscribe-route.js';
import { subscriptionsRoute } from './subscriptions-route.js';
import { ticketsRoute } from './tickets-route.js';

export interface RouterOptions {
  cors: CorsPolicy;
  /** The cookie a subscriber token is read from. */
  authCookie: string;
  assets: ReadonlyMap<string, StaticAsset>;
  metrics: Registry;
  counters: HttpCounters;
  polls: LongPolls;
  /** Streams at fixed paths and their topic selectors (the monitor's `GET /stats`). */
  streams?: ReadonlyMap<string, readonly string[]>;
  /** Subscriber counts for GET /subscriptions. */
  presence: Presence;
}

/** Where a hub keeps its router's endpoints, for the endpoint x policy test (not public API). */
export const ENDPOINTS: unique symbol = Symbol('herald.endpoints');

/** The whole HTTP API as one function from request to reply, with the endpoints it serves. */
export interface Router {
  (request: HttpRequest): Promise<HttpReply>;
  /** Every endpoint, by path: what the endpoint x policy test walks. */
  readonly endpoints: ReadonlyMap<string, Endpoint>;
}

/** `/realtime` for a hub mounted at `/realtime`: its pages' relative URLs need `/realtime/`. */
function isMountWithoutSlash(request: HttpRequest): boolean {
  const original = request.originalPath;
  return original !== undefined && original !== '' && !original.endsWith('/');
}

/** To the same path with a slash, relative (`realtime/`), whatever the app's own prefix. */
function slashRedirect(request: HttpRequest): HttpReply {
  const last = request.originalPath!.slice(request.originalPath!.lastIndexOf('/') + 1);
  return plain(302, '', { location: `${last}/${request.url.search}` });
}

/**
 * Every endpoint, declared: its path, methods and hub operation; the operation's steps are the
 * pipeline's (src/http/pipeline.ts), never an endpoint's own.
 */
function endpointsOf(hub: Hub, options: RouterOptions): { endpoints: Map<string, Endpoint>; api: string } {
  const { polls, presence } = options;
  const list: Endpoint[] = [
    {
      path: '/events',
      methods: ['GET'],
      operation: OPERATIONS.subscribe,
      serve: (admitted) => subscribeRoute(hub, polls, admitted),
    },
    {
      path: '/tickets',
      methods: ['POST'],
      operation: OPERATIONS['buy-ticket'],
      serve: (admitted) => ticketsRoute(hub, admitted),
    },
    {
      path: '/subscriptions',
      methods: ['GET'],
      operation: OPERATIONS['count-subscriptions'],
      serve: (admitted) => subscriptionsRoute(hub, presence, admitted),
    },
    {
      path: '/history',
      methods: ['GET'],
      operation: OPERATIONS['read-history'],
      serve: (admitted) => historyRoute(hub, admitted),
    },
    {
      path: '/publish',
      methods: ['POST'],
      operation: OPERATIONS.publish,
      serve: (admitted) => publishRoute(hub, admitted),
    },
    {
      path: '/revocations',
      methods: ['POST'],
      operation: OPERATIONS.revoke,
      serve: (admitted) => revocationsRoute(hub, admitted),
    },
    {
      path: '/healthz',
      methods: ['GET', 'HEAD'],
      operation: undefined,
      serve: async () => healthReply(hub),
    },
    {
      path: '/metrics',
      methods: ['GET'],
      operation: undefined,
      serve: async () =>
        plain(200, await options.metrics.metrics(), { 'content-type': options.metrics.contentType }),
    },
  ];
  const api = list.map((e) => `${e.methods[0]} ${e.path}`).join(', ');
  for (const [path, selectors] of options.streams ?? []) {
    list.push({
      path,
      methods: ['GET'],
      operation: OPERATIONS.subscribe,
      serve: (admitted) => subscribeRoute(hub, polls, admitted, selectors),
    });
  }
  for (const [path, asset] of options.assets) list.push(assetEndpoint(hub, path, asset));
  const endpoints = new Map<string, Endpoint>();
  for (const endpoint of list) if (!endpoints.has(endpoint.path)) endpoints.set(endpoint.path, endpoint);
  return { endpoints, api };
}

/** `/healthz`: 200 while all is well; 503 (load balancers take the hub out) while degraded or closing. */
async function healthReply(hub: Hub): Promise<HttpReply> {
  const { status, store, storeDownSince, storeReason, head } = await hub.health();
  return json(status === 'ok' ? 200 : 503, {
    status,
    store,
    ...(storeDownSince === undefined
      ? {}
      : { storeDownSince: new Date(storeDownSince).toISOString(), storeReason }),
    uptimeSeconds: Math.round((Date.now() - hub.counters.startedAt) / 1000),
    connections: hub.connections,
    head,
  });
}

/** A file served from memory; one carrying the hub's figures is the monitor's view operation. */
function assetEndpoint(hub: Hub, path: string, asset: StaticAsset): Endpoint {
  return {
    path,
    methods: ['GET', 'HEAD'],
    operation: asset.figures ? OPERATIONS['view-monitor'] : undefined,
    serve: ({ request, grant }) => {
      if (path === '/' && isMountWithoutSlash(request)) return slashRedirect(request);
      if (asset.figures) hub.checkMonitorViewer(grant);
      return plain(200, asset.body, {
        'content-type': asset.contentType,
        'cache-control': asset.cacheControl,
      });
    },
  };
}

/** The whole HTTP API as one function from request to reply, shared by every adapter. */
export function createRouter(hub: Hub, options: RouterOptions): Router {
  const { endpoints, api } = endpointsOf(hub, options);
  const policy: PipelinePolicy = { hub, cors: options.cors, cookie: options.authCookie };

  function route(request: HttpRequest): Promise<HttpReply> | HttpReply {
    if (request.method === 'OPTIONS') return options.cors.preflight(request);
    const endpoint = endpoints.get(request.url.pathname);
    if (endpoint === undefined)
      return refuse(404, `no such endpoint: ${quote(request.url.pathname)} (the API is ${api})`);
    return runPipeline(endpoint, request, policy);
  }

  const router = async (request: HttpRequest): Promise<HttpReply> => {
    options.counters.requests++;
    let reply: HttpReply;
    try {
      reply = await route(request);
    } catch (error) {
      if (!(error instanceof HeraldError)) throw error;
      reply = refusalReply(error);
    }
    const cors = options.cors.headersFor(request);
    return Object.keys(cors).length === 0 ? reply : { ...reply, headers: { ...reply.headers, ...cors } };
  };
  return Object.assign(router, { endpoints });
}
