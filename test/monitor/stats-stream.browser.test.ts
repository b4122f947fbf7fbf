// The seed article's own page: its client code, unchanged, against GET /stats (named events
// `connections`, `requests`, `uptime` derived from the monitor's snapshots), with its onopen/onerror
// connection indicator. Plus the stream's bytes as a non-browser client sees them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asset } from '../../src/http/static-assets.js';
import { browserUnavailable, type LaunchedBrowser, launchBrowser } from '../support/browser.js';
import { StreamReader, startHub, type TestHub } from '../support/hub.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

// The article's snippet, character for character.
const ARTICLE_SNIPPET = `var source = new EventSource('/stats');
source.onopen = function () {
  connectionOpen(true);
};

source.onerror = function () {
  connectionOpen(false);
};

source.addEventListener('connections', updateConnections, false);
source.addEventListener('requests', updateRequests, false);
source.addEventListener('uptime', updateUptime, false);

source.onmessage = function (event) {
  // a message without a type was fired
};`;

// The page around it: the four functions the article leaves to the reader.
const PAGE = `<!doctype html><meta charset="utf-8"><title>Server stats</title><link rel="icon" href="data:,">
<p>Connection: <b id="status">connecting</b></p>
<p>Connections: <span id="connections">-</span> · Requests: <span id="requests">-</span> · Uptime: <span id="uptime">-</span> s</p>
<script>
  window.indicator = [];
  function connectionOpen(open) {
    window.indicator.push(open);
    document.getElementById('status').textContent = open ? 'connected' : 'disconnected';
  }
  function show(id) { return function (event) { document.getElementById(id).textContent = event.data; }; }
  var updateConnections = show('connections');
  var updateRequests = show('requests');
  var updateUptime = show('uptime');
</script>
<script>
${ARTICLE_SNIPPET}
</script>`;

describe("the seed article's page against GET /stats", { timeout: 60_000 }, () => {
  let hub: TestHub;
  let proxy: TcpProxy;
  before(async () => {
    hub = await startHub({
      retryMs: 300,
      monitor: { intervalMs: 200, topProcesses: 0 },
      assets: new Map([['/article.html', asset('text/html; charset=utf-8', PAGE)]]),
    });
    proxy = await startTcpProxy(hub.port);
  });
  after(async () => {
    await proxy?.close();
    await hub?.close();
  });

  it('streams the named events from the snapshots, and only while someone listens', async () => {
    // Snapshots are system events, counted apart from the application's.
    const systemEvents = async () => {
      const metrics = await (await fetch(`${hub.url}/metrics`)).text();
      return Number(/^herald_system_events_published_total (\d+)$/m.exec(metrics)?.[1]);
    };
    const published = await systemEvents();
    const reader = await StreamReader.open(`${hub.url}/stats`);
    assert.equal(reader.status, 200);
    assert.equal(reader.headers['content-type'], 'text/event-stream; charset=utf-8');
    await reader.until(() => reader.events.some((e) => e.type === 'uptime'), 'an uptime event');
    const types = new Set(reader.events.map((e) => e.type));
    for (const type of ['connections', 'requests', 'uptime', 'load', 'memory', 'events'])
      assert.ok(types.has(type), `a ${type} event`);
    assert.ok(!types.has('message'), 'every event is named: nothing reaches onmessage');
    const last = (type: string) => reader.events.filter((e) => e.type === type).at(-1)!.data;
    assert.ok(Number(last('connections')) >= 1, 'this stream counts');
    assert.ok(Number(last('requests')) >= 1);
    assert.match(last('uptime'), /^\d+$/);
    assert.equal((JSON.parse(last('load')) as number[]).length, 3);
    assert.ok(
      reader.events.every((e) => e.lastEventId === reader.resumes[0]!.lastEventId),
      'live only: no ids',
    );
    reader.close();
    // Nobody listens now: a tick publishes its snapshot only, not the named events.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = await systemEvents();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const perTick = ((await systemEvents()) - before) / 2.5;
    assert.ok(perTick <= 1.2, `about one event per tick while nobody listens (got ${perTick})`);
    assert.ok(before > published);
  });

  it('answers 405 to other methods', async () => {
    const answer = await fetch(`${hub.url}/stats`, { method: 'POST' });
    assert.equal(answer.status, 405);
    await answer.text();
  });

  describe('in Chromium', { skip: browserUnavailable }, () => {
    let browser: LaunchedBrowser;
    before(async () => {
      browser = await launchBrowser();
    });
    after(() => browser?.close());

    it("the article's snippet, unchanged, shows live figures and the connection state", async () => {
      const page = await browser.newPage();
      const notFound: string[] = [];
      page.on('response', (response) => {
        if (response.status() === 404) notFound.push(response.url());
      });
      await page.goto(`http://127.0.0.1:${proxy.port}/article.html`);
      await page.waitForFunction(() => document.getElementById('uptime')!.textContent !== '-');
      const figures = async () =>
        page.evaluate(() => ({
          status: document.getElementById('status')!.textContent,
          connections: document.getElementById('connections')!.textContent,
          requests: document.getElementById('requests')!.textContent,
          uptime: document.getElementById('uptime')!.textContent,
        }));
      const first = await figures();
      assert.equal(first.status, 'connected');
      assert.ok(Number(first.connections) >= 1, first.connections!);
      assert.ok(Number(first.requests) >= 2, 'the page and the stream');
      assert.match(first.uptime!, /^\d+$/);
      // Live: the uptime moves on.
      await page.waitForFunction(
        (u) => Number(document.getElementById('uptime')!.textContent) > Number(u),
        first.uptime,
        {
          timeout: 5000,
        },
      );
      // The indicator: a dropped connection shows, then the reconnect.
      proxy.cutAll();
      await page.waitForFunction(() =>
        (window as unknown as { indicator: boolean[] }).indicator.includes(false),
      );
      await page.waitForFunction(
        () => (window as unknown as { indicator: boolean[] }).indicator.at(-1) === true,
        undefined,
        {
          timeout: 5000,
        },
      );
      assert.equal((await figures()).status, 'connected');
      assert.deepEqual(notFound, []);
      await page.close();
    });
  });
});
