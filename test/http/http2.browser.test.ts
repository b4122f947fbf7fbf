// A browser's six-connections-per-host limit stops applying over HTTP/2: one Chromium page holds ten
// EventSources to the hub at once and each receives its events. The same page over HTTP/1.1 (the
// same hub, a plain port) shows the limit, so the HTTP/2 half cannot pass by accident.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { asset } from '../../src/http/static-assets.js';
import { browserUnavailable, type LaunchedBrowser, launchBrowser } from '../support/browser.js';
import { sleep, startHub, type TestHub } from '../support/hub.js';
import { makeCertificate, opensslUnavailable, type TestCertificate } from '../support/tls.js';

const SOURCES = 10;

const PAGE = `<!doctype html><meta charset="utf-8"><title>ten streams</title><link rel="icon" href="data:,">
<script>
  window.got = [];
  window.opened = [];
  for (let i = 0; i < ${SOURCES}; i++) {
    window.got.push([]);
    window.opened.push(false);
    const source = new EventSource('/events?topic=many/' + i);
    source.onopen = () => { window.opened[i] = true; };
    source.onmessage = (e) => window.got[i].push(e.data);
  }
</script>`;

interface PageState {
  got: string[][];
  opened: boolean[];
}

describe('ten EventSources in one page', {
  skip: browserUnavailable ?? opensslUnavailable,
  timeout: 60_000,
}, () => {
  let certificate: TestCertificate;
  let hub: TestHub;
  let secureOrigin: string;
  let browser: LaunchedBrowser;

  before(async () => {
    certificate = makeCertificate();
    hub = await startHub({
      monitor: false,
      assets: new Map([['/many.html', asset('text/html; charset=utf-8', PAGE)]]),
    });
    const secure = await hub.hub.listen(0, '127.0.0.1', {
      tls: { cert: certificate.cert, key: certificate.key },
    });
    secureOrigin = `https://127.0.0.1:${(secure.address() as AddressInfo).port}`;
    browser = await launchBrowser({ ignoreHTTPSErrors: true });
  });
  after(async () => {
    await browser?.close();
    await hub?.close();
    certificate?.remove();
  });

  const state = (page: import('playwright-core').Page): Promise<PageState> =>
    page.evaluate(() => {
      const w = window as unknown as PageState;
      return { got: w.got, opened: w.opened };
    });

  it('over HTTP/2 every one of them opens and receives its events', async () => {
    const page = await browser.newPage();
    await page.goto(`${secureOrigin}/many.html`);
    const protocol = await page.evaluate(
      () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol,
    );
    assert.equal(protocol, 'h2');
    await page.waitForFunction(() => (window as unknown as PageState).opened.every(Boolean), undefined, {
      timeout: 10_000,
    });
    const deadline = Date.now() + 5000;
    while (hub.hub.stats().connections < SOURCES && Date.now() < deadline) await sleep(20);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < SOURCES; i++) await hub.publish(`many/${i}`, `${i}.${round}`);
    }
    await page.waitForFunction(
      (n) => (window as unknown as PageState).got.every((list) => list.length === n),
      2,
      { timeout: 10_000 },
    );
    const { got } = await state(page);
    assert.deepEqual(
      got,
      Array.from({ length: SOURCES }, (_, i) => [`${i}.0`, `${i}.1`]),
    );
    await page.close();
  });

  it('over HTTP/1.1 (the control) only six of them get a connection', async () => {
    const page = await browser.newPage();
    await page.goto(`${hub.url}/many.html`);
    await page.waitForFunction(
      () => (window as unknown as PageState).opened.filter(Boolean).length >= 6,
      undefined,
      { timeout: 10_000 },
    );
    // Give the other four every chance to open.
    await sleep(1000);
    const { opened } = await state(page);
    assert.equal(opened.filter(Boolean).length, 6);
    await page.close();
  });
});
