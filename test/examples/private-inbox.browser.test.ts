// The private-inbox example in real Chromium: two users in two browsers (one streaming with the
// HttpOnly cookie, one with tickets) each get their own messages and nobody else's, keep getting
// them across herald-reauth, and no URL the pages request carries a token.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { type InboxServer, startInbox } from '../../examples/private-inbox/server.js';
import { browserUnavailable, type LaunchedBrowser, launchBrowser } from '../support/browser.js';
import { httpRequest } from '../support/hub.js';

const browsers: LaunchedBrowser[] = [];
let inbox: InboxServer | undefined;
after(async () => {
  for (const b of browsers) await b.close();
  await inbox?.close();
});

interface InboxWindow {
  inbox: { received: string[]; connections: number; reauths: number };
}

async function logIn(user: string, mode: 'cookie' | 'ticket', urls: string[]): Promise<Page> {
  const browser = await launchBrowser();
  browsers.push(browser);
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  page.on('request', (request) => urls.push(request.url()));
  await page.goto(`${inbox!.url}/`);
  await page.waitForSelector('#user option', { state: 'attached' });
  await page.selectOption('#user', user);
  await page.selectOption('#mode', mode);
  await page.click('#login button');
  await page.waitForSelector('#state[data-state="open"]');
  return page;
}

async function send(page: Page, to: string, text: string): Promise<void> {
  await page.selectOption('#to', to);
  await page.fill('#text', text);
  await page.click('#send button');
  await page.waitForFunction(() => (document.getElementById('text') as HTMLInputElement).value === '');
}

const received = (page: Page) => page.evaluate(() => (window as unknown as InboxWindow).inbox.received);

describe('private-inbox example', { skip: browserUnavailable, timeout: 90_000 }, () => {
  it('each user gets their own messages only, by cookie and by ticket, across herald-reauth; no token in a URL', async () => {
    inbox = await startInbox({ tokenTtlSeconds: 4 });
    const urls: string[] = [];
    const alice = await logIn('alice', 'cookie', urls);
    const bob = await logIn('bob', 'ticket', urls);
    await send(bob, 'alice', 'hi alice');
    await send(alice, 'bob', 'hi bob');
    // Carol, logged in from a plain HTTP client, writes to alice.
    const login = await httpRequest(`${inbox.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"user":"carol"}',
    });
    const session = (login.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
    const sent = await httpRequest(`${inbox.url}/api/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: session },
      body: '{"to":"alice","text":"from carol"}',
    });
    assert.equal(sent.status, 200, sent.body);
    await alice.waitForFunction(() => (window as unknown as InboxWindow).inbox.received.length === 2);
    await bob.waitForFunction(() => (window as unknown as InboxWindow).inbox.received.length === 1);
    assert.deepEqual(await received(alice), ['bob: hi alice', 'carol: from carol']);
    assert.deepEqual(await received(bob), ['alice: hi bob']);
    assert.equal(inbox.hub.stats().authenticatedConnections, 2);

    // The tokens last 4 s: both pages are told to reauthenticate, renew, and carry on.
    for (const page of [alice, bob]) {
      await page.waitForFunction(() => (window as unknown as InboxWindow).inbox.reauths >= 1, undefined, {
        timeout: 10_000,
      });
      await page.waitForSelector('#state[data-state="open"]');
    }
    await send(alice, 'bob', 'still there?');
    await send(bob, 'alice', 'yes');
    await alice.waitForFunction(() => (window as unknown as InboxWindow).inbox.received.length === 3);
    await bob.waitForFunction(() => (window as unknown as InboxWindow).inbox.received.length === 2);
    assert.deepEqual(await received(alice), ['bob: hi alice', 'carol: from carol', 'bob: yes']);
    assert.deepEqual(await received(bob), ['alice: hi bob', 'alice: still there?']);

    const hubRequests = urls.filter((u) => u.startsWith(inbox!.hubUrl));
    assert.ok(
      hubRequests.some((u) => /ticket=[\w-]{32}/.test(u)),
      `bob streams with tickets: ${hubRequests}`,
    );
    for (const url of urls) assert.doesNotMatch(url, /eyJ|access_token/, `no token in ${url}`);
  });

  it('the API refuses what it should', async () => {
    inbox ??= await startInbox();
    const post = (path: string, body: string, cookie = '') =>
      httpRequest(`${inbox!.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body,
      });
    assert.equal((await post('/api/login', '{"user":"mallory"}')).status, 400);
    assert.equal((await post('/api/ticket', '{}')).status, 401);
    assert.equal((await post('/api/send', '{"to":"bob","text":"x"}')).status, 401);
    // Without the app, the hub refuses a page elsewhere and tokens in URLs.
    const elsewhere = await httpRequest(`${inbox.hubUrl}/events?topic=users/bob/inbox`, {
      headers: { accept: 'text/event-stream', origin: 'https://evil.example' },
    });
    assert.equal(elsewhere.status, 403);
    const inUrl = await httpRequest(`${inbox.hubUrl}/events?topic=users/bob/inbox&access_token=x`, {
      headers: { accept: 'text/event-stream' },
    });
    assert.equal(inUrl.status, 401);
  });
});
