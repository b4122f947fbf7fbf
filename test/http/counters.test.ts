// What the counters count: application events only, however long the monitor has been ticking.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyBytes, mintToken } from '../../src/auth/jwt.js';
import { monitorHistory } from '../support/figures.js';
import { httpRequest, sleep, startHub } from '../support/hub.js';

function metric(text: string, name: string): number {
  const line = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  assert.ok(line, `${name} in /metrics`);
  return Number(line[1]);
}

describe('the event counters', () => {
  it('count 3 publishes as 3, with the monitor publishing its snapshots 20 times a second', async () => {
    const hub = await startHub({ monitor: { intervalMs: 50 } });
    try {
      for (let i = 0; i < 3; i++) await hub.publish('news', `event ${i}`);
      // Long enough for many snapshots (the count of ticks is checked, not the time).
      let snapshots = 0;
      for (let i = 0; i < 100 && snapshots < 20; i++) {
        await sleep(50);
        snapshots = (await monitorHistory(hub)).snapshots.length;
      }
      assert.ok(snapshots >= 20, `the monitor ticked (${snapshots} snapshots)`);
      const text = (await httpRequest(`${hub.url}/metrics`)).body;
      assert.equal(metric(text, 'herald_events_published_total'), 3);
      assert.ok(metric(text, 'herald_system_events_published_total') >= snapshots);
      const last = (await monitorHistory(hub)).snapshots.at(-1)!;
      assert.equal(last.events.published, 3);
      assert.equal(hub.hub.stats().eventsPublished, 3);
    } finally {
      await hub.close();
    }
  });

  it('reads 0 events per second on an idle hub', async () => {
    const hub = await startHub({ monitor: { intervalMs: 50 } });
    try {
      let snapshots: Awaited<ReturnType<typeof monitorHistory>>['snapshots'] = [];
      for (let i = 0; i < 100 && snapshots.length < 10; i++) {
        await sleep(50);
        snapshots = (await monitorHistory(hub)).snapshots;
      }
      assert.ok(snapshots.length >= 10);
      assert.deepEqual(
        snapshots.slice(1).map((s) => s.events.publishedPerSecond),
        snapshots.slice(1).map(() => 0),
      );
    } finally {
      await hub.close();
    }
  });

  it('a repeated bad token costs one verification, and is refused the same way every time', async () => {
    const hub = await startHub({ monitor: false });
    try {
      const forged = await mintToken(keyBytes('not-the-hub-key-0123456789abcdefghijklmnop'), {
        publish: ['**'],
      });
      const before = metric(
        (await httpRequest(`${hub.url}/metrics`)).body,
        'herald_token_verifications_total',
      );
      const answers = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const answer = await hub.post({ topic: 'news', data: 'x' }, { authorization: `Bearer ${forged}` });
        answers.add(`${answer.status} ${answer.body}`);
      }
      assert.equal(answers.size, 1, [...answers].join('\n'));
      assert.match([...answers][0]!, /^401 .*signature does not match/);
      const after = metric(
        (await httpRequest(`${hub.url}/metrics`)).body,
        'herald_token_verifications_total',
      );
      assert.equal(after - before, 1);
      await hub.publish('news', 'with the good token');
      const good = metric((await httpRequest(`${hub.url}/metrics`)).body, 'herald_token_verifications_total');
      assert.equal(good - after, 1, 'the good token is verified on its own');
    } finally {
      await hub.close();
    }
  });
});
