// Three (or two) `herald serve` processes on one Redis stream, each test with a redis-server of its
// own: every subscriber gets every event once and in the same order on every hub; a hub killed with
// kill -9 loses none of its clients' events (they fail over with Last-Event-ID); a stopped Redis
// turns publishes into bounded 503s and loses nothing acknowledged; an emptied Redis is a
// herald-gap; private events stay with authorized subscribers on every hub.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventSource } from '../../src/client/event-source.js';
import { compareStreamIds } from '../../src/log/redis/stream-ids.js';
import { StreamReader, token } from '../support/hub.js';
import { redisUnavailable, startRedis, type TestRedis } from '../support/redis.js';
import type { RunningHub } from './helpers.js';
import { freePort, herald, stopAll } from './helpers.js';
import { post, publishSeq, range, startStoreHub, until } from './store-helpers.js';

after(stopAll);

/** A fetch that sends each attempt to the first hub of `bases` that answers, rotating past dead ones. */
function failoverFetch(bases: readonly string[], start: number) {
  let index = start;
  const used: string[] = [];
  const fetchLike = async (input: string, init: RequestInit): Promise<Response> => {
    const path = new URL(input);
    let lastError: unknown;
    for (let tried = 0; tried < bases.length; tried++) {
      const base = bases[index % bases.length]!;
      try {
        const response = await fetch(`${base}${path.pathname}${path.search}`, init);
        used.push(base);
        return response;
      } catch (error) {
        lastError = error;
        index++;
      }
    }
    throw lastError;
  };
  return { fetch: fetchLike, used };
}

/** A herald/client EventSource that records the sequence numbers (data) and herald-gap events. */
class Subscriber {
  readonly seqs: number[] = [];
  readonly ids: string[] = [];
  gaps = 0;
  opened = 0;
  readonly source: EventSource;
  readonly used: string[];

  constructor(bases: readonly string[], start: number, topic: string) {
    const failover = failoverFetch(bases, start);
    this.used = failover.used;
    this.source = new EventSource(`http://hub.invalid/events?topic=${encodeURIComponent(topic)}`, {
      fetch: failover.fetch,
      reconnectDelay: 100,
      maxReconnectDelay: 500,
    });
    this.source.onopen = () => {
      this.opened++;
    };
    this.source.onmessage = (event) => {
      this.seqs.push(Number(event.data));
      this.ids.push(event.lastEventId);
    };
    this.source.addEventListener('herald-gap', () => {
      this.gaps++;
    });
  }

  close(): void {
    this.source.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The acknowledged sequence numbers in log (id) order. */
function inLogOrder(acked: ReadonlyMap<number, string>): number[] {
  return [...acked.entries()].sort((a, b) => compareStreamIds(a[1], b[1])).map(([seq]) => seq);
}

function assertOnceEach(seqs: readonly number[], what: string): void {
  assert.equal(new Set(seqs).size, seqs.length, `${what}: something arrived twice: ${seqs}`);
}

describe('herald serve --store redis: a cluster of hubs', { skip: redisUnavailable, timeout: 90_000 }, () => {
  let redis: TestRedis;
  const hubs: RunningHub[] = [];
  const subscribers: Subscriber[] = [];

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const s of subscribers) s.close();
    for (const hub of hubs) hub.proc.child.kill('SIGKILL');
    await redis?.stop();
  });

