import { createServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NodeHandler } from './node-adapter.js';

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

/**
 * A node:http server fit for streams that live for hours: no inactivity timeout on sockets, while
 * requests that never finish arriving are still cut off.
 */
export function createHttpServer(
  handler: NodeHandler,
  timeouts: ServerTimeouts,
  onClientError: (error: Error, socket: Duplex) => void,
): Server {
  const server = createServer(
    {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      // How often the two timeouts above are checked.
      connectionsCheckingInterval: Math.max(100, Math.min(timeouts.headersTimeoutMs, 30_000) / 4),
      keepAliveTimeout: 5_000,
    },
    handler,
  );
  server.timeout = 0;
  server.on('clientError', onClientError);
  return server;
}

/** Listens and resolves once bound; rejects with the listen error (e.g. EADDRINUSE). */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
