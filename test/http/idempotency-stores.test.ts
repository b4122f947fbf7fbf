// Idempotent publishing where it is hard: hubs of one Redis cluster racing with one key, Redis
// stalled (SIGSTOP) so that appends time out and run later, and a SQLite hub restarted.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/log/open-store.js';
import { eventsUrl, type HttpAnswer, StreamReader, sleep, startHub, type TestHub } from '../support/hub.js';
import { redisUnavailable, startRedis, type TestRedis } from '../support/redis.js';

const keyed = (key: string) => ({ 'idempotency-key': key });

async function hubOn(store: string): Promise<TestHub> {
  return startHub({ store: await openStore(store), monitor: false });
}

describe('Idempotency-Key on a Redis cluster', { skip: redisUnavailable }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis?.stop());

  it('the same key sent to two hubs at once stores one event', async () => {
    const store = `${redis.url}?stream=idempotency-race`;
    const a = await hubOn(store);
    const b = await hubOn(store);
    const reader = await StreamReader.open(eventsUrl(b, ['race']));
    try {
      await reader.ready();
      const rounds = 20;
      for (let round = 0; round < rounds; round++) {
        const body = { topic: 'race', data: String(round) };
        const [fromA, fromB] = await Promise.all([
          a.post(body, keyed(`race-${round}`)),
          b.post(body, keyed(`race-${round}`)),
        ]);
        assert.equal(fromA.status, 200, fromA.body);
        assert.equal(fromB.status, 200, fromB.body);
        assert.equal(fromA.body, fromB.body, `round ${round}: one id`);
        const replays = [fromA, fromB].filter((r) => r.headers['idempotent-replayed'] === 'true');
        assert.equal(replays.length, 1, `round ${round}: one of the two is a replay`);
      }
      await reader.take(rounds);
      await sleep(300);
      assert.deepEqual(
        reader.events.map((e) => e.data),
        Array.from({ length: rounds }, (_, i) => String(i)),
        'each event once',
      );
    } finally {
      reader.close();
      await a.close();
      await b.close();
    }
  });

  it('Redis stopped (SIGSTOP) during publishes: each 503 says the outcome is unknown; retried with its key after SIGCONT, every event arrives once', async () => {
    const hub = await hubOn(`${redis.url}?stream=idempotency-stall`);
    const reader = await StreamReader.open(eventsUrl(hub, ['stall']));
    try {
      await reader.ready();
      const n = 12;
      const publish = (i: number) => hub.post({ topic: 'stall', data: String(i) }, keyed(`stall-${i}`));
      assert.equal((await publish(0)).status, 200, 'published before the stall');
      redis.pause();
      let answers: HttpAnswer[];
      try {
        const pending: Promise<HttpAnswer>[] = [];
        for (let i = 1; i < n; i++) {
          pending.push(publish(i));
          await sleep(50);
        }
        answers = await Promise.all(pending);
      } finally {
        redis.resume();
      }
      const refused = answers.flatMap((answer, i) => (answer.status === 503 ? [i + 1] : []));
      assert.ok(refused.length > 0, 'publishes during the stall are refused');
      for (const i of refused) {
        const answer = answers[i - 1]!;
        assert.ok(Number(answer.headers['retry-after']) >= 1, 'with Retry-After');
        assert.match(answer.body, /did not answer in time.*the event may have been stored/);
        assert.match(answer.body, /Idempotency-Key/);
      }
      for (const i of refused) {
        const retried = await publish(i);
        assert.equal(retried.status, 200, `retry of ${i}: ${retried.body}`);
      }
      await reader.take(n, 10_000);
      await sleep(500);
      const seen = reader.events.map((e) => Number(e.data));
      assert.deepEqual(
        [...seen].sort((x, y) => x - y),
        Array.from({ length: n }, (_, i) => i),
        `every event exactly once (got ${seen.join(',')})`,
      );
      assert.equal(new Set(reader.events.map((e) => e.lastEventId)).size, n, 'one id each');
    } finally {
      reader.close();
      await hub.close();
    }
  });
});

describe('Idempotency-Key across a SQLite restart', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'herald-idempotency-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a key used before the restart answers the same id after it, and nothing is appended', async () => {
    const store = `sqlite:${join(dir, 'events.db')}`;
    const first = await hubOn(store);
    const published = await first.post({ topic: 'kept', data: 'once' }, keyed('before-restart'));
    assert.equal(published.status, 200, published.body);
    const head = await first.hub.head();
    await first.close();

    const second = await hubOn(store);
    try {
      const retried = await second.post({ topic: 'kept', data: 'once' }, keyed('before-restart'));
      assert.equal(retried.status, 200, retried.body);
      assert.equal(retried.body, published.body, 'the first id');
      assert.equal(retried.headers['idempotent-replayed'], 'true');
      assert.equal(await second.hub.head(), head, 'nothing appended');
      assert.equal(second.hub.stats().history.events, 1);
    } finally {
      await second.close();
    }
  });
});
