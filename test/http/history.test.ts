// GET /history: the newest events a caller may see, oldest first, paged with before/more/cursor,
// and the hand-over to /events with Last-Event-ID; on memory, SQLite and Redis through a real hub.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/log/open-store.js';
import { eventsUrl, httpRequest, StreamReader, startHub, type TestHub, token } from '../support/hub.js';
import { redisUnavailable, startRedis, type TestRedis } from '../support/redis.js';

interface HistoryJson {
  events: { id: string; topics: string[]; type: string; data: string; time: number }[];
  more: boolean;
  cursor?: string;
}

async function history(
  hub: TestHub,
  query: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; json: HistoryJson; headers: Record<string, unknown> }> {
  const answer = await httpRequest(`${hub.url}/history?${query}`, { headers });
  const isJson = String(answer.headers['content-type']).startsWith('application/json');
  return {
    status: answer.status,
    body: answer.body,
    json: (isJson && answer.status === 200
      ? JSON.parse(answer.body)
      : { events: [], more: false }) as HistoryJson,
    headers: answer.headers,
  };
}

const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });
const datas = (page: HistoryJson) => page.events.map((e) => e.data);

/** Seven events on one topic, paged back three at a time: the rule every store keeps. */
async function checkPaging(hub: TestHub, topic: string): Promise<void> {
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) ids.push(await hub.publish(topic, `p${i}`));
  const first = await history(hub, `topic=${topic}&limit=3`);
  assert.equal(first.status, 200, first.body);
  assert.deepEqual(datas(first.json), ['p4', 'p5', 'p6']);
  assert.deepEqual([first.json.more, first.json.cursor], [true, ids[4]]);
  const second = await history(hub, `topic=${topic}&limit=3&before=${first.json.cursor}`);
  assert.deepEqual(datas(second.json), ['p1', 'p2', 'p3']);
  assert.equal(second.json.more, true);
  const last = await history(hub, `topic=${topic}&limit=3&before=${second.json.cursor}`);
  assert.deepEqual(datas(last.json), ['p0']);
  assert.equal(last.json.more, false);
  assert.equal(last.json.cursor, undefined, 'no cursor without more');
}

/** Private events under a covering token only; the public ones for everyone. */
async function checkPrivacy(hub: TestHub, prefix: string): Promise<void> {
  await hub.publish(`${prefix}/alice`, 'public to alice');
  await hub.publish(`${prefix}/alice`, 'for alice', { private: true });
  await hub.publish(`${prefix}/bob`, 'for bob', { private: true });
  const alice = await token({ subscribe: [`${prefix}/alice`] });
  const query = `topic=${prefix}/*`;
  const asAlice = await history(hub, query, bearer(alice));
  assert.equal(asAlice.status, 200, asAlice.body);
  assert.deepEqual(datas(asAlice.json), ['public to alice', 'for alice']);
  const anonymous = await history(hub, query);
  assert.deepEqual(datas(anonymous.json), ['public to alice']);
}

