// POST /revocations and hub.revoke: matching streams get herald-reauth and end, older tokens of the
// subject (or the one token id) are refused from then on, on every hub of a Redis cluster; bad
// input and unauthorized callers get a status and a reason.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@redis/client';
import { openHub } from '../../src/create-hub.js';
import {
  eventsUrl,
  httpRequest,
  StreamReader,
  startHub,
  TEST_KEY,
  type TestHub,
  token,
} from '../support/hub.js';
import { redisUnavailable, startRedis, type TestRedis } from '../support/redis.js';

function revoke(hub: TestHub, body: unknown, jwt = hub.token, contentType = 'application/json') {
  return httpRequest(`${hub.url}/revocations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${jwt}`, 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const reauths = (reader: StreamReader) => reader.events.filter((e) => e.type === 'herald-reauth');

describe('revocation', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({ monitor: false });
  });
  after(() => hub.close());

  it("ends a subject's streams with herald-reauth, leaves others alone, and refuses its older tokens", async () => {
    const alice = await token({ subscribe: ['users/alice/**'], subject: 'alice' });
    const bob = await token({ subscribe: ['users/bob/**'], subject: 'bob' });
    const a = await StreamReader.open(eventsUrl(hub, ['news']), { authorization: `Bearer ${alice}` });
    const b = await StreamReader.open(eventsUrl(hub, ['news']), { authorization: `Bearer ${bob}` });
    await Promise.all([a.ready(), b.ready()]);
    const answer = await revoke(hub, { subject: 'alice' });
    assert.equal(answer.status, 200, answer.body);
    assert.deepEqual(JSON.parse(answer.body), { ended: 1 });
    await a.ended;
    assert.equal(reauths(a).length, 1);
    assert.match(reauths(a)[0]!.data, /revoked/);
    await hub.publish('news', 'still here');
    await b.take(1);
    assert.equal(reauths(b).length, 0);
    const again = await httpRequest(eventsUrl(hub, ['news']), {
      headers: { authorization: `Bearer ${alice}` },
    });
    assert.equal(again.status, 401);
    assert.match(again.body, /revoked/);
    const metrics = (await httpRequest(`${hub.url}/metrics`)).body;
    assert.match(metrics, /^herald_revoked_streams_total 1$/m);
    assert.match(metrics, /^herald_revocations 1$/m);
    // iat is in whole seconds: a token of the same second as the revocation is refused too.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const fresh = await token({ subscribe: ['users/alice/**'], subject: 'alice' });
    const c = await StreamReader.open(eventsUrl(hub, ['news']), { authorization: `Bearer ${fresh}` });
    assert.equal(c.status, 200, 'a token issued after the revocation works');
    c.close();
    b.close();
  });

  it('revokes one token by its id (jti), not the subject', async () => {
    const first = await token({ subscribe: ['**'], subject: 'carol', tokenId: 'carol-1' });
    const second = await token({ subscribe: ['**'], subject: 'carol', tokenId: 'carol-2' });
    const one = await StreamReader.open(eventsUrl(hub, ['news']), { authorization: `Bearer ${first}` });
    const two = await StreamReader.open(eventsUrl(hub, ['news']), { authorization: `Bearer ${second}` });
    await Promise.all([one.ready(), two.ready()]);
    assert.deepEqual(await hub.hub.revoke({ tokenId: 'carol-1' }), { ended: 1 });
    await one.ended;
    const refused = await httpRequest(eventsUrl(hub, ['news']), {
      headers: { authorization: `Bearer ${first}` },
    });
    assert.equal(refused.status, 401);
    const ok = await httpRequest(`${hub.url}/subscriptions?topic=news`, {
      headers: { authorization: `Bearer ${second}` },
    });
    assert.equal(ok.status, 200);
    assert.equal(reauths(two).length, 0);
    two.close();
  });

  it('bad input and callers that may not revoke get a status and one line', async () => {
    const cases: Array<[unknown, number, RegExp, string?, string?]> = [
      [{}, 400, /exactly one of "subject"/],
      [{ subject: 'a', tokenId: 'b' }, 400, /exactly one of/],
      [{ subjet: 'a' }, 400, /exactly one of/],
      [{ subject: 7 }, 400, /subject must be a non-empty string/],
      [{ subject: 'x'.repeat(300) }, 400, /at most 256 characters/],
      [[], 400, /is an object/],
      ['{"subject":', 400, /not valid JSON/],
      ['subject=a', 415, /application\/json/, undefined, 'application/x-www-form-urlencoded'],
    ];
    for (const [body, status, reason, jwt, type] of cases) {
      const answer = await revoke(hub, body, jwt, type);
      assert.equal(answer.status, status, `${JSON.stringify(body)}: ${answer.body}`);
      assert.match(answer.body, reason);
      assert.equal(answer.body.trimEnd().split('\n').length, 1);
    }
    const subscriber = await token({ subscribe: ['**'] });
    const forbidden = await revoke(hub, { subject: 'a' }, subscriber);
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.body, /may not revoke/);
    const none = await httpRequest(`${hub.url}/revocations`, { method: 'POST', body: '{"subject":"a"}' });
    assert.equal(none.status, 401);
    const big = await revoke(hub, { subject: 'a', pad: 'x'.repeat(10_000) });
    assert.equal(big.status, 413);
    await assert.rejects(hub.hub.revoke({ subject: '' } as never), /non-empty/);
  });
});

