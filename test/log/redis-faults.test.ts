// Faults of a real redis-server under the Redis log: each test starts a server of its own and
// stops it (SIGSTOP), kills it, or restarts it empty, and checks by sequence numbers what the log's
// callers and tails see.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClient } from '@redis/client';
import { LogUnavailableError, type StoredEvent } from '../../src/log/event-log.js';
import { RedisLog } from '../../src/log/redis/redis-log.js';
import { redisUnavailable, startRedis } from '../support/redis.js';
import { TailRecorder, waitUntil } from './conformance.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const event = (data: string) => ({ topics: ['fault'], data, private: false });
const TIMEOUT_MS = 1000;
const options = (url: string, stream: string) => ({
  url,
  stream,
  timeoutMs: TIMEOUT_MS,
  blockMs: 500,
  reconnectMaxMs: 300,
  maintenanceMs: 200,
});

function assertOnceEach(events: readonly StoredEvent[], acknowledged: readonly string[], what: string): void {
  const ids = events.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length, `${what}: no event twice`);
  for (let i = 1; i < ids.length; i++)
    assert.ok(RedisLog.prototype.compareIds(ids[i - 1]!, ids[i]!) < 0, `${what}: in order`);
  const seen = new Set(ids);
  const lost = acknowledged.filter((id) => !seen.has(id));
  assert.deepEqual(lost, [], `${what}: no acknowledged event lost`);
}

