import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';

/** A loopback TCP relay whose connections a test can cut, as a network drop would. */
export interface TcpProxy {
  port: number;
  /** Cuts every connection open now; new ones are relayed again. */
  cutAll(): void;
  /** Relays new connections to another port from now on (a load balancer moving clients). */
  retarget(port: number): void;
  close(): Promise<void>;
}

export async function startTcpProxy(firstTarget: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let targetPort = firstTarget;
  const server: Server = createServer((client) => {
    const upstream = new (client.constructor as typeof Socket)();
    upstream.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cutAll() {
      for (const s of open) s.destroy();
    },
    retarget(port) {
      targetPort = port;
    },
    close() {
      for (const s of open) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
