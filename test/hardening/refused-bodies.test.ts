// A refused request must not make the hub read its body: the refusal reaches the client with its
// status and reason, then the connection closes, whatever the body (large, endless, chunked).
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createHub, type HeraldHub } from '../../src/create-hub.js';
import { TEST_KEY, token } from '../support/hub.js';

/** How many body bytes a client gets to push before the hub closes, at the most. */
const MAX_ACCEPTED = 8 * 1024 * 1024;
const MAX_CLOSE_MS = 3000;

interface Target {
  name: string;
  port: number;
  /** Bytes the server read from each connection, once it closed. */
  readBytes: number[];
}

function track(server: Server, target: Target): void {
  server.on('connection', (socket: Socket) =>
    socket.on('close', () => target.readBytes.push(socket.bytesRead)),
  );
}

interface Outcome {
  head: string;
  sent: number;
  closeMs: number;
}

/**
 * Sends `head` then body bytes as fast as the socket takes them (chunked or not), for at most 10 s,
 * reading what comes back; returns the response's first line, the bytes sent and when it closed.
 */
function flood(port: number, head: string, chunked: boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const started = Date.now();
    let received = '';
    let sent = 0;
    let done = false;
    const block = Buffer.alloc(64 * 1024, 'x');
    const chunk = chunked
      ? Buffer.concat([Buffer.from(`${block.length.toString(16)}\r\n`), block, Buffer.from('\r\n')])
      : block;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(limit);
      socket.destroy();
      resolve({ head: received.split('\r\n')[0] ?? '', sent, closeMs: Date.now() - started });
    };
    const limit = setTimeout(finish, 10_000);
    const pump = () => {
      while (!done && !socket.destroyed) {
        sent += chunk.length;
        if (!socket.write(chunk)) return;
      }
    };
    socket.on('connect', () => {
      socket.write(head);
      pump();
    });
    socket.on('drain', pump);
    socket.on('data', (data) => {
      received += data.toString('latin1');
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', () => {});
  });
}

const targets: Target[] = [];
const hubs: HeraldHub[] = [];
const closers: Array<() => void> = [];
let publisher = '';

before(async () => {
  publisher = await token({ publish: ['**'] });
  // Herald's own server.
  const own = createHub({ jwtKey: TEST_KEY, monitor: false, limits: { maxPublishBodyBytes: 1024 } });
  hubs.push(own);
  const ownServer = await own.listen(0);
  const ownTarget: Target = {
    name: 'hub.listen',
    port: (ownServer.address() as AddressInfo).port,
    readBytes: [],
  };
  track(ownServer, ownTarget);
  targets.push(ownTarget);
  // The Fetch adapter, mounted in Hono on @hono/node-server.
  const fetchHub = createHub({ jwtKey: TEST_KEY, monitor: false, limits: { maxPublishBodyBytes: 1024 } });
  hubs.push(fetchHub);
  const app = new Hono();
  app.all('*', (c) => fetchHub.fetch(c.req.raw, { client: '127.0.0.1' }));
  const honoTarget: Target = { name: 'fetch adapter (Hono)', port: 0, readBytes: [] };
  await new Promise<void>((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      honoTarget.port = info.port;
      resolve();
    }) as Server;
    track(server, honoTarget);
    closers.push(() => server.closeAllConnections?.());
    closers.push(() => server.close());
  });
  targets.push(honoTarget);
});

after(async () => {
  for (const close of closers) close();
  for (const hub of hubs) await hub.close();
});

const kinds: Array<{ name: string; status: RegExp; head: (auth: string) => string }> = [
  {
    name: '413 decided from Content-Length',
    status: /^HTTP\/1\.1 413/,
    head: (auth) =>
      `POST /publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${auth}\r\nContent-Type: application/json\r\nContent-Length: 100000000000\r\n\r\n`,
  },
  {
    name: '401 without a token',
    status: /^HTTP\/1\.1 401/,
    head: () =>
      'POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000000\r\n\r\n',
  },
  {
    name: '401 with a bad token',
    status: /^HTTP\/1\.1 401/,
    head: () =>
      'POST /publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer not.a.jwt\r\nContent-Type: application/json\r\nContent-Length: 100000000000\r\n\r\n',
  },
  {
    name: '405 on /events',
    status: /^HTTP\/1\.1 405/,
    head: () => 'POST /events?topic=a HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000000\r\n\r\n',
  },
  {
    name: '404',
    status: /^HTTP\/1\.1 404/,
    head: () => 'PUT /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000000\r\n\r\n',
  },
  {
    name: '401, chunked body',
    status: /^HTTP\/1\.1 401/,
    head: () =>
      'POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
  },
  {
    name: '413 from a chunked body past the limit',
    status: /^HTTP\/1\.1 413/,
    head: (auth) =>
      `POST /publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${auth}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
  },
];

describe('a refused request with an unread body', () => {
  for (const kind of kinds) {
    it(`${kind.name}: answered, then closed without reading the body (every adapter)`, async () => {
      for (const target of targets) {
        const before = target.readBytes.length;
        const outcome = await flood(target.port, kind.head(publisher), kind.name.includes('chunked'));
        // The server side's count of what it read from that connection.
        await new Promise((resolve) => setTimeout(resolve, 50));
        const read = target.readBytes.slice(before);
        console.log(
          `  ${target.name} / ${kind.name}: hub read ${read[0]} bytes, closed in ${outcome.closeMs} ms`,
        );
        assert.match(outcome.head, kind.status, `${target.name}: the refusal reaches the client`);
        assert.ok(outcome.closeMs < MAX_CLOSE_MS, `${target.name}: closed after ${outcome.closeMs} ms`);
        assert.equal(read.length, 1, `${target.name}: the connection closed on the hub's side`);
        assert.ok(read[0]! < MAX_ACCEPTED, `${target.name}: read ${read[0]} bytes of the body`);
      }
    });
  }
});
