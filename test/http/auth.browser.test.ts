// Private events in real Chromium, the way a browser app gets them: a page on a second origin
// (an app on another port of the hub's site, whose backend sets the HttpOnly cookie) uses
// `new EventSource(url, { withCredentials: true })`; the ticket flow (fetch POST /tickets, then
// EventSource with ?ticket=); herald-reauth at expiry, then 401 on the reconnect; and a page on an
// origin the hub does not allow opens no stream.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { browserUnavailable, type LaunchedBrowser, launchBrowser } from '../support/browser.js';
import { httpRequest, startHub, type TestHub, token } from '../support/hub.js';

/** The page: helpers the test drives with page.evaluate; everything it saw is in window.seen. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>app</title><script>
  window.seen = { events: [], errors: 0, opens: 0, states: [], urls: [] };
  function watch(source) {
    window.seen.urls.push(source.url);
    const record = (e) => window.seen.events.push({ type: e.type, data: e.data, id: e.lastEventId });
    source.onmessage = record;
    source.addEventListener('herald-reauth', record);
    source.onopen = () => { window.seen.opens++; window.seen.states.push(source.readyState); };
    source.onerror = () => { window.seen.errors++; window.seen.states.push(source.readyState); };
    window.source = source;
  }
  window.withCookie = async (hub, topic, ttl) => {
    const login = await fetch('/login?user=alice' + (ttl ? '&ttl=' + ttl : ''), { method: 'POST' });
    if (!login.ok) throw new Error('login failed');
    watch(new EventSource(hub + '/events?topic=' + encodeURIComponent(topic), { withCredentials: true }));
  };
  window.withTicket = async (hub, topic) => {
    const { token } = await (await fetch('/token?user=alice')).json();
    const answer = await fetch(hub + '/tickets', { method: 'POST', headers: { Authorization: 'Bearer ' + token } });
    if (!answer.ok) throw new Error('tickets: ' + answer.status + ' ' + (await answer.text()));
    const { ticket, expiresIn } = await answer.json();
    window.seen.expiresIn = expiresIn;
    watch(new EventSource(hub + '/events?topic=' + encodeURIComponent(topic) + '&ticket=' + ticket));
  };
  window.plain = (hub, topic) => watch(new EventSource(hub + '/events?topic=' + encodeURIComponent(topic), { withCredentials: true }));
</script>`;

interface App {
  url: string;
  close(): Promise<void>;
}

/** The app's backend on the hub's site (same host, another port): logs a user in, mints tokens. */
async function startApp(): Promise<App> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://app.invalid');
    const user = url.searchParams.get('user') ?? 'nobody';
    const ttl = Number(url.searchParams.get('ttl') ?? 600);
    const mint = () => token({ subscribe: [`users/${user}/**`], ttlSeconds: ttl });
    if (url.pathname === '/page.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (url.pathname === '/login' && req.method === 'POST') {
      mint().then((jwt) => {
        // HttpOnly: page scripts never see it. Cookies are not kept apart by port, so the hub on
        // another port of this host receives it; a real deployment sets Domain=example.com.
        res.writeHead(204, { 'set-cookie': `herald_auth=${jwt}; HttpOnly; SameSite=Lax; Path=/` }).end();
      });
    } else if (url.pathname === '/token') {
      mint().then((jwt) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: jwt })),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

interface Seen {
  events: Array<{ type: string; data: string; id: string }>;
  errors: number;
  opens: number;
  states: number[];
  urls: string[];
  expiresIn?: number;
}
const seen = (page: Page) => page.evaluate(() => (window as unknown as { seen: Seen }).seen);