  it('three hubs: every subscriber gets every event once, in one order; kill -9 of a hub loses nothing', async () => {
    const stream = `${redis.url}?stream=order`;
    for (let i = 0; i < 3; i++) hubs.push(await startStoreHub(stream));
    const bases = hubs.map((h) => h.url);
    for (let i = 0; i < 6; i++) subscribers.push(new Subscriber(bases, i % 3, 'cluster/x'));
    await until(() => subscribers.every((s) => s.opened > 0), 'every subscriber open');
    await sleep(200);

    const acked = new Map<number, string>();
    let next = 0;
    const live = new Set([0, 1, 2]);
    // Two publishers, each posting to the hubs in turn (skipping the dead one).
    const publisher = async (offset: number, count: number) => {
      for (let n = 0; n < count; n++) {
        const seq = next++;
        const target = [...live][(n + offset) % live.size]!;
        try {
          const answer = await post(bases[target]!, { topic: 'cluster/x', data: String(seq) }, 5000);
          if (answer.status === 200) acked.set(seq, answer.body.trimEnd());
        } catch {
          // The killed hub: not acknowledged.
        }
        if (n % 10 === 0) await sleep(5);
      }
    };
    const publishing = Promise.all([publisher(0, 150), publisher(1, 150)]);
    await until(() => acked.size >= 80, 'a third of the publishes');
    // kill -9 the third hub mid-stream; its two subscribers fail over.
    live.delete(2);
    hubs[2]!.proc.child.kill('SIGKILL');
    await publishing;
    assert.ok(acked.size >= 280, `most publishes acknowledged (${acked.size})`);

    const expected = inLogOrder(acked);
    await until(
      () => subscribers.every((s) => expected.every((seq) => s.seqs.includes(seq))),
      'every acknowledged event on every subscriber',
      20_000,
    );
    await sleep(300);
    const reference = subscribers[0]!.seqs;
    for (const [i, s] of subscribers.entries()) {
      assertOnceEach(s.seqs, `subscriber ${i}`);
      assert.deepEqual(s.seqs, reference, `subscriber ${i} saw the same order as subscriber 0`);
      assert.deepEqual(
        s.seqs.filter((seq) => acked.has(seq)),
        expected,
        `subscriber ${i}: every acknowledged event, in log order`,
      );
      assert.equal(s.gaps, 0, `subscriber ${i}: no herald-gap`);
    }
    // The subscribers of the killed hub did move to another hub.
    for (const s of [subscribers[2]!, subscribers[5]!]) {
      assert.equal(s.used[0], bases[2]);
      assert.ok(s.opened >= 2, 'reconnected');
      assert.notEqual(s.used.at(-1), bases[2]);
    }
    for (const s of subscribers.splice(0)) s.close();
  });

  it('Redis stopped (SIGSTOP) for 3 s: publishes answer 503 in bounded time, streams stay open, nothing lost or doubled', async () => {
    const stream = `${redis.url}?stream=stop`;
    const pair = [await startStoreHub(stream), await startStoreHub(stream)];
    hubs.push(...pair);
    const bases = pair.map((h) => h.url);
    const subs = [new Subscriber(bases, 0, 'stop/x'), new Subscriber(bases, 1, 'stop/x')];
    subscribers.push(...subs);
    await until(() => subs.every((s) => s.opened > 0), 'both subscribers open');
    await sleep(200);
    const acked = new Map<number, string>();
    let seq = 0;
    for (; seq < 10; seq++) acked.set(seq, await publishSeq(bases[seq % 2]!, 'stop/x', seq));

    redis.pause();
    const stoppedAt = Date.now();
    const refused: { status: number; ms: number; body: string; retryAfter: unknown }[] = [];
    try {
      for (let i = 0; i < 2; i++, seq++) {
        const started = Date.now();
        const answer = await post(bases[i]!, { topic: 'stop/x', data: String(seq) }, 8000);
        refused.push({
          status: answer.status,
          ms: Date.now() - started,
          body: answer.body,
          retryAfter: answer.headers['retry-after'],
        });
      }
      const left = 3000 - (Date.now() - stoppedAt);
      if (left > 0) await sleep(left);
    } finally {
      redis.resume();
    }
    for (const r of refused) {
      assert.equal(r.status, 503, r.body);
      assert.ok(r.ms < 4000, `answered within 4 s (took ${r.ms} ms)`);
      assert.match(r.body, /event store is unavailable/);
      assert.ok(r.retryAfter !== undefined, 'Retry-After');
    }
    assert.equal(
      subs.every((s) => s.opened === 1),
      true,
      'the streams stayed open',
    );

    // Once Redis answers again, publishing works (allow the hubs a moment to reconnect).
    for (const n of range(0, 10)) {
      const s = seq++;
      const deadline = Date.now() + 10_000;
      for (;;) {
        const answer = await post(bases[n % 2]!, { topic: 'stop/x', data: String(s) }, 5000);
        if (answer.status === 200) {
          acked.set(s, answer.body.trimEnd());
          break;
        }
        assert.ok(Date.now() < deadline, `publishing resumed (${answer.status} ${answer.body})`);
        await sleep(100);
      }
    }
    const expected = inLogOrder(acked);
    await until(
      () => subs.every((s) => expected.every((n) => s.seqs.includes(n))),
      'every acknowledged event on both subscribers',
      15_000,
    );
    await sleep(300);
    for (const s of subs) {
      assertOnceEach(s.seqs, 'a subscriber');
      assert.deepEqual(
        s.seqs.filter((n) => acked.has(n)),
        expected,
      );
      assert.equal(s.gaps, 0);
    }
    assert.deepEqual(subs[0]!.seqs, subs[1]!.seqs);
    for (const s of subs) s.close();
  });

