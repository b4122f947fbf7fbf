import type { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createSecureServer, type Http2SecureServer, type Http2Session } from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { NodeHandler, NodeRequest, NodeResponse } from './node-adapter.js';

export interface ServerTimeouts {
  /** A client must finish sending its request headers within this (ms); slow-loris guard. */
  headersTimeoutMs: number;
  /** A client must finish sending its whole request (headers and body) within this (ms). */
  requestTimeoutMs: number;
}

export const DEFAULT_SERVER_TIMEOUTS: Readonly<ServerTimeouts> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
};

/** A server Herald made, and how its connections are wound down when the hub closes. */
export interface OwnServer<S extends Server | Http2SecureServer> {
  readonly server: S;
  /**
   * From now on no connection is kept alive: a client that comes back on a kept-alive connection
   * (an EventSource's retry does) must not keep finding the closed hub there while a new one may be
   * listening on the port.
   */
  stopKeepAlive(): void;
  /** Ends the connections that carry no answer now. */
  closeIdleConnections(): void;
}

/**
 * A node:http server fit for streams that live for hours: no inactivity timeout on sockets, while
 * requests that never finish arriving are still cut off.
 */
export function createHttpServer(
  handler: NodeHandler,
  timeouts: ServerTimeouts,
  onClientError: (error: Error, socket: Duplex) => void,
): OwnServer<Server> {
  let closing = false;
  const server = createServer(
    {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      // How often the two timeouts above are checked.
      connectionsCheckingInterval: Math.max(100, Math.min(timeouts.headersTimeoutMs, 30_000) / 4),
      keepAliveTimeout: 5_000,
    },
    (req: NodeRequest, res: NodeResponse) => {
      if (closing) res.setHeader('connection', 'close');
      handler(req, res);
    },
  );
  server.timeout = 0;
  server.on('clientError', onClientError);
  return {
    server,
    stopKeepAlive() {
      closing = true;
      // Answers already under way (no state per connection is kept to find them): node gives their
      // connections this keep-alive timeout, plus its own second, once they are out; a request on
      // such a connection before then is answered with connection: close above.
      server.keepAliveTimeout = 1;
    },
    closeIdleConnections: () => server.closeIdleConnections(),
  };
}

/** A certificate and its private key, PEM. */
export interface TlsFiles {
  cert: string | Buffer;
  key: string | Buffer;
}

const BUSY = Symbol('herald.requestsInFlight');
type TrackedSocket = Socket & { [BUSY]?: number };

/**
 * An HTTPS server speaking HTTP/2 (ALPN h2) and HTTP/1.1 on the same port; the same handler serves
 * both (HTTP/2 through node:http2's compatibility API). Streams live as long as they like: no
 * inactivity timeout on connections or streams. TLS handshakes must finish within
 * `headersTimeoutMs`; node:http's header and request timeouts belong to its own server and do not
 * run on this one's HTTP/1.1 connections.
 */
export function createHttpsServer(
  handler: NodeHandler,
  tls: TlsFiles,
  timeouts: ServerTimeouts,
  onClientError: (error: Error, socket: Duplex) => void,
): OwnServer<Http2SecureServer> {
  const sessions = new Set<Http2Session>();
  const http1 = new Set<TrackedSocket>();
  let closing = false;
  const server = createSecureServer(
    {
      cert: tls.cert,
      key: tls.key,
      allowHTTP1: true,
      handshakeTimeout: timeouts.headersTimeoutMs,
    },
    (req: NodeRequest, res: NodeResponse) => {
      if (req.httpVersionMajor === 1) {
        // HTTP/1.1 keep-alive connections: counted busy while an answer is in flight.
        const socket = req.socket as TrackedSocket;
        socket[BUSY] = (socket[BUSY] ?? 0) + 1;
        let done = false;
        const finished = (): void => {
          if (done) return;
          done = true;
          socket[BUSY] = (socket[BUSY] ?? 1) - 1;
          if (closing && socket[BUSY] === 0) socket.end();
        };
        res.once('finish', finished);
        res.once('close', finished);
      }
      handler(req, res);
    },
  );
  server.setTimeout(0);
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.setTimeout(0);
    session.once('close', () => sessions.delete(session));
    if (closing) session.close();
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') return;
    http1.add(socket);
    socket.once('close', () => http1.delete(socket));
  });
  // A broken HTTP/1.1 request on this port gets the same answer as on a plain one.
  (server as EventEmitter).on('clientError', onClientError);
  server.on('sessionError', () => {});
  return {
    server,
    // HTTP/1.1 connections end once their answers in flight are out (see the request handler).
    stopKeepAlive() {
      closing = true;
    },
    closeIdleConnections() {
      closing = true;
      for (const session of sessions) session.close();
      for (const socket of http1) if ((socket[BUSY] ?? 0) === 0) socket.end();
    },
  };
}

/** Listens and resolves once bound; rejects with the listen error (e.g. EADDRINUSE). */
export function listen(server: Server | Http2SecureServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