describe('private events in Chromium', { skip: browserUnavailable, timeout: 90_000 }, () => {
  let app: App;
  let hub: TestHub;
  let browser: LaunchedBrowser;
  before(async () => {
    app = await startApp();
    hub = await startHub({ monitor: false, retryMs: 200, corsOrigins: [app.url] });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await hub?.close();
    await app?.close();
  });

  async function openPage(origin: string): Promise<Page> {
    const page = await browser.newPage();
    page.on('pageerror', (error) => console.error('page error:', error));
    await page.goto(`${origin}/page.html`);
    return page;
  }

  async function waitForStreams(n: number): Promise<void> {
    for (let i = 0; i < 200 && hub.hub.stats().connections !== n; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal(hub.hub.stats().connections, n);
  }

  it("a page on a second origin gets its user's private events with the HttpOnly cookie and withCredentials", async () => {
    const page = await openPage(app.url);
    await page.evaluate(
      ([h]) =>
        (window as unknown as { withCookie: (h: string, t: string) => Promise<void> }).withCookie(
          h!,
          'users/alice/inbox',
        ),
      [hub.url],
    );
    await page.waitForFunction(() => (window as unknown as { seen: Seen }).seen.opens === 1);
    assert.equal(await page.evaluate(() => document.cookie.includes('herald_auth')), false, 'HttpOnly');
    await hub.publish('users/alice/inbox', 'for alice', { private: true });
    await hub.publish('users/bob/inbox', 'for bob', { private: true });
    await hub.publish('users/alice/inbox', 'public note');
    await page.waitForFunction(() => (window as unknown as { seen: Seen }).seen.events.length >= 2);
    const result = await seen(page);
    assert.deepEqual(
      result.events.map((e) => e.data),
      ['for alice', 'public note'],
    );
    assert.equal(hub.hub.stats().authenticatedConnections, 1);
    assert.ok(!result.urls.some((u) => /access_token|eyJ/.test(u)), `no secret in the URL: ${result.urls}`);
    await page.close();
    await waitForStreams(0);
  });

  it('the ticket flow: fetch POST /tickets (with a preflight for the header), then EventSource with ?ticket=', async () => {
    const page = await openPage(app.url);
    await page.evaluate(
      ([h]) =>
        (window as unknown as { withTicket: (h: string, t: string) => Promise<void> }).withTicket(
          h!,
          'users/alice/**',
        ),
      [hub.url],
    );
    await page.waitForFunction(() => (window as unknown as { seen: Seen }).seen.opens === 1);
    await hub.publish('users/alice/mail', 'ticketed', { private: true });
    await page.waitForFunction(() => (window as unknown as { seen: Seen }).seen.events.length === 1);
    const result = await seen(page);
    assert.equal(result.events[0]!.data, 'ticketed');
    assert.equal(result.expiresIn, 30);
    assert.match(result.urls[0]!, /[?&]ticket=[A-Za-z0-9_-]{32}$/);
    assert.doesNotMatch(result.urls[0]!, /eyJ/, 'no JWT in the EventSource URL');
    await page.close();
    await waitForStreams(0);
  });

  it("at the cookie token's expiry the page sees herald-reauth, then the reconnect is refused (401) and it stops", async () => {
    const page = await openPage(app.url);
    await page.evaluate(
      ([h]) =>
        (
          window as unknown as { withCookie: (h: string, t: string, ttl: number) => Promise<void> }
        ).withCookie(h!, 'users/alice/inbox', 3),
      [hub.url],
    );
    await page.waitForFunction(() => (window as unknown as { seen: Seen }).seen.opens === 1);
    await hub.publish('users/alice/inbox', 'before expiry', { private: true });
    await page.waitForFunction(
      () => (window as unknown as { source: EventSource }).source.readyState === EventSource.CLOSED,
      undefined,
      { timeout: 10_000 },
    );
    const result = await seen(page);
    assert.deepEqual(
      result.events.map((e) => e.type),
      ['message', 'herald-reauth'],
    );
    assert.ok(JSON.parse(result.events[1]!.data), 'herald-reauth carries JSON');
    // Open, then the end (CONNECTING: the browser retries), then the 401 (CLOSED: it gives up).
    assert.deepEqual(result.states, [1, 0, 2]);
    await waitForStreams(0);
    const expired = await httpRequest(`${hub.url}/events?topic=users/alice/inbox`, {
      headers: {
        accept: 'text/event-stream',
        cookie: (await browser.context.cookies(hub.url)).map((c) => `${c.name}=${c.value}`).join('; '),
      },
    });
    assert.equal(expired.status, 401);
    assert.match(expired.body, /the token has expired/);
    await page.close();
  });

  it('a page on an origin the hub does not allow opens no stream: 403, and the EventSource gives up', async () => {
    const metric = async () =>
      Number(/^herald_http_requests_total (\d+)$/m.exec((await httpRequest(`${hub.url}/metrics`)).body)?.[1]);
    const before = await metric();
    // localhost and 127.0.0.1 are two origins (and two sites): the hub lists only the app's.
    const page = await openPage(app.url.replace('127.0.0.1', 'localhost'));
    await page.evaluate(
      ([h]) => (window as unknown as { plain: (h: string, t: string) => void }).plain(h!, 'news'),
      [hub.url],
    );
    await page.waitForFunction(
      () => (window as unknown as { source: EventSource }).source.readyState === EventSource.CLOSED,
    );
    const result = await seen(page);
    assert.equal(result.opens, 0);
    assert.ok(result.errors >= 1);
    assert.equal(hub.hub.stats().connections, 0);
    assert.ok((await metric()) >= before + 2, 'the request reached the hub, which refused it');
    await page.close();
  });
});
