// The hub mounted behind body parsers that already read the request: Express with express.json()
// and express.urlencoded() in front, Fastify routes, a Koa-style server that consumed ctx.req.
// A body a parser read is used; one that cannot be (nested form values, a consumed stream with no
// req.body) is refused with a reason naming the cause and the fix, not "at least one topic".
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { createHub, type HeraldHub } from '../../src/create-hub.js';
import { httpRequest, StreamReader, TEST_KEY, token } from '../support/hub.js';

function listening(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

/** A JSON or form POST to `path` under `base`, with a token of the given claims. */
async function post(
  base: string,
  path: string,
  contentType: string,
  body: string,
  claims: { publish?: string[]; subscribe?: string[] } = { publish: ['**'] },
) {
  return httpRequest(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await token(claims)}`, 'content-type': contentType },
    body,
  });
}

const publish = (base: string, contentType: string, body: string) =>
  post(base, '/publish', contentType, body);

/** Publishes as a form and as JSON through `base`; both events arrive as sent. */
async function publishesBoth(base: string): Promise<void> {
  const reader = await StreamReader.open(`${base}/events?topic=parsed/*`);
  await reader.ready();
  const form = await publish(
    base,
    'application/x-www-form-urlencoded',
    'topic=parsed/a&topic=parsed/b&data=hi+there',
  );
  assert.equal(form.status, 200, form.body);
  const json = await publish(
    base,
    'application/json',
    JSON.stringify({ topic: 'parsed/c', data: { n: 1 }, type: 't' }),
  );
  assert.equal(json.status, 200, json.body);
  const events = await reader.take(2);
  assert.deepEqual(
    events.map((e) => [e.type, e.data]),
    [
      ['message', 'hi there'],
      ['t', '{"n":1}'],
    ],
  );
  reader.close();
}

describe('the hub behind body parsers', () => {
  let hub: HeraldHub;
  const servers: Server[] = [];
  const fastifies: FastifyInstance[] = [];
  before(() => {
    hub = createHub({ jwtKey: TEST_KEY, monitor: false });
  });
  after(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
    for (const app of fastifies) {
      app.server.closeAllConnections();
      await app.close();
    }
    await hub.close();
  });

  async function expressApp(setup: (app: express.Express) => void): Promise<string> {
    const app = express();
    setup(app);
    app.use('/realtime', hub.handler);
    const server = createServer(app);
    servers.push(server);
    return `${await listening(server)}/realtime`;
  }

  it('Express with express.json() and express.urlencoded({extended: false}) in front: form and JSON publish', async () => {
    const base = await expressApp((app) => {
      app.use(express.json());
      app.use(express.urlencoded({ extended: false }));
    });
    await publishesBoth(base);
    const revoked = await post(base, '/revocations', 'application/json', '{"subject":"nobody"}');
    assert.equal(revoked.status, 200, revoked.body);
    assert.deepEqual(JSON.parse(revoked.body), { ended: 0 });
    const ticket = await post(base, '/tickets', 'application/json', '{}', { subscribe: ['a'] });
    assert.equal(ticket.status, 200, ticket.body);
    const bad = await publish(base, 'application/json', '{"topic": "parsed/x", "data": 1, "colour": "red"}');
    assert.equal(bad.status, 400);
    assert.match(bad.body, /colour/, 'the hub still checks the fields of a parsed body');
  });

  it('Express with express.text() and express.raw(): the string or Buffer is the body', async () => {
    const base = await expressApp((app) => {
      app.use(express.text({ type: 'application/x-www-form-urlencoded' }));
      app.use(express.raw({ type: 'application/json' }));
    });
    await publishesBoth(base);
  });

  it('Express with urlencoded({extended: true}): flat forms publish, nested values are refused with the fix', async () => {
    const base = await expressApp((app) => app.use(express.urlencoded({ extended: true })));
    const reader = await StreamReader.open(`${base}/events?topic=parsed/*`);
    await reader.ready();
    const flat = await publish(base, 'application/x-www-form-urlencoded', 'topic=parsed/a&data=x');
    assert.equal(flat.status, 200, flat.body);
    assert.equal((await reader.take(1))[0]!.data, 'x');
    reader.close();
    const nested = await publish(base, 'application/x-www-form-urlencoded', 'topic=parsed/a&data[x]=1');
    assert.equal(nested.status, 500);
    assert.match(nested.body, /nested values \(field "data"; urlencoded extended: true\)/);
    assert.match(nested.body, /mount the hub before body parsers/);
    assert.equal(nested.body.trim().split('\n').length, 1);
  });

  it('a Koa-style server that consumed the request stream without req.body: refused with the cause and the fix', async () => {
    const server = createServer(async (req: IncomingMessage, res) => {
      for await (const _ of req); // what a Koa body parser does to ctx.req, keeping the result elsewhere
      hub.handler(req, res);
    });
    servers.push(server);
    const base = await listening(server);
    const answer = await publish(base, 'application/json', '{"topic":"parsed/a","data":"x"}');
    assert.equal(answer.status, 500);
    assert.match(
      answer.body,
      /^the request body was read before the hub saw it, and req\.body is not set: mount the hub before body parsers/,
    );
    const revoked = await post(base, '/revocations', 'application/json', '{"subject":"nobody"}');
    assert.equal(revoked.status, 500);
    assert.match(revoked.body, /req\.body is not set/);
  });

  it('a Koa-style server that sets req.body to its parsed body: publishes', async () => {
    const server = createServer(async (req: IncomingMessage & { body?: unknown }, res) => {
      const parts: Buffer[] = [];
      for await (const part of req) parts.push(part as Buffer);
      const text = Buffer.concat(parts).toString('utf8');
      req.body = req.headers['content-type'] === 'application/json' ? JSON.parse(text) : text;
      hub.handler(req, res);
    });
    servers.push(server);
    await publishesBoth(await listening(server));
  });

  it('a Fastify route after its body parsing: refused with the fix, and publishes once request.raw.body is set', async () => {
    const app = Fastify();
    fastifies.push(app);
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
      done(null, body),
    );
    app.post('/bare/publish', (request, reply) => {
      reply.hijack();
      request.raw.url = '/publish';
      hub.handler(request.raw, reply.raw);
    });
    app.all('/rt/*', (request, reply) => {
      reply.hijack();
      (request.raw as { body?: unknown }).body = request.body;
      request.raw.url = request.raw.url!.slice('/rt'.length);
      hub.handler(request.raw, reply.raw);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const bare = await publish(`${origin}/bare`, 'application/json', '{"topic":"parsed/a","data":"x"}');
    assert.equal(bare.status, 500);
    assert.match(bare.body, /req\.body is not set/);
    await publishesBoth(`${origin}/rt`);
  });
});
