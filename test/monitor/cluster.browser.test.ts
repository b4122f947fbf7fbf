// The monitor's cluster view: two hubs on one Redis stream; $SYS/stats carries both (from the
// heartbeat) and the page shows each hub's id, address, connections, events/s and last seen.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { openHub } from '../../src/create-hub.js';
import type { StatsSnapshot } from '../../src/monitor/snapshot.js';
import { browserUnavailable, launchBrowser } from '../support/browser.js';
import { StreamReader, TEST_KEY } from '../support/hub.js';
import { redisUnavailable, startRedis } from '../support/redis.js';

const SHOTS = '.tmp/monitor';

describe('monitor cluster view', { skip: browserUnavailable ?? redisUnavailable, timeout: 60_000 }, () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('shows each hub of the cluster beside this one, and drops one that left', async () => {
    mkdirSync(SHOTS, { recursive: true });
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const options = {
      store: `${redis.url}?stream=monitor`,
      jwtKey: TEST_KEY,
      presenceMs: 500,
      monitor: { intervalMs: 200 },
    };
    const a = await openHub(options);
    const b = await openHub(options);
    cleanups.push(() => a.close());
    let bOpen = true;
    cleanups.push(() => (bOpen ? b.close() : undefined));
    const aUrl = `http://127.0.0.1:${((await a.listen(0)).address() as AddressInfo).port}`;
    const bUrl = `http://127.0.0.1:${((await b.listen(0)).address() as AddressInfo).port}`;
    // Two subscribers on hub B, so that its row differs from hub A's.
    for (let i = 0; i < 2; i++) {
      const reader = await StreamReader.open(`${bUrl}/events?topic=demo/x`);
      await reader.ready();
      cleanups.push(() => reader.close());
    }

    // The snapshot on $SYS/stats carries both hubs.
    const stats = await StreamReader.open(`${aUrl}/events?topic=$SYS/stats`);
    cleanups.push(() => stats.close());
    await stats.until(
      () =>
        stats.events.some((e) =>
          (JSON.parse(e.data) as StatsSnapshot).cluster?.some((h) => h.connections === 2),
        ),
      'a snapshot with both hubs',
      10_000,
    );
    const snapshot = JSON.parse(stats.events.at(-1)!.data) as StatsSnapshot;
    assert.equal(snapshot.cluster?.length, 2);
    assert.equal(snapshot.cluster?.[0]?.self, true);
    assert.equal(snapshot.cluster?.[0]?.address, `${aUrl}/`);
    assert.deepEqual(
      snapshot.cluster?.filter((h) => !h.self).map((h) => [h.address, h.connections]),
      [[`${bUrl}/`, 2]],
    );

    const browser = await launchBrowser();
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    await page.setViewportSize({ width: 1280, height: 1400 });
    await page.goto(`${aUrl}/`);
    // Read in the page in one go, once both rows are there (a render in between cannot split it).
    const handle = await page.waitForFunction(
      () => {
        const trs = [...document.querySelectorAll('#cluster-body tr')];
        if (trs.length !== 2) return undefined;
        return trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''));
      },
      undefined,
      { timeout: 10_000 },
    );
    const rows = (await handle.jsonValue()) as string[][];
    assert.match(rows[0]![0]!, /\(this hub\)$/);
    assert.equal(rows[0]![1], `${aUrl}/`);
    assert.equal(rows[0]![4], 'now');
    assert.equal(rows[1]![1], `${bUrl}/`);
    assert.equal(rows[1]![2], '2');
    assert.match(rows[1]![4]!, /^\d+\.\d s ago$/);
    assert.match((await page.textContent('#cluster-count')) ?? '', /2 hubs/);
    const panel = await page.$('#cluster-panel');
    await panel!.screenshot({ path: `${SHOTS}/cluster.png` });
    await page.screenshot({ path: `${SHOTS}/cluster-desktop.png`, fullPage: true });

    const cutNames = await page.$$eval('#cluster-body td.name', (tds) =>
      tds.filter((td) => td.scrollWidth > td.clientWidth).map((td) => td.textContent),
    );
    assert.deepEqual(cutNames, [], 'hub names shortened at a desktop width');

    // On a phone: nothing wider than the screen, every hub's name and last seen whole and in view.
    await page.setViewportSize({ width: 390, height: 844 });
    const narrow = await page.evaluate(() => {
      const cells = [...document.querySelectorAll<HTMLElement>('#cluster-body td')];
      return {
        pageWidth: document.documentElement.scrollWidth,
        cut: cells
          .filter((td) => td.scrollWidth > td.clientWidth || td.getBoundingClientRect().right > 390)
          .map((td) => td.textContent),
        lastSeen: cells.filter((td) => /ago$|^now$/.test(td.textContent ?? '')).length,
      };
    });
    await page.screenshot({ path: `${SHOTS}/cluster-390.png`, fullPage: true });
    assert.ok(narrow.pageWidth <= 390, `the page is ${narrow.pageWidth}px wide on a 390px screen`);
    assert.deepEqual(narrow.cut, [], 'cells cut off or outside the screen');
    assert.equal(narrow.lastSeen, 2);

    // Hub B leaves (a clean close takes its record off the board at once).
    await b.close();
    bOpen = false;
    await page.waitForFunction(() => document.querySelectorAll('#cluster-body tr').length === 1, undefined, {
      timeout: 10_000,
    });
  });
});
