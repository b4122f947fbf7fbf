// The monitor's process list (names, pids, memory of the host's processes) is shown only where no
// stranger sees it: private figures (auth), a hub listening on loopback only, or when asked for.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createHub, type HeraldHub } from '../../src/create-hub.js';
import { SYS_TOPICS } from '../../src/monitor/collector.js';
import type { MonitorOptions } from '../../src/monitor/monitor.js';
import { listsProcesses } from '../../src/monitor/process-visibility.js';
import type { StatsSnapshot, SystemSample } from '../../src/monitor/snapshot.js';
import { httpRequest, StreamReader, TEST_KEY, token } from '../support/hub.js';

describe('listsProcesses', () => {
  const table: Array<[string, Parameters<typeof listsProcesses>[0], boolean]> = [
    ['loopback', { processes: undefined, auth: false, hosts: ['127.0.0.1'] }, true],
    ['localhost and ::1', { processes: undefined, auth: false, hosts: ['localhost', '[::1]'] }, true],
    ['every interface', { processes: undefined, auth: false, hosts: ['0.0.0.0'] }, false],
    ['every IPv6 interface', { processes: undefined, auth: false, hosts: ['::'] }, false],
    ['a public address', { processes: undefined, auth: false, hosts: ['203.0.113.7'] }, false],
    ['loopback and beyond', { processes: undefined, auth: false, hosts: ['127.0.0.1', '0.0.0.0'] }, false],
    ['a server of its own (no listen)', { processes: undefined, auth: false, hosts: [] }, false],
    ['private figures beyond loopback', { processes: undefined, auth: true, hosts: ['0.0.0.0'] }, true],
    ['private figures on a server of its own', { processes: undefined, auth: true, hosts: [] }, true],
    ['asked for, beyond loopback', { processes: true, auth: false, hosts: ['0.0.0.0'] }, true],
    ['asked for, on a server of its own', { processes: true, auth: false, hosts: [] }, true],
    ['refused, on loopback', { processes: false, auth: false, hosts: ['127.0.0.1'] }, false],
    ['refused, with private figures', { processes: false, auth: true, hosts: ['127.0.0.1'] }, false],
  ];
  for (const [name, visibility, expected] of table) {
    it(`${name}: ${expected ? 'listed' : 'not listed'}`, () => {
      assert.equal(listsProcesses(visibility), expected);
    });
  }
});

const TOP = [{ pid: 4242, name: 'secret-daemon', cpu: 12.5, rss: 1e6 }];

/** Readings with a process list, and whether each tick asked for one. */
function sampler(): { sample: (withProcesses: boolean) => SystemSample; asked: boolean[] } {
  const asked: boolean[] = [];
  return {
    asked,
    sample: (withProcesses) => {
      asked.push(withProcesses);
      return {
        load: [0, 0, 0],
        cpus: 1,
        cpu: { process: 0, system: 0 },
        memory: { rss: 1, heapUsed: 1, systemTotal: 1, systemFree: 1 },
        top: TOP,
      };
    },
  };
}

/**
 * One tick of a real hub listening where `serve` puts it, seen from 127.0.0.1 as a viewer of the
 * monitor would: the `$SYS/stats` snapshot, the last snapshot of /monitor/history.json, and
 * whether the tick asked the sampler for processes.
 */
async function oneTick(
  monitor: MonitorOptions,
  serve: (hub: HeraldHub) => Promise<number>,
): Promise<{ live: StatsSnapshot; history: StatsSnapshot; asked: boolean }> {
  const { sample, asked } = sampler();
  const hub = createHub({ jwtKey: TEST_KEY, monitor: { intervalMs: 0, sample, ...monitor } });
  try {
    const url = `http://127.0.0.1:${await serve(hub)}`;
    const jwt = await token({ subscribe: ['$SYS/**'] });
    const headers: Record<string, string> = monitor.auth === true ? { authorization: `Bearer ${jwt}` } : {};
    const reader = await StreamReader.open(
      `${url}/events?topic=${encodeURIComponent(SYS_TOPICS.stats)}`,
      headers,
    );
    assert.equal(reader.status, 200);
    await reader.ready();
    await hub.monitor!.collector.tick();
    const [event] = await reader.take(1);
    reader.close();
    const history = await httpRequest(`${url}/monitor/history.json`, { headers });
    assert.equal(history.status, 200);
    const { snapshots } = JSON.parse(history.body) as { snapshots: StatsSnapshot[] };
    return {
      live: JSON.parse(event!.data) as StatsSnapshot,
      history: snapshots.at(-1)!,
      asked: asked.at(-1)!,
    };
  } finally {
    await hub.close();
  }
}

const listenOn =
  (host: string) =>
  async (hub: HeraldHub): Promise<number> =>
    ((await hub.listen(0, host)).address() as AddressInfo).port;

describe('the process list of a real hub', () => {
  it('is absent on a hub listening on 0.0.0.0, and /proc is not read for it', async () => {
    const { live, history, asked } = await oneTick({}, listenOn('0.0.0.0'));
    assert.equal(live.top, undefined);
    assert.equal(history.top, undefined);
    assert.equal(asked, false);
    assert.ok(!JSON.stringify(live).includes('secret-daemon'));
  });

  it('is there on 0.0.0.0 with processes: true (--monitor-processes)', async () => {
    const { live, history, asked } = await oneTick({ processes: true }, listenOn('0.0.0.0'));
    assert.deepEqual(live.top, TOP);
    assert.deepEqual(history.top, TOP);
    assert.equal(asked, true);
  });

  it('is there on 0.0.0.0 when the figures are private (auth)', async () => {
    const { live, asked } = await oneTick({ auth: true }, listenOn('0.0.0.0'));
    assert.deepEqual(live.top, TOP);
    assert.equal(asked, true, 'the watcher holds a token: it counts as watching $SYS/');
  });

  it('is there on 127.0.0.1, the default host', async () => {
    const { live, history } = await oneTick({}, listenOn('127.0.0.1'));
    assert.deepEqual(live.top, TOP);
    assert.deepEqual(history.top, TOP);
  });

  it('is absent on 127.0.0.1 with processes: false', async () => {
    const { live } = await oneTick({ processes: false }, listenOn('127.0.0.1'));
    assert.equal(live.top, undefined);
  });

  it('is absent on a server of its own, even on loopback: the hub cannot know where that listens', async () => {
    const servers: ReturnType<typeof createServer>[] = [];
    const own = async (hub: HeraldHub): Promise<number> => {
      const server = createServer(hub.handler);
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return (server.address() as AddressInfo).port;
    };
    try {
      assert.equal((await oneTick({}, own)).live.top, undefined);
      assert.deepEqual((await oneTick({ processes: true }, own)).live.top, TOP);
    } finally {
      for (const server of servers) server.close();
    }
  });
});