describe('GET /history (memory store)', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({ monitor: false, history: { maxEvents: 20_000 } });
  });
  after(() => hub.close());

  it('answers the public events under the selectors, oldest first, as JSON that is never cached', async () => {
    await hub.publish('news/a', 'one');
    await hub.publish('news/b', 'two', { type: 'update' });
    await hub.publish('sport/a', 'elsewhere');
    await hub.publish(['news/c', 'sport/b'], 'three');
    const answer = await history(hub, 'topic=news/*');
    assert.equal(answer.status, 200, answer.body);
    assert.match(String(answer.headers['content-type']), /^application\/json/);
    assert.equal(answer.headers['cache-control'], 'no-store');
    assert.deepEqual(datas(answer.json), ['one', 'two', 'three']);
    assert.equal(answer.json.more, false);
    const [one, two, three] = answer.json.events;
    assert.deepEqual(Object.keys(one!).sort(), ['data', 'id', 'time', 'topics', 'type']);
    assert.deepEqual([one!.type, two!.type], ['message', 'update']);
    assert.deepEqual(three!.topics, ['news/c', 'sport/b']);
    assert.ok(Math.abs(one!.time - Date.now()) < 60_000, `time ${one!.time}`);
    const both = await history(hub, 'topic=news/a&topic=sport/a');
    assert.deepEqual(datas(both.json), ['one', 'elsewhere'], 'topic is repeatable');
  });

  it('shows private events only under a token covering one of their topics', async () => {
    await checkPrivacy(hub, 'inbox');
    const stranger = await token({ subscribe: ['inbox/carol'] });
    const asStranger = await history(hub, 'topic=inbox/*', bearer(stranger));
    assert.deepEqual(
      datas(asStranger.json),
      ['public to alice'],
      'a non-covering token sees no private event',
    );
    const everything = await token({ subscribe: ['inbox/**'] });
    const all = await history(hub, 'topic=inbox/alice', bearer(everything));
    assert.deepEqual(datas(all.json), ['public to alice', 'for alice'], 'selectors still choose');
    const expired = await token({ subscribe: ['inbox/**'], ttlSeconds: -10 });
    assert.equal((await history(hub, 'topic=inbox/*', bearer(expired))).status, 401);
  });

  it('limit counts the events the caller receives: private ones it may not see are skipped', async () => {
    const fresh = await startHub({ monitor: false });
    try {
      await fresh.publish('mixed', 'public 1');
      await fresh.publish('mixed', 'public 2');
      for (let i = 0; i < 5; i++) await fresh.publish('mixed', `private ${i}`, { private: true });
      const answer = await history(fresh, 'topic=mixed&limit=2');
      assert.deepEqual(datas(answer.json), ['public 1', 'public 2']);
      assert.equal(answer.json.more, false, 'nothing older is left');
    } finally {
      await fresh.close();
    }
  });

  it('bounds the scan of events it may not see, and says where to go on', async () => {
    await hub.publish('hidden', 'old and public');
    for (let i = 0; i < 5_001; i++)
      await hub.hub.publish({ topics: 'hidden', data: String(i), private: true });
    const first = await history(hub, 'topic=hidden&limit=10');
    assert.equal(first.status, 200, first.body);
    assert.deepEqual([first.json.events, first.json.more], [[], true]);
    assert.ok(first.json.cursor, 'a cursor to go on from');
    const next = await history(hub, `topic=hidden&limit=10&before=${first.json.cursor}`);
    assert.deepEqual(datas(next.json), ['old and public']);
    assert.equal(next.json.more, false);
  });

  it('pages back with before, more and cursor', async () => {
    // A hub of its own: `more` says whether older events are left, whatever their topics.
    const fresh = await startHub({ monitor: false });
    try {
      await checkPaging(fresh, 'paged');
    } finally {
      await fresh.close();
    }
  });

  it('takes limit from 1 to 500, 50 by default', async () => {
    for (let i = 0; i < 60; i++) await hub.publish('many', String(i));
    const byDefault = await history(hub, 'topic=many');
    assert.equal(byDefault.json.events.length, 50);
    assert.equal(byDefault.json.events[0]!.data, '10');
    assert.equal((await history(hub, 'topic=many&limit=500')).json.events.length, 60);
    assert.equal((await history(hub, 'topic=many&limit=1')).json.events[0]!.data, '59');
    for (const limit of ['0', '501', '-1', '1.5', 'ten', '', '99999999']) {
      const answer = await history(hub, `topic=many&limit=${limit}`);
      assert.equal(answer.status, 400, `limit=${limit}: ${answer.body}`);
      assert.match(answer.body, /limit must be a whole number from 1 to 500/);
    }
  });

  it('refuses bad parameters with a reason', async () => {
    const cases: [string, RegExp][] = [
      ['', /at least one topic is required/],
      ['limit=5', /at least one topic is required/],
      ['topic=a//b', /./],
      ['topic=a&limt=5', /"limt" is not a history parameter; did you mean "limit"\?/],
      ['topic=a&topics=b', /did you mean "topic"\?/],
      ['topic=a&foo=1', /"foo" is not a history parameter; the parameters are topic, limit, before/],
      ['topic=a&before=garbage', /before "garbage" is not an id of this hub's events/],
      ['topic=a&before=', /before must be an event id/],
      ['topic=$HERALD/revocations', /the hub's own/],
    ];
    for (const [query, reason] of cases) {
      const answer = await history(hub, query);
      assert.ok(answer.status === 400 || answer.status === 403, `${query}: ${answer.status} ${answer.body}`);
      assert.match(answer.body, reason, query);
      assert.doesNotMatch(answer.body.trim(), /\n/, 'one line');
    }
    const elsewhere = await startHub({ monitor: false });
    try {
      const foreign = await elsewhere.publish('a', 'x');
      const answer = await history(hub, `topic=a&before=${foreign}`);
      assert.equal(answer.status, 400, answer.body);
      assert.match(answer.body, /not an id of this hub's events/);
    } finally {
      await elsewhere.close();
    }
    const post = await httpRequest(`${hub.url}/history?topic=a`, { method: 'POST' });
    assert.equal(post.status, 405);
  });

  it('hands over to /events with Last-Event-ID: nothing missed, nothing twice', async () => {
    await hub.publish('handover', 'h0');
    await hub.publish('handover', 'h1');
    const page = await history(hub, 'topic=handover&limit=10');
    assert.deepEqual(datas(page.json), ['h0', 'h1']);
    const newest = page.json.events.at(-1)!.id;
    // Published after the page was rendered and before the stream opened: the stream must bring it.
    await hub.publish('handover', 'h2');
    const reader = await StreamReader.open(eventsUrl(hub, ['handover']), { 'last-event-id': newest });
    try {
      await reader.take(1);
      await hub.publish('handover', 'h3');
      const events = await reader.take(2);
      assert.deepEqual(
        events.map((e) => e.data),
        ['h2', 'h3'],
      );
      assert.ok(!reader.events.some((e) => e.type === 'herald-gap'), 'no gap');
    } finally {
      reader.close();
    }
  });

  it('has a per-client budget of its own', async () => {
    const limited = await startHub({ monitor: false, limits: { maxHistoryReadsPerSecondPerClient: 2 } });
    try {
      const statuses: number[] = [];
      let refusal = '';
      for (let i = 0; i < 10; i++) {
        const answer = await history(limited, 'topic=a');
        statuses.push(answer.status);
        if (answer.status === 429) refusal = answer.body;
      }
      assert.ok(statuses.includes(429), `${statuses}`);
      assert.match(refusal, /too many history reads: at most 2 per second per client/);
    } finally {
      await limited.close();
    }
  });

  it('is the library call hub.history too, with the public view', async () => {
    await hub.publish('library', 'seen');
    await hub.publish('library', 'unseen', { private: true });
    const answer = await hub.hub.history({ topics: ['library'], limit: 5 });
    assert.deepEqual(
      answer.events.map((e) => e.data),
      ['seen'],
    );
  });
});

describe('GET /history (SQLite store)', () => {
  let dir: string;
  let hub: TestHub;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herald-history-'));
    hub = await startHub({ store: await openStore(`sqlite:${join(dir, 'h.db')}`), monitor: false });
  });
  after(async () => {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pages back', () => checkPaging(hub, 'sqlite/paged'));
  it('shows private events under a covering token only', () => checkPrivacy(hub, 'sqlite-inbox'));
});

describe('GET /history (Redis store)', { skip: redisUnavailable }, () => {
  let redis: TestRedis;
  let hub: TestHub;
  before(async () => {
    redis = await startRedis();
    hub = await startHub({ store: await openStore(`${redis.url}?stream=history`), monitor: false });
  });
  after(async () => {
    await hub?.close();
    await redis?.stop();
  });

  it('pages back', () => checkPaging(hub, 'redis/paged'));
  it('shows private events under a covering token only', () => checkPrivacy(hub, 'redis-inbox'));
});
