// Streams on node:http write ready-framed chunks straight to the socket. The bytes on the wire must
// be exactly what ServerResponse.write would have framed, in every mounting, through a clean end.
import assert from 'node:assert/strict';
import { createServer, type Server, ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { createHub, type HeraldHub } from '../../src/create-hub.js';
import { TEST_KEY } from '../support/hub.js';

type Mount = (hub: HeraldHub) => Promise<{ port: number; path: string; stop: () => Promise<void> }>;

function listening(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

const mounts: Record<string, Mount> = {
  'hub.listen': async (hub) => {
    const server = await hub.listen(0);
    return { port: (server.address() as AddressInfo).port, path: '', stop: async () => {} };
  },
  'node:http with hub.handler': async (hub) => {
    const server = createServer(hub.handler);
    const port = await listening(server);
    return { port, path: '', stop: async () => void server.close() };
  },
  'Express under a prefix': async (hub) => {
    const app = express();
    app.use('/realtime', hub.handler);
    const server = createServer(app);
    const port = await listening(server);
    return { port, path: '/realtime', stop: async () => void server.close() };
  },
  "Fastify's hijack": async (hub) => {
    const app = Fastify();
    app.addHook('onRequest', (request, reply, done) => {
      if (!request.url.startsWith('/events')) return done();
      reply.hijack();
      hub.handler(request.raw, reply.raw);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { port: (app.server.address() as AddressInfo).port, path: '', stop: () => app.close() };
  },
};

/** Counts ServerResponse.write calls, to tell the direct path (none per event) from the other. */
let responseWrites = 0;
const originalWrite = ServerResponse.prototype.write;
before(() => {
  ServerResponse.prototype.write = function (this: ServerResponse, ...args: unknown[]) {
    responseWrites++;
    return (originalWrite as (...a: unknown[]) => boolean).apply(this, args);
  } as typeof originalWrite;
});
after(() => {
  ServerResponse.prototype.write = originalWrite;
});

/** A scripted stream: single events, a burst in one tick, a multi-line and a large event, a heartbeat, the end. */
async function script(mount: Mount, directWrites: boolean): Promise<{ wire: string; writes: number }> {
  const hub = createHub({
    jwtKey: TEST_KEY,
    monitor: false,
    heartbeatMs: 300,
    shedRetryMs: 1000,
    directWrites,
  });
  const { port, path, stop } = await mount(hub);
  const socket = connect(port, '127.0.0.1');
  let raw = Buffer.alloc(0);
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('data', (chunk: Buffer) => {
    raw = Buffer.concat([raw, chunk]);
  });
  socket.write(`GET ${path}/events?topic=t HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`);
  const until = async (check: () => boolean) => {
    const deadline = Date.now() + 5000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(raw.toString())}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  await until(() => raw.includes('id: '));
  const writesBefore = responseWrites;
  await hub.publish({ topics: 't', data: 'one' });
  await until(() => raw.includes('data: one'));
  // Three in one tick: one write of three chunks.
  await Promise.all(['a', 'b', 'c'].map((data) => hub.publish({ topics: 't', data, type: 'burst' })));
  await until(() => raw.includes('data: c'));
  await hub.publish({ topics: 't', data: 'two\nlines\r\nand more', retry: 5000 });
  await hub.publish({ topics: 't', data: 'x'.repeat(70_000) });
  await until(() => raw.includes('x'.repeat(70_000)));
  await until(() => raw.toString().includes(':\n\n\r\n')); // a heartbeat
  const writes = responseWrites - writesBefore;
  await hub.close();
  await until(() => raw.toString().endsWith('0\r\n\r\n'));
  socket.end();
  await closed;
  await stop();
  // Ids carry a random per-log epoch and the final retry: is jittered: the same length, other digits.
  const text = raw.toString('latin1');
  const epoch = /id: ([0-9a-z]+)-/.exec(text)![1]!;
  const wire = text
    .replace(/^HTTP[\s\S]*?\r\n\r\n/, '')
    .replaceAll(epoch, 'EPOCH')
    .replace(/retry: 1\d{3}\n/, 'retry: 1XXX\n');
  return { wire, writes };
}

describe('direct socket writes', () => {
  for (const [name, mount] of Object.entries(mounts)) {
    it(`${name}: the same bytes as ServerResponse framing, without a response write per event`, async () => {
      const direct = await script(mount, true);
      const framed = await script(mount, false);
      assert.ok(framed.writes >= 6, `the fallback writes through the response (${framed.writes})`);
      assert.equal(direct.writes, 0, 'the direct path does not call ServerResponse.write');
      assert.equal(direct.wire, framed.wire);
      assert.ok(direct.wire.endsWith('\r\n0\r\n\r\n'), 'a clean chunked end');
    });
  }
});
