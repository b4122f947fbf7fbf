import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { catchUp } from '../support/catch-up.js';
import { StreamReader, sleep, token } from '../support/hub.js';
import { type HubProcess, spawnHub } from '../support/hub-process.js';
import { redisUnavailable, startRedis } from '../support/redis.js';

const MiB = 1024 * 1024;
const EVENT_BYTES = 10 * 1024;
const CEILING = 256 * 1024;
const BUDGET = 16 * MiB;
/**
 * What a hub holds besides: heap slack, and garbage Buffers (V8 collects them once about 64 MiB of
 * external memory was allocated since its last collection), HTTP parsing, the wire cache (8 MiB).
 */
// 128 MiB: room for a loaded machine collecting late; the regression this catches is 2 to 20 times the bound.
const MARGIN = 128 * MiB;

interface Storm {
  store: string;
  subscribers: number;
  events: number;
}

async function metric(hub: HubProcess, name: string): Promise<number> {
  const text = await (await fetch(`${hub.url}/metrics`)).text();
  const match = new RegExp(`^${name} (\\d+)`, 'm').exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

/**
 * Subscribers stop reading while the backlog is published (the hub cuts them as slow consumers),
 * then all reconnect at once with their Last-Event-ID: each must get exactly what it missed, and
 * the hub's peak RSS must stay within base + history + N x ceiling + the replay budget + margin.
 */
async function storm({ store, subscribers, events }: Storm): Promise<void> {
  const hub = await spawnHub({
    store,
    history: { maxEvents: 100_000, maxBytes: 1024 * MiB },
    limits: { maxUnsentBytesPerSession: CEILING, maxReplayBytes: BUDGET },
  });
  try {
    const base = hub.memory().rss;
    const stalled = await Promise.all(
      Array.from({ length: subscribers }, () => StreamReader.open(`${hub.url}/events?topic=storm`, {}, true)),
    );
    await sleep(200);
    const publisher = await token({ publish: ['**'] });
    const padding = 'x'.repeat(EVENT_BYTES);
    const ids: string[] = [];
    for (let seq = 0; seq < events; seq++) {
      const answer = await fetch(`${hub.url}/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${publisher}`, 'content-type': 'application/json' },
        body: JSON.stringify({ topic: 'storm', data: `${seq}:${padding}` }),
      });
      assert.equal(answer.status, 200);
      ids.push((await answer.text()).trim());
    }
    const deadline = Date.now() + 20_000;
    while ((await metric(hub, 'herald_slow_consumer_disconnects_total')) < subscribers) {
      assert.ok(Date.now() < deadline, 'every stalled subscriber is cut as a slow consumer');
      await sleep(100);
    }
    for (const reader of stalled) reader.close();
    const before = hub.memory();
    // Each had read a different number of events (up to 150) before it stalled.
    const resumeAt = (i: number) => (i * 37) % 150;
    await Promise.all(
      Array.from({ length: subscribers }, (_, i) =>
        catchUp(`${hub.url}/events?topic=storm`, ids[resumeAt(i)]!, resumeAt(i) + 1, events - 1, 60_000),
      ),
    );
    assert.equal(
      await metric(hub, 'herald_slow_consumer_disconnects_total'),
      subscribers,
      'no stream is cut during its replay',
    );
    const { peak } = hub.memory();
    const history = events * EVENT_BYTES;
    const bound = base + history + subscribers * CEILING + BUDGET + MARGIN;
    const mib = (n: number) => `${Math.round(n / MiB)} MiB`;
    console.log(
      `${store}: base ${mib(base)}, before the storm ${mib(before.rss)} (peak ${mib(before.peak)}), peak ${mib(peak)}, bound ${mib(bound)}`,
    );
    assert.ok(peak <= bound, `peak RSS ${mib(peak)} is past ${mib(bound)}`);
  } finally {
    await hub.kill();
  }
}

describe('a reconnect storm with a large backlog', { timeout: 180_000 }, () => {
  it('replays each subscriber exactly what it missed, within bounded memory (memory store)', async () => {
    await storm({ store: 'memory', subscribers: 200, events: 2000 });
  });

  const dir = join(tmpdir(), `herald-storm-${process.pid}`);
  after(() => rmSync(dir, { recursive: true, force: true }));
  it('does the same from SQLite, smaller', async () => {
    await storm({ store: `sqlite:${join(dir, 'storm.db')}`, subscribers: 50, events: 1000 });
  });

  // Redis's own memory is its process's, not the hub's: the bound is on the hub's RSS alone.
  it('does the same from Redis, smaller', { skip: redisUnavailable }, async () => {
    const redis = await startRedis();
    try {
      await storm({ store: redis.url, subscribers: 50, events: 1000 });
    } finally {
      await redis.stop();
    }
  });
});
