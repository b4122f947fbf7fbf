// The monitor page in real headless Chromium: filled from history at once, live numbers and
// charts, top processes, warnings, the publish panel, and the connection state across a restart.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { HubOptions } from '../../src/create-hub.js';
import { browserUnavailable, type LaunchedBrowser, launchBrowser } from '../support/browser.js';
import { eventsUrl, StreamReader, sleep, startHub, type TestHub } from '../support/hub.js';

const SHOTS = '.tmp/monitor';
const OPTIONS: HubOptions = {
  shedRetryMs: 200,
  retryMs: 300,
  monitor: {
    intervalMs: 200,
    // A low connection rule, so that the test's few subscribers raise a warning.
    thresholds: [
      { name: 'connections', metric: 'connections', warn: 6, clear: 3, label: 'open connections' },
    ],
  },
};

async function text(page: Page, selector: string): Promise<string> {
  return (await page.textContent(selector))?.trim() ?? '';
}

async function waitState(page: Page, state: string, timeout = 30_000): Promise<void> {
  try {
    await page.waitForSelector(`#conn-state[data-state="${state}"]`, { timeout });
  } catch (error) {
    const shown = await page.getAttribute('#conn-state', 'data-state').catch(() => 'nothing');
    await page.screenshot({ path: `${SHOTS}/not-${state}.png` }).catch(() => {});
    throw new Error(`the page never showed "${state}" within ${timeout} ms; it shows "${shown}"`, {
      cause: error,
    });
  }
  assert.equal(await text(page, '#conn-state-text'), state);
}

describe('monitor page in Chromium', { skip: browserUnavailable, timeout: 90_000 }, () => {
  let browser: LaunchedBrowser;
  let hub: TestHub | undefined;
  const readers: StreamReader[] = [];
  let traffic: NodeJS.Timeout | undefined;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    browser = await launchBrowser();
  });
  after(async () => {
    clearInterval(traffic);
    for (const r of readers) r.close();
    await hub?.close();
    await browser?.close();
  });

  it('loads full from history, updates live, and follows the hub away and back', async () => {
    hub = await startHub(OPTIONS);
    const port = hub.port;
    // Some life: subscribers on a few topics and a steady trickle of events.
    for (const topics of [
      ['stocks/*'],
      ['stocks/*'],
      ['chat/lobby'],
      ['news/**'],
      ['stocks/ACME', 'news/**'],
    ]) {
      const reader = await StreamReader.open(eventsUrl(hub, topics));
      readers.push(reader);
    }
    let n = 0;
    const live = hub;
    traffic = setInterval(() => {
      n++;
      live.hub
        .publish({ topics: `stocks/${n % 2 ? 'ACME' : 'INIT'}`, data: String(100 + (n % 7)) })
        .catch(() => {});
      if (n % 3 === 0) live.hub.publish({ topics: 'news/world/today', data: `story ${n}` }).catch(() => {});
    }, 40);
    await sleep(2000); // about ten snapshots of history before the page exists

    const page = await browser.newPage();
    await page.setViewportSize({ width: 1440, height: 900 });
    const errors: string[] = [];
    page.on('pageerror', (e) => {
      errors.push(String(e));
      console.error('page error:', e);
    });
    await page.goto(`${hub.url}/`);
    await waitState(page, 'open');

    // The charts start full: the first non-empty count comes from history.json, not tick by tick.
    const handle = await page.waitForFunction(() => {
      const n = Number(document.getElementById('chart-connections')?.dataset.points ?? 0);
      return n > 0 ? n : false;
    });
    const first = Number(await handle.jsonValue());
    assert.ok(first >= 5, `charts filled from history at load: ${first} points`);
    assert.equal(await page.locator('#chart-events canvas').count(), 1, 'uPlot drew the events chart');

    // Live updates: ticks, numbers and charts move.
    const ticks0 = Number(await page.getAttribute('body', 'data-ticks'));
    const requests0 = Number((await text(page, '#http-total')).replace(/,/g, ''));
    await page.waitForFunction((t) => Number(document.body.dataset.ticks) >= t + 4, ticks0);
    const requests1 = Number((await text(page, '#http-total')).replace(/,/g, ''));
    assert.ok(requests1 > requests0 || requests0 > 0, 'HTTP requests counted');
    assert.ok(Number(await page.getAttribute('#chart-load', 'data-points')) >= first + 3);
    assert.ok(Number(await text(page, '#connections-now')) >= 6, 'the page and five readers');
    assert.ok(Number(await text(page, '#events-published-rate')) > 5, 'about 33 events per second');
    assert.match(await text(page, '#uptime'), /^\d+s$/);
    assert.match(await text(page, '#load-1'), /^\d+\.\d\d$/);
    assert.match(await text(page, '#mem-rss'), /MiB|GiB/);
    const topics = await page.locator('#topics-body td.name').allTextContents();
    assert.ok(topics.includes('stocks/*') && topics.includes('$SYS/stats'), topics.join(', '));
    if (process.platform === 'linux') {
      await page.waitForSelector('#top-body td.name');
      assert.ok((await page.locator('#top-body tr').count()) >= 1);
    }
    // Six connections crossed the warning line of the rule given above.
    await page.waitForSelector('#warnings-list li[data-kind="warning"]');
    assert.match(await text(page, '#warnings-list li[data-kind="warning"] .msg'), /open connections is \d+/);
    assert.equal(await page.locator('#active-warnings .alert').count(), 1);

    // The publish panel: paste a token, publish, watch it arrive.
    await page.fill('#publish-token', hub.token);
    await page.fill('#publish-topic', 'demo/hello');
    await page.fill('#publish-data', 'hello from the test');
    await page.click('#publish-send');
    await page.waitForSelector('#publish-log li:has-text("received on demo/hello: hello from the test")');
    assert.equal(await page.locator('#publish-log .badge.error').count(), 0);
    await page.screenshot({ path: `${SHOTS}/open.png`, fullPage: true });

    // The hub goes away: the native EventSource reconnects, the page says so.
    clearInterval(traffic);
    for (const r of readers.splice(0)) r.close();
    await hub.close();
    hub = undefined;
    await waitState(page, 'reconnecting');
    // The last figures stay, dimmed and dated: they are no longer live.
    await page.waitForSelector('#stale-note:not([hidden])');
    assert.match(await text(page, '#stale-note'), /^Figures from \d\d:\d\d:\d\d, hub unreachable/);
    assert.equal(await page.evaluate(() => document.body.classList.contains('stale')), true);
    await page.screenshot({ path: `${SHOTS}/reconnecting.png` });
    await sleep(500);
    await waitState(page, 'reconnecting');

    // A new hub on the same port: open again, and the numbers follow the new hub.
    hub = await startHub(OPTIONS, port);
    await waitState(page, 'open');
    const ticks1 = Number(await page.getAttribute('body', 'data-ticks'));
    await page.waitForFunction((t) => Number(document.body.dataset.ticks) >= t + 2, ticks1);
    assert.match(await text(page, '#uptime'), /^[0-5]s$/, 'uptime of the new hub');
    assert.equal(await page.isHidden('#stale-note'), true, 'live again: no longer dated');
    assert.equal(await page.evaluate(() => document.body.classList.contains('stale')), false);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('narrow screens: one column, nothing wider than the viewport', async () => {
    hub ??= await startHub(OPTIONS);
    const page = await browser.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${hub.url}/`);
    await waitState(page, 'open');
    await page.waitForFunction(() => Number(document.body.dataset.ticks) >= 2);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    await page.screenshot({ path: `${SHOTS}/narrow.png`, fullPage: true });
    await page.close();
  });
});
