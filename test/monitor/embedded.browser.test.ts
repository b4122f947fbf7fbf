// The hub mounted under a prefix in an Express app (`app.use('/realtime', hub.handler)`): the
// monitor page loads its assets, its history and its streams relative to where it is served, and a
// browser tab navigating to the mounted /events, or to the prefix without its slash, lands on the
// mounted monitor, never on the app's own `/`.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import type { Page } from 'playwright-core';
import { createHub, type HeraldHub } from '../../src/create-hub.js';
import { browserUnavailable, type LaunchedBrowser, launchBrowser } from '../support/browser.js';
import { TEST_KEY, token } from '../support/hub.js';

const SHOTS = '.tmp/embedded';

describe('the monitor under a prefix in Express', { skip: browserUnavailable, timeout: 60_000 }, () => {
  let hub: HeraldHub;
  let server: Server;
  let origin: string;
  let browser: LaunchedBrowser;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    hub = createHub({ jwtKey: TEST_KEY, monitor: { intervalMs: 200 } });
    const app = express();
    app.get('/', (_req, res) => {
      res.send('<!doctype html><title>the app</title><link rel="icon" href="data:,"><h1>the app</h1>');
    });
    app.use('/realtime', hub.handler);
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await hub?.close();
    server?.closeAllConnections();
    server?.close();
  });

  /** Opens a page that records every answer that is not a success. */
  async function open(): Promise<{ page: Page; failures: string[] }> {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    const failures: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) failures.push(`${response.status()} ${response.url()}`);
    });
    page.on('requestfailed', (request) => {
      // A stream cut by page.close() is not a failure of the page.
      if (!request.url().includes('/events?')) failures.push(`failed ${request.url()}`);
    });
    page.on('pageerror', (error) => failures.push(`page error ${String(error)}`));
    return { page, failures };
  }

  it('serves the whole monitor from /realtime/: assets, history, live stats and the publish panel', async () => {
    const { page, failures } = await open();
    const requested: string[] = [];
    page.on('request', (request) => requested.push(new URL(request.url()).pathname));
    await page.goto(`${origin}/realtime/`);
    await page.waitForSelector('#conn-state[data-state="open"]');
    await page.waitForFunction(() => Number(document.body.dataset.ticks) >= 3);
    for (const path of [
      '/realtime/monitor/monitor.js',
      '/realtime/monitor/monitor.css',
      '/realtime/monitor/uPlot.iife.min.js',
      '/realtime/monitor/history.json',
      '/realtime/events',
    ])
      assert.ok(requested.includes(path), `requested ${path}`);
    assert.ok(
      requested.every((path) => path.startsWith('/realtime/')),
      `nothing outside the mount: ${requested.join(' ')}`,
    );
    assert.equal(await page.locator('#chart-events canvas').count(), 1, 'uPlot drew the charts');
    await page.fill('#publish-token', await token({ publish: ['**'] }));
    await page.fill('#publish-topic', 'demo/mounted');
    await page.fill('#publish-data', 'published through the mount');
    await page.click('#publish-send');
    await page.waitForSelector(
      '#publish-log li:has-text("received on demo/mounted: published through the mount")',
    );
    assert.equal(
      await page.getAttribute('footer a[href="metrics"]', 'href'),
      'metrics',
      'footer links are relative too',
    );
    await page.screenshot({ path: `${SHOTS}/monitor.png`, fullPage: true });
    assert.deepEqual(failures, []);
    await page.close();
  });

  for (const [what, path] of [
    ['a tab navigating to the mounted /events', '/realtime/events?topic=news/**'],
    ['the prefix without its slash', '/realtime'],
  ] as const) {
    it(`sends ${what} to the mounted monitor, not the app's /`, async () => {
      const { page, failures } = await open();
      await page.goto(`${origin}${path}`);
      assert.equal(new URL(page.url()).pathname, '/realtime/');
      await page.waitForSelector('#conn-state[data-state="open"]');
      assert.notEqual(await page.title(), 'the app');
      assert.deepEqual(failures, []);
      await page.close();
    });
  }
});
