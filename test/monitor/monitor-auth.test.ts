// A private monitor (monitor.auth): its figures (/monitor/history.json) and $SYS/ topics need a
// subscriber credential whose herald.subscribe lists $SYS/**; by default they are public.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SYS_TOPICS } from '../../src/monitor/collector.js';
import type { SystemSample } from '../../src/monitor/snapshot.js';
import { eventsUrl, httpRequest, StreamReader, startHub, type TestHub, token } from '../support/hub.js';

const sample = (): SystemSample => ({
  load: [0, 0, 0],
  cpus: 1,
  cpu: { process: 0, system: 0 },
  memory: { rss: 1, heapUsed: 1, systemTotal: 1, systemFree: 1 },
});

describe('a private monitor', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({ monitor: { auth: true, intervalMs: 0, sample } });
  });
  after(() => hub.close());

  const stats = `/events?topic=${encodeURIComponent(SYS_TOPICS.stats)}`;

  it('refuses its history and $SYS/ topics without a token (401) and with one that does not list $SYS/** (403)', async () => {
    for (const path of ['/monitor/history.json', stats]) {
      const anonymous = await httpRequest(`${hub.url}${path}`, { headers: { accept: 'text/event-stream' } });
      assert.equal(anonymous.status, 401, path);
      assert.match(anonymous.body, /this hub's monitor is private: .* lists "\$SYS\/\*\*"/);
      for (const claims of [['**'], ['$SYS/stats'], ['users/1/**']]) {
        const jwt = await token({ subscribe: claims });
        const narrow = await httpRequest(`${hub.url}${path}`, {
          headers: { accept: 'text/event-stream', authorization: `Bearer ${jwt}` },
        });
        assert.equal(narrow.status, 403, `${path} with ${claims}`);
        assert.match(narrow.body, /its herald.subscribe claim does not list "\$SYS\/\*\*"/);
      }
    }
    const mixed = await httpRequest(eventsUrl(hub, ['news', '$SYS/**']), {
      headers: { accept: 'text/event-stream' },
    });
    assert.equal(mixed.status, 401, 'a system selector among others');
  });

  it('serves them to a token listing $SYS/**, in a header, a cookie or through a ticket', async () => {
    const jwt = await token({ subscribe: ['$SYS/**'] });
    const history = await httpRequest(`${hub.url}/monitor/history.json`, {
      headers: { cookie: `herald_auth=${jwt}` },
    });
    assert.equal(history.status, 200);
    assert.ok(Array.isArray((JSON.parse(history.body) as { snapshots: unknown }).snapshots));
    const { ticket } = JSON.parse(
      (
        await httpRequest(`${hub.url}/tickets`, {
          method: 'POST',
          headers: { authorization: `Bearer ${jwt}` },
        })
      ).body,
    ) as { ticket: string };
    const viaTicket = await StreamReader.open(eventsUrl(hub, [SYS_TOPICS.stats], { ticket }));
    const viaHeader = await StreamReader.open(eventsUrl(hub, ['$SYS/**']), {
      authorization: `Bearer ${jwt}`,
    });
    await viaTicket.ready();
    await viaHeader.ready();
    await hub.hub.monitor!.collector.tick();
    assert.equal((await viaTicket.take(1))[0]!.type, 'stats');
    assert.equal((await viaHeader.take(1))[0]!.type, 'stats');
    viaTicket.close();
    viaHeader.close();
  });

  it('keeps the page itself public (code, no figures) and other topics as they were', async () => {
    const page = await httpRequest(`${hub.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.body, /<html|<!doctype/i);
    const news = await StreamReader.open(eventsUrl(hub, ['news']));
    assert.equal(news.status, 200);
    news.close();
  });
});

describe('the monitor by default', () => {
  it('is public: history and $SYS/ topics need no token', async () => {
    const hub = await startHub({ monitor: { intervalMs: 0, sample } });
    try {
      assert.equal((await httpRequest(`${hub.url}/monitor/history.json`)).status, 200);
      const reader = await StreamReader.open(eventsUrl(hub, [SYS_TOPICS.stats]));
      assert.equal(reader.status, 200);
      reader.close();
    } finally {
      await hub.close();
    }
  });

  it('monitor.auth without a subscriber key cannot work: createHub says so', async () => {
    await assert.rejects(
      startHub({ jwtKey: undefined, monitor: { auth: true, intervalMs: 0 } }),
      /monitor.auth needs a subscriber key/,
    );
  });
});
