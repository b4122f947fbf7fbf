import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asset } from '../../src/http/static-assets.js';
import { browserUnavailable, type LaunchedBrowser, launchBrowser } from '../support/browser.js';
import { startHub, type TestHub, token } from '../support/hub.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const CLIENT_PAGE = `<!doctype html><meta charset="utf-8"><title>herald/client</title><script type="module">
  import { EventSource } from '/herald-client.js';
  window.got = [];
  const token = new URLSearchParams(location.search).get('token');
  const source = new EventSource('/events?topic=inbox/alice', { headers: { Authorization: 'Bearer ' + token } });
  source.addEventListener('note', (e) => window.got.push(e.data));
  source.onopen = () => { window.opened = true; };
</script>`;

const PAGE = `<!doctype html><meta charset="utf-8"><title>native EventSource</title><script>
  window.got = []; window.opens = 0; window.errors = 0; window.states = [];
  const source = new EventSource('/events?topic=chat/*');
  const record = (e) => window.got.push({ type: e.type, data: e.data, id: e.lastEventId });
  source.addEventListener('say', record);
  source.onmessage = record;
  source.onopen = () => { window.opens++; window.states.push(source.readyState); };
  source.onerror = () => { window.errors++; window.states.push(source.readyState); };
</script>`;

describe('a real browser against the hub', { skip: browserUnavailable }, () => {
  let hub: TestHub;
  let proxy: TcpProxy;
  let browser: LaunchedBrowser;
  before(async () => {
    hub = await startHub({
      retryMs: 300,
      monitor: false,
      assets: new Map([
        ['/native.html', asset('text/html; charset=utf-8', PAGE)],
        ['/client.html', asset('text/html; charset=utf-8', CLIENT_PAGE)],
      ]),
    });
    proxy = await startTcpProxy(hub.port);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await proxy?.close();
    await hub?.close();
  });

  it('receives named events, reconnects by itself after a drop, and gets what it missed exactly once', async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${proxy.port}/native.html`);
    await page.waitForFunction(() => (window as unknown as { opens: number }).opens === 1);
    const sent: string[] = [];
    const publish = async (data: string, type?: string) => {
      await hub.publish(`chat/${sent.length % 2 === 0 ? 'a' : 'b'}`, data, type ? { type } : {});
      sent.push(data);
    };
    await publish('hello', 'say');
    await publish('line one\nline two', 'say');
    await publish('{"plain":"message"}');
    await page.waitForFunction(() => (window as unknown as { got: unknown[] }).got.length === 3);
    proxy.cutAll();
    // Published while the browser is disconnected: it must get these on its own reconnect.
    await publish('missed 1', 'say');
    await publish('missed 2');
    await page.waitForFunction(() => (window as unknown as { opens: number }).opens === 2, undefined, {
      timeout: 10_000,
    });
    await publish('after', 'say');
    await page.waitForFunction(() => (window as unknown as { got: unknown[] }).got.length >= 6);
    const result = await page.evaluate(() => {
      const w = window as unknown as {
        got: Array<{ type: string; data: string; id: string }>;
        states: number[];
      };
      return { got: w.got, states: w.states };
    });
    assert.deepEqual(
      result.got.map((e) => e.data),
      sent,
    );
    assert.deepEqual(
      result.got.map((e) => e.type),
      ['say', 'say', 'message', 'say', 'message', 'say'],
    );
    assert.equal(new Set(result.got.map((e) => e.id)).size, 6, 'six distinct ids: no duplicate');
    // open, error while reconnecting (CONNECTING), open again
    assert.deepEqual(result.states, [1, 0, 1]);
    await page.close();
  });

  it('serves herald/client at /herald-client.js; a page uses it to send a token and get private events', async () => {
    const page = await browser.newPage();
    const subscriber = await token({ subscribe: ['inbox/alice'] });
    await page.goto(`${hub.url}/client.html?token=${subscriber}`);
    await page.waitForFunction(() => (window as unknown as { opened?: boolean }).opened === true);
    await hub.publish('inbox/alice', 'for alice only', { type: 'note', private: true });
    await page.waitForFunction(() => (window as unknown as { got: string[] }).got.length === 1);
    assert.deepEqual(await page.evaluate(() => (window as unknown as { got: string[] }).got), [
      'for alice only',
    ]);
    await page.close();
  });
});
