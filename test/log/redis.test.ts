import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StoredEvent } from '../../src/log/event-log.js';
import { RedisLog } from '../../src/log/redis/redis-log.js';
import { redisUnavailable, startRedis, type TestRedis } from '../support/redis.js';
import { readAll, TailRecorder } from './conformance.js';

const event = (data: string, topics = ['t']) => ({ topics, data, private: false });

describe('the Redis log', { skip: redisUnavailable }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis?.stop());

  it('two instances on one stream: both tails see every event of both, once, in one order', async () => {
    const a = await RedisLog.open({ url: redis.url, stream: 'pair' });
    const b = await RedisLog.open({ url: redis.url, stream: 'pair' });
    try {
      const seenA = new TailRecorder();
      const seenB = new TailRecorder();
      a.tail(seenA);
      b.tail(seenB);
      const appended: StoredEvent[] = [];
      for (let burst = 0; burst < 20; burst++) {
        const turn = [];
        for (let i = 0; i < 25; i++) {
          turn.push(a.append(event(`a${burst}.${i}`)));
          turn.push(b.append(event(`b${burst}.${i}`)));
        }
        appended.push(...(await Promise.all(turn)));
      }
      await seenA.waitFor(1000, 5000);
      await seenB.waitFor(1000, 5000);
      const order = seenA.events.map((e) => e.id);
      assert.deepEqual(
        seenB.events.map((e) => e.id),
        order,
        'one order on both',
      );
      assert.equal(new Set(order).size, 1000, 'each once');
      assert.deepEqual([...order].sort(a.compareIds), order, 'in id order');
      assert.deepEqual(new Set(order), new Set(appended.map((e) => e.id)), 'every acknowledged event');
      const byId = new Map(appended.map((e) => [e.id, e]));
      for (const e of seenB.events) assert.deepEqual(e, byId.get(e.id));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('replays across many XRANGE pages with a filter, and bounds what one read examines', async () => {
    const log = await RedisLog.open({ url: redis.url, stream: 'pages', maxEvents: 100_000 });
    try {
      const start = await log.head();
      const batch = [];
      for (let i = 0; i < 7000; i++)
        batch.push(log.append(event(String(i), [i % 7 === 0 ? 'seventh' : 'other'])));
      await Promise.all(batch);
      const seventh = (e: StoredEvent) => e.topics[0] === 'seventh';
      const { events, pages } = await readAll(log, start, seventh, 100);
      assert.deepEqual(
        events.map((e) => Number(e.data)),
        Array.from({ length: 1000 }, (_, i) => i * 7),
      );
      assert.ok(pages >= 10, `${pages} pages of at most 100`);
      // Nothing matches: one read stops after examining its budget and says there is more.
      const none = await log.readAfter(start, () => false, 100);
      assert.deepEqual(none.events, []);
      assert.equal(none.more, true);
      assert.ok(log.compareIds(none.cursor, start) > 0);
      const rest = await readAll(log, start, () => false, 100);
      assert.equal(rest.cursor, await log.head());
    } finally {
      await log.close();
    }
  });
});