/** Asks `url` for a stream with `jwt` and expects the revocation refusal (a stream would not end). */
async function assertRevoked(url: string, jwt: string, what: string): Promise<void> {
  const answer = await StreamReader.open(eventsUrl({ url } as TestHub, ['news']), {
    authorization: `Bearer ${jwt}`,
  });
  if (answer.status !== 200) await answer.ended;
  answer.close();
  assert.equal(answer.status, 401, `${what}: the stream was not refused`);
  assert.match(answer.raw, /revoked/, what);
}

const urlOf = (server: { address(): unknown }) =>
  `http://127.0.0.1:${(server.address() as { port: number }).port}`;

describe('revocation outlives the history and the hub (SQLite)', () => {
  const folder = mkdtempSync(join(tmpdir(), 'herald-revocations-'));
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('a restarted hub refuses what was revoked, though retention trimmed it from the history', async () => {
    // A history of two events: the revocation's record in the log is trimmed at once.
    const options = {
      store: `sqlite:${join(folder, 'hub.db')}`,
      jwtKey: TEST_KEY,
      monitor: false,
      history: { maxEvents: 2 },
    };
    const erin = await token({ subscribe: ['**'], subject: 'erin' });
    const first = await openHub(options);
    await first.revoke({ subject: 'erin' });
    for (let i = 0; i < 5; i++) await first.publish({ topics: ['news'], data: `n${i}` });
    await first.close();
    const second = await openHub(options);
    const server = await second.listen(0);
    try {
      await assertRevoked(urlOf(server), erin, 'after the restart');
    } finally {
      server.close();
      await second.close();
    }
  });
});

describe('revocation across a Redis cluster', { skip: redisUnavailable }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis.stop());

  it('a revocation on one hub ends the streams on the other within a second and is refused there', async () => {
    const store = `${redis.url}?stream=revocations-test`;
    const a = await openHub({ store, jwtKey: TEST_KEY, monitor: false });
    const b = await openHub({ store, jwtKey: TEST_KEY, monitor: false });
    const serverA = await a.listen(0);
    const serverB = await b.listen(0);
    const urlB = `http://127.0.0.1:${(serverB.address() as { port: number }).port}`;
    try {
      const dave = await token({ subscribe: ['**'], subject: 'dave' });
      const stream = await StreamReader.open(eventsUrl({ url: urlB } as TestHub, ['news']), {
        authorization: `Bearer ${dave}`,
      });
      await stream.ready();
      const started = Date.now();
      assert.deepEqual(await a.revoke({ subject: 'dave' }), { ended: 0 }, 'hub A had none of his streams');
      await stream.ended;
      assert.ok(Date.now() - started < 2000, `ended after ${Date.now() - started} ms`);
      assert.equal(reauths(stream).length, 1);
      await assertRevoked(urlB, dave, 'on the other hub');
    } finally {
      serverA.close();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a hub that joins later refuses what was revoked before it started, also after Redis lost it', async () => {
    const store = `${redis.url}?stream=revocations-join`;
    const options = { store, jwtKey: TEST_KEY, monitor: false, history: { maxEvents: 2 } };
    const frank = await token({ subscribe: ['**'], subject: 'frank' });
    const a = await openHub(options);
    await a.revoke({ subject: 'frank' });
    for (let i = 0; i < 5; i++) await a.publish({ topics: ['news'], data: `n${i}` });
    const b = await openHub(options);
    const serverB = await b.listen(0);
    let c: Awaited<ReturnType<typeof openHub>> | undefined;
    try {
      await assertRevoked(urlOf(serverB), frank, 'on a hub that joined after the revocation');
      // Redis restarts empty: the hubs still running write what they know back.
      await redis.restartEmpty();
      const client = createClient({ url: redis.url, RESP: 2 });
      await client.connect();
      try {
        const deadline = Date.now() + 15_000;
        while ((await client.exists('revocations-join:kept')) === 0) {
          assert.ok(Date.now() < deadline, 'the running hubs write their revocations back within 15 s');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } finally {
        client.destroy();
      }
      c = await openHub(options);
      const serverC = await c.listen(0);
      await assertRevoked(urlOf(serverC), frank, 'on a hub that joined after Redis lost everything');
      serverC.close();
    } finally {
      serverB.close();
      await Promise.all([a.close(), b.close(), c?.close()]);
    }
  });
});
