// A native EventSource in Chromium, moved mid-stream from one hub to another of the same Redis
// cluster (as a load balancer would after a hub dies): it resumes on the other hub with its
// Last-Event-ID, and gets every event exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHub, type HeraldHub } from '../../src/create-hub.js';
import { asset } from '../../src/http/static-assets.js';
import { RedisLog } from '../../src/log/redis/redis-log.js';
import { browserUnavailable, type LaunchedBrowser, launchBrowser } from '../support/browser.js';
import { redisUnavailable, startRedis, type TestRedis } from '../support/redis.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const PAGE = `<!doctype html><meta charset="utf-8"><title>switch</title><script>
  window.got = []; window.opens = 0;
  const source = new EventSource('/events?topic=switch/*');
  source.onmessage = (e) => window.got.push({ data: e.data, id: e.lastEventId });
  source.onopen = () => { window.opens++; };
</script>`;

describe('a browser moved from one hub to another of a Redis cluster', {
  skip: browserUnavailable ?? redisUnavailable,
  timeout: 60_000,
}, () => {
  let redis: TestRedis;
  const hubs: HeraldHub[] = [];
  const ports: number[] = [];
  let proxy: TcpProxy;
  let browser: LaunchedBrowser;

  before(async () => {
    redis = await startRedis();
    for (let i = 0; i < 2; i++) {
      const log = await RedisLog.open({ url: `${redis.url}?stream=switch` });
      const hub = createHub({
        store: log,
        retryMs: 300,
        monitor: false,
        assets: new Map([['/switch.html', asset('text/html; charset=utf-8', PAGE)]]),
      });
      const server = await hub.listen(0);
      hubs.push(hub);
      ports.push((server.address() as { port: number }).port);
    }
    proxy = await startTcpProxy(ports[0]!);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await proxy?.close();
    for (const hub of hubs) await hub.close();
    await redis?.stop();
  });

  it('nothing lost, nothing doubled', async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${proxy.port}/switch.html`);
    await page.waitForFunction(() => (window as unknown as { opens: number }).opens === 1);
    const sent: string[] = [];
    // Publishers post to either hub: the cluster has one order.
    const publish = async (n: number) => {
      await hubs[n % 2]!.publish({ topics: `switch/${n % 3}`, data: String(n) });
      sent.push(String(n));
    };
    for (let n = 0; n < 10; n++) await publish(n);
    await page.waitForFunction(() => (window as unknown as { got: unknown[] }).got.length === 10);
    // The balancer now sends this client to the second hub, and its connection drops.
    proxy.retarget(ports[1]!);
    proxy.cutAll();
    for (let n = 10; n < 20; n++) await publish(n);
    await page.waitForFunction(() => (window as unknown as { opens: number }).opens === 2, undefined, {
      timeout: 10_000,
    });
    for (let n = 20; n < 30; n++) await publish(n);
    await page.waitForFunction(() => (window as unknown as { got: unknown[] }).got.length >= 30, undefined, {
      timeout: 10_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const got = await page.evaluate(
      () => (window as unknown as { got: Array<{ data: string; id: string }> }).got,
    );
    assert.deepEqual(
      got.map((e) => e.data),
      sent,
      'every event once, in the order published',
    );
    assert.equal(new Set(got.map((e) => e.id)).size, 30, 'thirty distinct ids');
    assert.equal(hubs[1]!.stats().connections, 1, 'the browser is on the second hub now');
    assert.equal(hubs[0]!.stats().connections, 0);
    await page.close();
  });
});