  it('says at start whether the stream is new or how many events it holds', async () => {
    const stream = `${redis.url}?stream=opening`;
    const first = await startStoreHub(stream);
    hubs.push(first);
    assert.match(
      first.proc.stdout,
      /"msg":"store redis:\/\/[^"]*: the stream does not exist yet, it starts empty"/,
    );
    for (const seq of range(0, 3)) await publishSeq(first.url, 'opening/x', seq);
    const second = await startStoreHub(stream);
    hubs.push(second);
    assert.match(second.proc.stdout, /"msg":"store redis:\/\/[^"]*: the stream holds 3 events"/);
  });

  it('Redis restarted empty: subscribers get herald-gap, then the new events', async () => {
    const stream = `${redis.url}?stream=empty`;
    const pair = [await startStoreHub(stream), await startStoreHub(stream)];
    hubs.push(...pair);
    const bases = pair.map((h) => h.url);
    const subs = [new Subscriber(bases, 0, 'empty/x'), new Subscriber(bases, 1, 'empty/x')];
    subscribers.push(...subs);
    await until(() => subs.every((s) => s.opened > 0), 'both subscribers open');
    await sleep(200);
    for (const seq of range(0, 5)) await publishSeq(bases[seq % 2]!, 'empty/x', seq);
    await until(() => subs.every((s) => s.seqs.length === 5), 'the first events');

    await redis.restartEmpty();
    await until(() => subs.every((s) => s.gaps === 1), 'herald-gap on both subscribers', 15_000);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const answer = await post(bases[0]!, { topic: 'empty/x', data: '100' }, 5000);
      if (answer.status === 200) break;
      assert.ok(Date.now() < deadline, `publishing resumed (${answer.status} ${answer.body})`);
      await sleep(100);
    }
    await until(() => subs.every((s) => s.seqs.includes(100)), 'the event after the restart');
    for (const s of subs) assert.deepEqual(s.seqs, [0, 1, 2, 3, 4, 100]);
    for (const s of subs) s.close();
  });

  it('a private event published on one hub reaches only authorized subscribers, on every hub', async () => {
    const stream = `${redis.url}?stream=private`;
    const pair = [await startStoreHub(stream), await startStoreHub(stream)];
    hubs.push(...pair);
    const [a, b] = pair as [RunningHub, RunningHub];
    const subscriber = await token({ subscribe: ['secret/**'] });
    const url = (hub: RunningHub) => `${hub.url}/events?topic=secret/x`;
    const readers = {
      anonymousA: await StreamReader.open(url(a)),
      anonymousB: await StreamReader.open(url(b)),
      authorizedB: await StreamReader.open(url(b), { authorization: `Bearer ${subscriber}` }),
      authorizedA: await StreamReader.open(url(a), { authorization: `Bearer ${subscriber}` }),
    };
    for (const reader of Object.values(readers)) await reader.ready();
    await sleep(200);
    await publishSeq(a.url, 'secret/x', 1, { private: true });
    await publishSeq(a.url, 'secret/x', 2);
    for (const reader of Object.values(readers))
      await reader.until(() => reader.events.some((e) => e.data === '2'), 'the public marker');
    await sleep(200);
    const data = (r: StreamReader) => r.events.map((e) => e.data);
    assert.deepEqual(data(readers.anonymousA), ['2']);
    assert.deepEqual(data(readers.anonymousB), ['2']);
    assert.deepEqual(data(readers.authorizedA), ['1', '2']);
    assert.deepEqual(data(readers.authorizedB), ['1', '2']);
    for (const reader of Object.values(readers)) reader.close();
  });
});

