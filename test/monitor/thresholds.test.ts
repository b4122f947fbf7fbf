import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SYS_TOPICS } from '../../src/monitor/collector.js';
import type { StatsSnapshot, SystemSample } from '../../src/monitor/snapshot.js';
import { type ThresholdEvent, ThresholdWatcher } from '../../src/monitor/thresholds.js';
import { eventsUrl, StreamReader, startHub, type TestHub } from '../support/hub.js';

const hubs: TestHub[] = [];
after(async () => {
  for (const hub of hubs) await hub.close();
});

describe('thresholds through a real hub subscription', () => {
  it('a crossing gives exactly one warning, and one recovered when it clears (with hysteresis)', async () => {
    let load = 0;
    const sample = (): SystemSample => ({
      load: [load, load, load],
      cpus: 2,
      cpu: { process: 0, system: 0 },
      memory: { rss: 1, heapUsed: 1, systemTotal: 100, systemFree: 50 },
    });
    const hub = await startHub({ monitor: { intervalMs: 0, sample } });
    hubs.push(hub);
    const collector = hub.hub.monitor!.collector;
    // One stream for both topics: the hub's order is total, so once the last tick's stats event (a
    // tick with no crossing) has arrived, every warning of the earlier ticks has arrived too.
    const stream = await StreamReader.open(eventsUrl(hub, [SYS_TOPICS.stats, SYS_TOPICS.warnings]));
    await stream.ready();
    // Default load rule: warning at 1.5 per CPU, recovered below 1.0 per CPU (2 CPUs here).
    // Per CPU: it crosses 1.5, hovers between 1.0 and 1.5 (also touching each line), drops below 1.0,
    // then hovers again below 1.5: one warning, one recovered, no flapping.
    const loads = [0.5, 1.0, 3.2, 3.6, 2.9, 2.4, 3.1, 2.1, 2.0, 2.8, 1.2, 2.4, 2.9, 1.0];
    const active: string[][] = [];
    for (const value of loads) {
      load = value;
      const snapshot = await collector.tick();
      active.push(snapshot!.warnings);
    }
    await stream.until(
      () => stream.events.filter((e) => e.type === 'stats').length === loads.length,
      'every stats event',
    );
    const received = stream.events
      .filter((e) => e.type !== 'stats')
      .map((e) => ({ type: e.type, body: JSON.parse(e.data) as ThresholdEvent }));
    assert.deepEqual(
      received.map((e) => e.type),
      ['warning', 'recovered'],
      stream.raw,
    );
    const [warning, recovered] = received;
    assert.equal(warning!.body.rule, 'load');
    assert.equal(warning!.body.value, 1.6);
    assert.equal(warning!.body.warn, 1.5);
    assert.match(warning!.body.message, /load per CPU is 1.6, at or above 1.5/);
    assert.equal(recovered!.body.rule, 'load');
    assert.equal(recovered!.body.value, 0.6);
    assert.ok((recovered!.body.durationMs ?? -1) >= 0);
    // The snapshots say which rules are at warning level, tick by tick.
    assert.deepEqual(
      active.map((a) => a.length),
      [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0],
    );
    const last = JSON.parse(stream.events.at(-1)!.data) as StatsSnapshot;
    assert.deepEqual(last.warnings, []);
    stream.close();
  });

  it('custom rules: low values can be the bad side, and a function can be the metric', () => {
    const watcher = new ThresholdWatcher([
      { name: 'free', metric: (s) => s.memory.systemFree, warn: 10, clear: 20 },
    ]);
    const at = (free: number, t: number) =>
      watcher.evaluate({ t, memory: { systemFree: free } } as unknown as StatsSnapshot).map((e) => e.kind);
    assert.deepEqual(
      [at(50, 1), at(10, 2), at(5, 3), at(15, 4), at(21, 5), at(30, 6)],
      [[], ['warning'], [], [], ['recovered'], []],
    );
    assert.throws(
      () => new ThresholdWatcher([{ name: 'x', metric: 'nope' as 'load1', warn: 1, clear: 0 }]),
      /unknown metric/,
    );
    assert.throws(
      () =>
        new ThresholdWatcher([
          { name: 'x', metric: 'load1', warn: 1, clear: 0 },
          { name: 'x', metric: 'load1', warn: 1, clear: 0 },
        ]),
      /two threshold rules/,
    );
  });
});