describe('the Redis log under faults', { skip: redisUnavailable }, () => {
  it('Redis stopped (SIGSTOP) for 3 s: appends and reads refuse within the bound, tails resume, nothing acknowledged is lost or doubled', async () => {
    const redis = await startRedis();
    const log = await RedisLog.open(options(redis.url, 'stopped'));
    const other = await RedisLog.open(options(redis.url, 'stopped'));
    try {
      const tail = new TailRecorder();
      const otherTail = new TailRecorder();
      log.tail(tail);
      other.tail(otherTail);
      const acknowledged: string[] = [];
      const refusals: { ms: number; error: unknown }[] = [];
      const pending: Promise<unknown>[] = [];
      let resumedAt = Number.POSITIVE_INFINITY;
      const acknowledgedAfterResume: string[] = [];
      let running = true;
      let n = 0;
      const publisher = (async () => {
        while (running) {
          const started = performance.now();
          const issuedAfterResume = started > resumedAt;
          const source = n % 2 === 0 ? log : other;
          pending.push(
            source.append(event(String(n++))).then(
              (e) => {
                acknowledged.push(e.id);
                if (issuedAfterResume) acknowledgedAfterResume.push(e.id);
              },
              (error) => refusals.push({ ms: performance.now() - started, error }),
            ),
          );
          await sleep(20);
        }
      })();
      await sleep(800);
      redis.pause();
      await sleep(1500);
      const readStarted = performance.now();
      await assert.rejects(
        log.readAfter('0-0', () => true, 100),
        LogUnavailableError,
      );
      const readMs = performance.now() - readStarted;
      await sleep(1500);
      redis.resume();
      resumedAt = performance.now();
      await sleep(1500);
      running = false;
      await publisher;
      await Promise.all(pending);

      assert.ok(readMs < TIMEOUT_MS + 500, `the read was refused after ${readMs.toFixed(0)} ms`);
      assert.ok(refusals.length >= 50, `${refusals.length} appends refused while Redis was stopped`);
      for (const { ms, error } of refusals) {
        assert.ok(error instanceof LogUnavailableError, String(error));
        assert.ok(ms < TIMEOUT_MS + 500, `an append was refused after ${ms.toFixed(0)} ms`);
      }
      assert.ok(
        acknowledgedAfterResume.length >= 30,
        `${acknowledgedAfterResume.length} acknowledged after SIGCONT`,
      );
      // Both tails catch up with every acknowledged event, once each, in one order. (Appends that
      // were refused may still have reached Redis after SIGCONT: they may appear, once.)
      for (const [what, recorder] of [
        ['this instance', tail],
        ['the other instance', otherTail],
      ] as const) {
        await waitUntil(
          `${what} to tail every acknowledged event`,
          () => {
            const seen = new Set(recorder.events.map((e) => e.id));
            return acknowledged.every((id) => seen.has(id));
          },
          5000,
        );
        assertOnceEach(recorder.events, acknowledged, what);
        assert.deepEqual(recorder.gaps, [], `${what}: no gap, Redis kept its data`);
      }
      assert.deepEqual(
        tail.events.map((e) => e.id),
        otherTail.events.slice(0, tail.events.length).map((e) => e.id),
      );
    } finally {
      redis.resume();
      await log.close();
      await other.close();
      await redis.stop();
    }
  });

  it('Redis killed, then restarted empty: appends refuse fast while it is down, the tail reports one gap, then events flow', async () => {
    const redis = await startRedis();
    const log = await RedisLog.open(options(redis.url, 'restarted'));
    try {
      const seen: string[] = [];
      const gaps: [string, string][] = [];
      log.tail({
        event: (e) => seen.push(e.data),
        gap: (lastId, head) => {
          gaps.push([lastId, head]);
          seen.push('<gap>');
        },
      });
      const before: StoredEvent[] = [];
      for (let i = 0; i < 5; i++) before.push(await log.append(event(`before${i}`)));
      await waitUntil('the first events', () => seen.length === 5);

      await redis.kill();
      const started = performance.now();
      await assert.rejects(log.append(event('while down')), LogUnavailableError);
      await assert.rejects(
        log.readAfter(before[4]!.id, () => true, 10),
        LogUnavailableError,
      );
      assert.ok(performance.now() - started < TIMEOUT_MS + 500, 'refused within the bound');

      await redis.restartEmpty();
      let first: StoredEvent | undefined;
      await waitUntil(
        'an append to succeed after the restart',
        async () => {
          first = await log.append(event('after0')).catch(() => undefined);
          return first !== undefined;
        },
        5000,
      );
      for (let i = 1; i < 5; i++) await log.append(event(`after${i}`));
      await waitUntil('the events after the restart', () => seen.includes('after4'), 5000);
      await sleep(300);

      assert.deepEqual(gaps, [[before[4]!.id, '0-0']], 'one gap, from the last id delivered');
      assert.deepEqual(seen, [
        'before0',
        'before1',
        'before2',
        'before3',
        'before4',
        '<gap>',
        'after0',
        'after1',
        'after2',
        'after3',
        'after4',
      ]);
      // A client resuming from before the restart is told too.
      const resumed = await log.readAfter(before[4]!.id, () => true, 100);
      assert.equal(resumed.gap, true);
      assert.deepEqual(
        resumed.events.map((e) => e.data),
        ['after0', 'after1', 'after2', 'after3', 'after4'],
      );
    } finally {
      await log.close();
      await redis.stop();
    }
  });

  it('a tail that falls behind retention reports one gap and goes on with what is left', async () => {
    const redis = await startRedis();
    // This instance's tail waits 2.25 to 3.75 s before reconnecting: time for the writer to flood.
    const log = await RedisLog.open({ ...options(redis.url, 'behind'), maxEvents: 10, reconnectMinMs: 3000 });
    const writer = await RedisLog.open({ ...options(redis.url, 'behind'), maxEvents: 10 });
    const admin = createClient({ url: redis.url, RESP: 2 });
    admin.on('error', () => {});
    await admin.connect();
    try {
      const seen: string[] = [];
      const gaps: [string, string][] = [];
      log.tail({
        event: (e) => seen.push(e.id),
        gap: (lastId, head) => {
          gaps.push([lastId, head]);
          seen.push('<gap>');
        },
      });
      const first = await writer.append(event('first'));
      await waitUntil('the first event', () => seen.length === 1);
      // Cut this instance's tail connection (it is named herald-tail; the writer's is another).
      const clients = await admin.sendCommand<string>(['CLIENT', 'LIST']);
      const tails = clients.split('\n').filter((line) => / name=herald-tail /.test(line));
      assert.equal(tails.length, 2, 'one tail connection per instance');
      const ids = tails.map((line) => /^id=(\d+) /.exec(line)![1]!);
      // The writer's tail is the newer connection; this instance's tail connected first.
      const mine = ids.sort((a, b) => Number(a) - Number(b))[0]!;
      await admin.sendCommand(['CLIENT', 'KILL', 'ID', mine]);
      for (let i = 0; i < 300; i++) await writer.append(event(`flood${i}`));
      await waitUntil(
        'retention to catch up',
        async () => (await admin.sendCommand<number>(['XLEN', 'behind'])) <= 10,
        2000,
      );
      const kept = (await admin.sendCommand<[string, string[]][]>(['XRANGE', 'behind', '-', '+'])).map(
        ([id]) => id,
      );
      const marker = await admin.sendCommand<string>(['GET', 'behind:trimmed']);
      await waitUntil('the tail to come back', () => seen.at(-1) === kept.at(-1), 6000);
      assert.deepEqual(gaps, [[first.id, marker]], 'one gap, up to the newest id retention removed');
      assert.deepEqual(seen, [first.id, '<gap>', ...kept], 'then every entry that is left, once');
    } finally {
      await log.close();
      await writer.close();
      admin.destroy();
      await redis.stop();
    }
  });
});