describe('herald serve --store redis: startup', { timeout: 20_000 }, () => {
  it('an unreachable Redis exits 1 with one line, without the password', async () => {
    const port = await freePort();
    const result = await herald(['serve', '--port', '0', '--store', `redis://u:hunter2@127.0.0.1:${port}`], {
      timeoutMs: 10_000,
    });
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /^herald: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(stream herald\): .*\n$/,
    );
    assert.doesNotMatch(result.stderr + result.stdout, /hunter2/);
  });
});

describe('GET /subscriptions across a Redis cluster', { skip: redisUnavailable, timeout: 60_000 }, () => {
  it('counts every hub’s subscribers; a killed hub’s drop out within three heartbeats', async () => {
    const redis = await startRedis();
    const readers: StreamReader[] = [];
    try {
      const store = `${redis.url}?stream=presence`;
      const a = await startStoreHub(store, ['--presence-interval', '200']);
      const b = await startStoreHub(store, ['--presence-interval', '200']);
      const secret = await token({ subscribe: ['room/**'] });
      for (const [hub, headers] of [
        [a, {}],
        [a, {}],
        [b, {}],
        [b, { authorization: `Bearer ${secret}` }],
      ] as const) {
        const reader = await StreamReader.open(`${hub.url}/events?topic=room/a`, headers);
        await reader.ready();
        readers.push(reader);
      }
      const ask = async (hub: RunningHub, bearer?: string) => {
        const answer = await httpRequestJson(`${hub.url}/subscriptions?topic=room/a`, bearer);
        return answer as { counts: Record<string, number>; scope: string; hubs: number };
      };
      let seen: unknown;
      // Each hub reads the other's counts from its latest heartbeat: wait until both have one.
      await until(async () => {
        const answers = [await ask(a), await ask(b)];
        seen = answers;
        return answers.every((answer) => answer.hubs === 2 && answer.counts['room/a'] === 3);
      }, 'both hubs counted');
      assert.deepEqual(
        await ask(b),
        { counts: { 'room/a': 3 }, scope: 'cluster', hubs: 2 },
        JSON.stringify(seen),
      );
      assert.equal((await ask(a, secret)).counts['room/a'], 4, 'the private subscription on the other hub');

      b.proc.child.kill('SIGKILL');
      const killed = Date.now();
      await until(async () => (await ask(a)).hubs === 1, 'the killed hub dropping out', 5000);
      const took = Date.now() - killed;
      assert.ok(took <= 3 * 200 + 1400, `dropped out within three heartbeats (took ${took} ms)`);
      assert.deepEqual(await ask(a), { counts: { 'room/a': 2 }, scope: 'cluster', hubs: 1 });
      a.proc.child.kill('SIGTERM');
      await a.proc.exit(10_000);
    } finally {
      for (const r of readers) r.close();
      await redis.stop();
    }
  });
});

async function httpRequestJson(url: string, bearer?: string): Promise<unknown> {
  const response = await fetch(url, {
    headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` },
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(response.status, 200);
  return response.json();
}
