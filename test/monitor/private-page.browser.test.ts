// The monitor page of a private monitor (monitor.auth) in Chromium: it asks for a monitor token,
// says why a wrong one is refused, then shows the figures over a ticketed stream, and remembers the
// token for the tab.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browserUnavailable, type LaunchedBrowser, launchBrowser } from '../support/browser.js';
import { startHub, type TestHub, token } from '../support/hub.js';

describe('a private monitor page in Chromium', { skip: browserUnavailable, timeout: 60_000 }, () => {
  let browser: LaunchedBrowser;
  let hub: TestHub;
  before(async () => {
    browser = await launchBrowser();
    hub = await startHub({ retryMs: 300, monitor: { auth: true, intervalMs: 200 } });
  });
  after(async () => {
    await browser?.close();
    await hub?.close();
  });

  it('asks for a token, refuses one that does not list $SYS/**, then shows live figures', async () => {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error('page error:', e));
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    await page.goto(`${hub.url}/`);
    await page.waitForSelector('#monitor-auth:not([hidden])');
    assert.match((await page.textContent('#monitor-auth-reason')) ?? '', /this hub's monitor is private/);
    assert.equal(hub.hub.stats().connections, 0, 'no stream before a token');
    // The pill says what the page waits for: a token, not a connection.
    assert.equal(await page.getAttribute('#conn-state', 'data-state'), 'token-needed');
    assert.equal((await page.textContent('#conn-state-text'))?.trim(), 'token needed');

    await page.fill('#monitor-token', await token({ subscribe: ['**'] }));
    await page.click('#monitor-auth button');
    await page.waitForFunction(() =>
      /does not list/.test(document.getElementById('monitor-auth-reason')?.textContent ?? ''),
    );

    await page.fill('#monitor-token', await token({ subscribe: ['$SYS/**'] }));
    await page.click('#monitor-auth button');
    await page.waitForSelector('#monitor-auth', { state: 'hidden' });
    await page.waitForSelector('#conn-state[data-state="open"]');
    await page.waitForFunction(() =>
      /^\d+$/.test(document.getElementById('connections-now')?.textContent ?? ''),
    );
    assert.equal(hub.hub.stats().authenticatedConnections, 1);
    const stream = requested.find((u) => u.includes('/events?'));
    assert.match(stream ?? '', /ticket=[\w-]{32}/, 'the stream carries a ticket');
    for (const url of requested) assert.doesNotMatch(url, /eyJ/, `no token in ${url}`);

    // The tab remembers the token: a reload goes straight to the figures.
    await page.reload();
    await page.waitForSelector('#conn-state[data-state="open"]');
    assert.equal(await page.isHidden('#monitor-auth'), true);
    await page.close();
  });
});
