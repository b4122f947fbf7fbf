import { type Http2ServerRequest, constants as http2 } from 'node:http2';
import type { HttpRequest } from './exchange.js';
import type { HttpCounters, HubLogger } from './http-counters.js';
import { bodyReadInFront } from './parsed-body.js';
import { readRequestLimited } from './read-body.js';
import { type NodeRequest, type NodeResponse, ResponseSink } from './response-sink.js';

export type { NodeRequest, NodeResponse } from './response-sink.js';

import type { Router } from './router.js';
import { canWriteDirectly, SocketSink } from './socket-sink.js';
import type { TrustedProxies } from './trusted-proxies.js';

function isHttp2(req: NodeRequest): req is Http2ServerRequest {
  return req.httpVersionMajor === 2;
}

/** Express and Connect keep the URL the client sent in `originalUrl` when they strip a mount path. */
function originalPath(req: NodeRequest): string | undefined {
  const original = (req as { originalUrl?: unknown }).originalUrl;
  if (typeof original !== 'string' || original === req.url || !original.startsWith('/')) return undefined;
  const query = original.indexOf('?');
  return query === -1 ? original : original.slice(0, query);
}

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
function headerOf(req: NodeRequest, name: string): string | null {
  const value = req.headers[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The client's address: the socket's peer, or, when the peer is a trusted proxy, the address its
 * `Forwarded` / `X-Forwarded-For` header names (see TrustedProxies).
 */
function clientOf(req: NodeRequest, proxies: TrustedProxies | undefined): string {
  const peer = req.socket.remoteAddress;
  if (proxies === undefined || peer === undefined) return internAddress(peer);
  return internAddress(
    proxies.clientAddress(peer, {
      forwarded: headerOf(req, 'forwarded'),
      xForwardedFor: headerOf(req, 'x-forwarded-for'),
    }),
  );
}

function toHttpRequest(req: NodeRequest, proxies: TrustedProxies | undefined): HttpRequest {
  return {
    originalPath: originalPath(req),
    method: req.method ?? 'GET',
    // Only the path and query matter; the host part is a placeholder.
    url: new URL(req.url?.startsWith('/') ? req.url : '/', 'http://herald.invalid'),
    header: (name) => headerOf(req, name),
    client: clientOf(req, proxies),
    body: async (limit) => bodyReadInFront(req, limit) ?? readRequestLimited(req, limit, () => req.pause()),
  };
}

/** Does the request still have body bytes on the wire that nobody read? */
function hasUnreadBody(req: NodeRequest): boolean {
  if (isHttp2(req)) return !req.stream.endAfterHeaders && !req.readableEnded && !req.stream.destroyed;
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Did the client go away mid-request (an aborted upload)? Not a hub error. */
function clientWentAway(req: NodeRequest, error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return req.destroyed || code === 'ECONNRESET' || (error as Error).message === 'aborted';
}

export type NodeHandler = (req: NodeRequest, res: NodeResponse) => void;

/**
 * Refused before its body was read: over HTTP/1.1 the connection is closed rather than read (and
 * discarded) to the end of an endless body; over HTTP/2 only the request's stream is, once the
 * answer is out (RST_STREAM with NO_ERROR, as RFC 9113 8.1 allows), and the connection stays.
 */
function closeUnread(req: NodeRequest, res: NodeResponse, headers: Record<string, string>): void {
  if (!isHttp2(req)) {
    headers.connection = 'close';
    return;
  }
  const stream = req.stream;
  res.once('finish', () => {
    if (!stream.destroyed) stream.close(http2.NGHTTP2_NO_ERROR);
  });
}

/**
 * The HTTP API as a request listener for node:http and node:http2 servers (HTTP/2 through its
 * compatibility API, HTTP/1.1 on the same port with `allowHTTP1`); also usable as Express
 * middleware. `proxies`: whose forwarding headers name the client.
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
            closeUnread(req, res, headers);
            counters.closedUnread++;
          }
          res.writeHead(reply.status, headers);
          if (req.method === 'HEAD') res.end();
          else res.end(reply.body);
          return;
        }
        res.writeHead(200, reply.headers);
        // Over HTTP/2 writeHead has sent the headers already.
        if (!('stream' in res)) res.flushHeaders();
        if ('stream' in res ? res.stream.destroyed : res.destroyed) return;
        // HTTP/1.1 streams write ready-framed chunks straight to the socket once the head is out.
        const direct = directWrites && !('stream' in res) && canWriteDirectly(res);
        const gone = reply.start(direct ? new SocketSink(res) : new ResponseSink(res));
        // `on`, not `once`: a response closes once, and `once` would keep a wrapper per stream.
        res.on('close', gone);
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
          const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
          if (hasUnreadBody(req)) closeUnread(req, res, headers);
          res.writeHead(500, headers);
        }
        res.end('internal error; see the hub log\n');
      },
    );
  };
}
