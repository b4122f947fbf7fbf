import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { createHub, type HeraldHub } from '../../src/create-hub.js';
import { httpRequest, StreamReader, TEST_KEY, token } from '../support/hub.js';

/** Subscribes through `base`, publishes through `base`, and checks the event arrives. */
async function roundTrip(base: string): Promise<void> {
  const reader = await StreamReader.open(`${base}/events?topic=adapters/*`);
  assert.equal(reader.status, 200);
  assert.equal(reader.headers['content-type'], 'text/event-stream; charset=utf-8');
  await reader.ready();
  const published = await httpRequest(`${base}/publish`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await token({ publish: ['adapters/**'] })}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ topic: 'adapters/x', data: { n: 1 }, type: 'tick' }),
  });
  assert.equal(published.status, 200, published.body);
  const [event] = await reader.take(1);
  assert.deepEqual(event, { type: 'tick', data: '{"n":1}', lastEventId: published.body.trimEnd() });
  const refused = await httpRequest(`${base}/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(refused.status, 401);
  reader.close();
}

function listening(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

async function withHub(run: (hub: HeraldHub) => Promise<void>): Promise<void> {
  const hub = createHub({ jwtKey: TEST_KEY, monitor: false });
  try {
    await run(hub);
  } finally {
    await hub.close();
  }
}

describe('mounting the hub in other servers', () => {
  it('node:http with hub.handler', () =>
    withHub(async (hub) => {
      const server = createServer(hub.handler);
      const port = await listening(server);
      await roundTrip(`http://127.0.0.1:${port}`);
      server.closeAllConnections();
      server.close();
    }));

  it('Express, under a path prefix', () =>
    withHub(async (hub) => {
      const app = express();
      app.get('/', (_req, res) => {
        res.send('the app');
      });
      app.use('/realtime', hub.handler);
      const server = createServer(app);
      const port = await listening(server);
      await roundTrip(`http://127.0.0.1:${port}/realtime`);
      assert.equal((await httpRequest(`http://127.0.0.1:${port}/`)).body, 'the app');
      server.closeAllConnections();
      server.close();
    }));

  it('Fastify, handing the raw request over before body parsing', () =>
    withHub(async (hub) => {
      const app = Fastify();
      app.addHook('onRequest', (request, reply, done) => {
        if (!/^\/(events|publish)(\?|$)/.test(request.url)) return done();
        reply.hijack();
        hub.handler(request.raw, reply.raw);
      });
      app.get('/', async () => 'the app');
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.server.address() as AddressInfo).port;
      await roundTrip(`http://127.0.0.1:${port}`);
      app.server.closeAllConnections();
      await app.close();
    }));

  it('Hono (Fetch API) with hub.fetch', () =>
    withHub(async (hub) => {
      const app = new Hono();
      app.all('/rt/*', (c) => {
        const url = new URL(c.req.url);
        url.pathname = url.pathname.slice('/rt'.length);
        return hub.fetch(new Request(url, c.req.raw));
      });
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
      await new Promise((resolve) => server.once('listening', resolve));
      const port = (server.address() as AddressInfo).port;
      await roundTrip(`http://127.0.0.1:${port}/rt`);
      server.closeAllConnections();
      server.close();
    }));
});
