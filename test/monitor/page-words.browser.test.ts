// What the monitor page says in Chromium: counts with their nouns in the right number, the load
// chart's three averages, and, when a publish is refused for want of a token, how to get one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { SystemSample } from '../../src/monitor/snapshot.js';
import { browserUnavailable, type LaunchedBrowser, launchBrowser } from '../support/browser.js';
import { startHub, type TestHub } from '../support/hub.js';

/** One CPU, so that the load card reads "1 CPU". */
const sample = (): SystemSample => ({
  load: [0.5, 0.25, 0.125],
  cpus: 1,
  cpu: { process: 1, system: 2 },
  memory: { rss: 1e6, heapUsed: 1e6, systemTotal: 1e9, systemFree: 5e8 },
});

async function text(page: Page, selector: string): Promise<string> {
  return (await page.textContent(selector))?.trim() ?? '';
}

describe("the monitor page's words in Chromium", { skip: browserUnavailable, timeout: 60_000 }, () => {
  let browser: LaunchedBrowser;
  let hub: TestHub;
  before(async () => {
    browser = await launchBrowser();
    hub = await startHub({ monitor: { intervalMs: 200, sample } });
    // Exactly one event in the history.
    assert.equal((await hub.post({ topic: 'demo/one', data: 'x' })).status, 200);
  });
  after(async () => {
    await browser?.close();
    await hub?.close();
  });

  it('counts in the singular for one, in the plural otherwise', async () => {
    const page = await browser.newPage();
    await page.goto(`${hub.url}/`);
    await page.waitForFunction(() => Number(document.body.dataset.ticks) >= 2);
    assert.equal(await text(page, '#history-events'), '1 event');
    assert.equal(await text(page, '#cpus'), '1 CPU');
    assert.equal(await text(page, '#slow-consumers'), '0 slow drops');
    await page.close();
  });

  it("draws the load chart's 1, 5 and 15-minute averages, each in the legend", async () => {
    const page = await browser.newPage();
    await page.goto(`${hub.url}/`);
    await page.waitForFunction(() => Number(document.body.dataset.ticks) >= 2);
    const labels = await page.locator('#chart-load .u-legend .u-series th').allTextContents();
    assert.deepEqual(
      labels.map((l) => l.trim()).filter((l) => l !== '' && l !== 'Time'),
      ['1 min', '5 min', '15 min'],
    );
    await page.close();
  });

  it('after a publish refused for want of a token, says how to get one that runs as written', async () => {
    const page = await browser.newPage();
    await page.goto(`${hub.url}/`);
    await page.fill('#publish-token', '');
    await page.click('#publish-send');
    await page.waitForSelector('#publish-log .badge.hint');
    const hint = await text(page, '#publish-log li:has(.badge.hint) .msg');
    assert.match(hint, /npx herald serve/);
    assert.match(hint, /HERALD_JWT_KEY=\$\(openssl rand -base64 32\)/);
    assert.match(hint, /npx herald token --publish 'demo\/\*\*'/);
    assert.doesNotMatch(hint, /(?<!npx )herald (serve|token)/, 'every command through npx');
    await page.close();
  });
});
