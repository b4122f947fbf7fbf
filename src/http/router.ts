import type { Registry } from 'prom-client';
import type { Hub } from '../hub/hub.js';
import type { Presence } from '../hub/presence.js';
import { HeraldError, quote } from '../hub/refusal.js';
import type { CorsPolicy } from './cors.js';
import { type CredentialOptions, monitorCredential } from './credentials.js';
import { type HttpReply, type HttpRequest, json, plain, refuse } from './exchange.js';
import type { HttpCounters } from './http-counters.js';
import type { LongPolls } from './long-poll.js';
import { publishRoute } from './publish-route.js';
import { refusalReply } from './refusal-reply.js';
import type { StaticAsset } from './static-assets.js';
import { subscribeRoute } from './subscribe-route.js';
import { subscriptionsRoute } from './subscriptions-route.js';
import { ticketsRoute } from './tickets-route.js';

export interface RouterOptions {
  cors: CorsPolicy;
  /** Where subscriber credentials are found (the auth cookie's name). */
  credentials: CredentialOptions;
  assets: ReadonlyMap<string, StaticAsset>;
  metrics: Registry;
  counters: HttpCounters;
  polls: LongPolls;
  /** Streams at fixed paths and their topic selectors (the monitor's `GET /stats`). */
  streams?: ReadonlyMap<string, readonly string[]>;
  /** Subscriber counts for GET /subscriptions. */
  presence: Presence;
}

export type Router = (request: HttpRequest) => Promise<HttpReply>;

function methodNotAllowed(allow: string): HttpReply {
  return refuse(405, `method not allowed here; use ${allow}`, { allow });
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

/** The whole HTTP API as one function from request to reply, shared by every adapter. */
export function createRouter(hub: Hub, options: RouterOptions): Router {
  async function route(request: HttpRequest): Promise<HttpReply> {
    const path = request.url.pathname;
    const method = request.method;
    if (method === 'OPTIONS') return options.cors.preflight(request);
    switch (path) {
      case '/events':
        if (method !== 'GET') return methodNotAllowed('GET');
        options.cors.checkOrigin(request, 'subscribe');
        return subscribeRoute(hub, options.polls, request, options.credentials);
      case '/tickets':
        if (method !== 'POST') return methodNotAllowed('POST');
        options.cors.checkOrigin(request, 'get tickets');
        return ticketsRoute(hub, request, options.credentials);
      case '/publish':
        return method === 'POST' ? publishRoute(hub, request) : methodNotAllowed('POST');
      case '/subscriptions':
        return method === 'GET'
          ? subscriptionsRoute(hub, options.presence, request)
          : methodNotAllowed('GET');
      case '/healthz':
        if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed('GET');
        return json(hub.closing ? 503 : 200, {
          status: hub.closing ? 'closing' : 'ok',
          uptimeSeconds: Math.round((Date.now() - hub.counters.startedAt) / 1000),
          connections: hub.connections,
          head: await hub.head(),
        });
      case '/metrics':
        if (method !== 'GET') return methodNotAllowed('GET');
        return plain(200, await options.metrics.metrics(), { 'content-type': options.metrics.contentType });
    }
    const fixed = options.streams?.get(path);
    if (fixed !== undefined)
      return method === 'GET'
        ? subscribeRoute(hub, options.polls, request, options.credentials, fixed)
        : methodNotAllowed('GET');
    const asset = options.assets.get(path);
    if (asset !== undefined) {
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed('GET');
      if (path === '/' && isMountWithoutSlash(request)) return slashRedirect(request);
      if (asset.figures) await hub.admitMonitorViewer(monitorCredential(request, options.credentials));
      return plain(200, asset.body, {
        'content-type': asset.contentType,
        'cache-control': asset.cacheControl,
      });
    }
    return refuse(
      404,
      `no such endpoint: ${quote(path)} (the API is GET /events, POST /publish, POST /tickets, GET /subscriptions, GET /healthz, GET /metrics)`,
    );
  }

  return async (request) => {
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
}
