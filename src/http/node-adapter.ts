import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpRequest } from './exchange.js';
import type { HttpCounters, HubLogger } from './http-counters.js';
import { readLimited } from './read-body.js';
import { ResponseSink } from './response-sink.js';
import type { Router } from './router.js';
import { canWriteDirectly, SocketSink } from './socket-sink.js';
import type { TrustedProxies } from './trusted-proxies.js';

/**
 * Client addresses, interned: a socket's remoteAddress is a fresh string on every read, and a
 * session keeps its client's for hours; thousands of streams from one address share one string.
 */
const addresses = new Map<string, string>();

function internAddress(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  const known = addresses.get(address);
  if (known !== undefined) return known;
  if (addresses.size >= 10_000) addresses.clear();
  addresses.set(address, address);
  return address;
}

/** A request header as one string (several joined with ", "), or null. */
function headerOf(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The client's address: the socket's peer, or, when the peer is a trusted proxy, the address its
 * `Forwarded` / `X-Forwarded-For` header names (see TrustedProxies).
 */
function clientOf(req: IncomingMessage, proxies: TrustedProxies | undefined): string {
  const peer = req.socket.remoteAddress;
  if (proxies === undefined || peer === undefined) return internAddress(peer);
  return internAddress(
    proxies.clientAddress(peer, {
      forwarded: headerOf(req, 'forwarded'),
      xForwardedFor: headerOf(req, 'x-forwarded-for'),
    }),
  );
}

function toHttpRequest(req: IncomingMessage, proxies: TrustedProxies | undefined): HttpRequest {
  return {
    method: req.method ?? 'GET',
    // Only the path and query matter; the host part is a placeholder.
    url: new URL(req.url?.startsWith('/') ? req.url : '/', 'http://herald.invalid'),
    header: (name) => headerOf(req, name),
    client: clientOf(req, proxies),
    body: (limit) => readLimited(req, limit, () => req.pause()),
  };
}

/** Does the request still have body bytes on the wire that nobody read? */
function hasUnreadBody(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Did the client go away mid-request (an aborted upload)? Not a hub error. */
function clientWentAway(req: IncomingMessage, error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return req.destroyed || code === 'ECONNRESET' || (error as Error).message === 'aborted';
}

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The HTTP API as a node:http request listener (also usable as Express middleware); `proxies`:
 * whose forwarding headers name the client.
 */
export function nodeHandler(
  router: Router,
  counters: HttpCounters,
  logger: HubLogger,
  directWrites: boolean,
  proxies?: TrustedProxies,
): NodeHandler {
  return (req, res) => {
    router(toHttpRequest(req, proxies)).then(
      (reply) => {
        if (reply.kind === 'plain') {
          const headers: Record<string, string> = {
            ...reply.headers,
            'content-length': String(Buffer.byteLength(reply.body)),
          };
          // Refused before its body was read: close rather than read (and discard) an endless body.
          if (hasUnreadBody(req)) {
            headers.connection = 'close';
            counters.closedUnread++;
          }
          res.writeHead(reply.status, headers);
          res.end(req.method === 'HEAD' ? undefined : reply.body);
          return;
        }
        res.writeHead(200, reply.headers);
        res.flushHeaders();
        if (res.destroyed) return;
        const direct = directWrites && canWriteDirectly(res);
        const gone = reply.start(direct ? new SocketSink(res) : new ResponseSink(res));
        res.once('close', gone);
      },
      (error: unknown) => {
        if (clientWentAway(req, error)) {
          counters.aborted++;
          logger.debug({ url: req.url }, 'client went away before its request was read');
          res.destroy();
          return;
        }
        logger.error({ err: error }, 'unexpected error');
        if (!res.headersSent) {
          res.writeHead(500, {
            'content-type': 'text/plain; charset=utf-8',
            ...(hasUnreadBody(req) ? { connection: 'close' } : {}),
          });
        }
        res.end('internal error; see the hub log\n');
      },
    );
  };
}
