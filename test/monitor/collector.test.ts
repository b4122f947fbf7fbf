import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { asset } from '../../src/http/static-assets.js';
import { SYS_TOPICS } from '../../src/monitor/collector.js';
import { HistoryRing } from '../../src/monitor/history-ring.js';
import { ProcessTop, parseProcStat } from '../../src/monitor/process-top.js';
import type { StatsSnapshot, SystemSample } from '../../src/monitor/snapshot.js';
import { eventsUrl, httpRequest, StreamReader, startHub, type TestHub } from '../support/hub.js';

function sample(load = 0.1): SystemSample {
  return {
    load: [load, load, load],
    cpus: 1,
    cpu: { process: 1, system: 2 },
    memory: { rss: 50e6, heapUsed: 10e6, systemTotal: 8e9, systemFree: 6e9 },
  };
}

const hubs: TestHub[] = [];
after(async () => {
  for (const hub of hubs) await hub.close();
});

describe('collector', () => {
  it('publishes a snapshot of counters, rates, memory and topics to $SYS/stats', async () => {
    const hub = await startHub({ monitor: { intervalMs: 0, sample: () => sample(0.5) } });
    hubs.push(hub);
    const collector = hub.hub.monitor!.collector;
    const stats = await StreamReader.open(eventsUrl(hub, [SYS_TOPICS.stats]));
    await stats.ready();
    const other = await StreamReader.open(eventsUrl(hub, ['news/*']));
    await other.ready();
    await hub.publish('news/a', 'one');
    await collector.tick();
    const [event] = await stats.take(1);
    assert.equal(event?.type, 'stats');
    const s = JSON.parse(event!.data) as StatsSnapshot;
    assert.equal(s.connections.now, 2);
    assert.equal(s.connections.opened, 2);
    assert.equal(s.connections.max, 50_000);
    assert.equal(s.events.published, 1);
    assert.ok(s.http.requests >= 3);
    assert.deepEqual(s.load, [0.5, 0.5, 0.5]);
    assert.equal(s.memory.systemUsed, 0.25);
    assert.equal(s.history.events, 1);
    assert.equal(s.top, undefined, 'no process list in the injected sample: the field is absent');
    assert.equal(s.topics.count, 2);
    assert.deepEqual(s.topics.top.map((t) => t.selector).sort(), ['$SYS/stats', 'news/*'].sort());
    assert.deepEqual(s.warnings, []);
    stats.close();
    other.close();
  });

  it('rates are per second over the real time between ticks', async () => {
    const hub = await startHub({ monitor: { intervalMs: 0, sample: () => sample() } });
    hubs.push(hub);
    const collector = hub.hub.monitor!.collector;
    await collector.tick();
    const started = Date.now();
    for (let i = 0; i < 20; i++) await hub.hub.publish({ topics: 'x', data: String(i) });
    await new Promise((r) => setTimeout(r, 200));
    const s = (await collector.tick())!;
    const seconds = (Date.now() - started) / 1000;
    // 20 of ours plus the collector's own first snapshot, over about 0.2 s.
    assert.ok(s.events.publishedPerSecond > 21 / (seconds + 0.1), String(s.events.publishedPerSecond));
    assert.ok(s.events.publishedPerSecond < 21 / 0.19, String(s.events.publishedPerSecond));
  });

  it('keeps a bounded history of snapshots served at /monitor/history.json', async () => {
    const hub = await startHub({ monitor: { intervalMs: 30, historySize: 5, sample: () => sample() } });
    hubs.push(hub);
    const deadline = Date.now() + 5000;
    let history: { intervalMs: number; snapshots: StatsSnapshot[] } = { intervalMs: 0, snapshots: [] };
    while (Date.now() < deadline) {
      const answer = await httpRequest(`${hub.url}/monitor/history.json`);
      assert.equal(answer.status, 200);
      assert.match(String(answer.headers['content-type']), /application\/json/);
      history = JSON.parse(answer.body);
      if (history.snapshots.length === 5 && history.snapshots[0]!.uptimeSeconds >= 0) {
        const ts = history.snapshots.map((s) => s.t);
        if (ts[4]! - ts[0]! >= 4 * 25) break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(history.intervalMs, 30);
    assert.equal(history.snapshots.length, 5, 'the ring holds historySize snapshots');
    // Live snapshots continue after the history's last one.
    const live = await StreamReader.open(eventsUrl(hub, [SYS_TOPICS.stats]));
    const [next] = await live.take(1);
    assert.ok(JSON.parse(next!.data).t > history.snapshots[4]!.t);
    live.close();
  });

  it('system topics reach $SYS/** subscribers and never root wildcard ones', async () => {
    const hub = await startHub({ monitor: { intervalMs: 20, sample: () => sample() } });
    hubs.push(hub);
    const all = await StreamReader.open(eventsUrl(hub, ['**']));
    await all.ready();
    const sys = await StreamReader.open(eventsUrl(hub, ['$SYS/**']));
    await sys.take(3);
    assert.equal(all.events.length, 0);
    all.close();
    sys.close();
  });

  it('monitor: false leaves the placeholder page; options.assets still win over the monitor page', async () => {
    const off = await startHub({ monitor: false });
    hubs.push(off);
    assert.doesNotMatch((await httpRequest(`${off.url}/`)).body, /monitor\.js/);
    assert.equal((await httpRequest(`${off.url}/monitor/history.json`)).status, 404);
    const on = await startHub({
      monitor: { sample: () => sample() },
      assets: new Map([['/monitor/monitor.css', asset('text/css', 'body{}')]]),
    });
    hubs.push(on);
    const page = await httpRequest(`${on.url}/`);
    // Relative (no leading slash), so that the page works wherever an app mounts the hub.
    assert.match(page.body, /src="monitor\/monitor\.js"/);
    for (const path of [
      '/monitor/monitor.js',
      '/monitor/monitor.css',
      '/monitor/uPlot.iife.min.js',
      '/monitor/uPlot.min.css',
    ]) {
      assert.equal((await httpRequest(`${on.url}${path}`)).status, 200, path);
    }
    assert.equal((await httpRequest(`${on.url}/monitor/monitor.css`)).body, 'body{}');
  });
});

describe('ProcessTop', () => {
  it('parses names with spaces and parentheses', () => {
    const stat = parseProcStat(
      '42 (my (odd) name) S 1 42 42 0 -1 4194560 10 0 0 0 150 50 0 0 20 0 1 0 12345 1000 25 18446744073709551615',
    );
    assert.deepEqual(stat, { pid: 42, name: 'my (odd) name', ticks: 200, start: '12345', rss: 25 * 4096 });
    assert.equal(parseProcStat('garbage'), undefined);
  });

  it('computes CPU from deltas between samples, and nothing on the first one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-proc-'));
    try {
      const write = (pid: number, name: string, ticks: number) => {
        mkdirSync(join(dir, String(pid)), { recursive: true });
        const line = `${pid} (${name}) S 1 1 1 0 -1 0 0 0 0 0 ${ticks} 0 0 0 20 0 1 0 777 0 10 0`;
        writeFileSync(join(dir, String(pid), 'stat'), line);
      };
      write(1, 'idle', 100);
      write(2, 'busy', 100);
      mkdirSync(join(dir, 'self'));
      const top = new ProcessTop(5, dir);
      assert.equal(await top.sample(), undefined);
      write(2, 'busy', 150);
      await new Promise((r) => setTimeout(r, 100));
      const list = await top.sample();
      assert.ok(list);
      assert.deepEqual(
        list.map((p) => p.name),
        ['busy', 'idle'],
      );
      assert.ok(list[0]!.cpu > 100, `50 ticks in about 0.1 s is several cores: ${list[0]!.cpu}`);
      assert.equal(list[1]!.cpu, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is absent where there is no /proc', async () => {
    const top = new ProcessTop(5, '/nonexistent-proc');
    assert.equal(await top.sample(), undefined);
    assert.equal(await top.sample(), undefined);
  });
});

describe('HistoryRing', () => {
  it('keeps the last capacity items, oldest first', () => {
    const ring = new HistoryRing<number>(3);
    assert.deepEqual(ring.toArray(), []);
    for (let i = 1; i <= 5; i++) ring.push(i);
    assert.deepEqual(ring.toArray(), [3, 4, 5]);
  });
});

describe('collector timer', () => {
  it('is unref’d: a process with a running monitor and no server exits by itself', async () => {
    const { spawnSync } = await import('node:child_process');
    const code = `import { createHub } from './src/create-hub.ts';
      createHub({ monitor: { intervalMs: 10 } }); setTimeout(() => {}, 300);`;
    const started = Date.now();
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      timeout: 15_000,
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, result.stderr);
    assert.ok(Date.now() - started < 14_000);
  });
});
