// The examples in real Chromium: chat between two browsers with history for a late joiner, and the
// ticker charting only the symbols picked.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { type ChatServer, startChat } from '../../examples/chat/server.js';
import { startTicker, type TickerServer } from '../../examples/ticker/server.js';
import { browserUnavailable, type LaunchedBrowser, launchBrowser } from '../support/browser.js';
import { httpRequest } from '../support/hub.js';

const browsers: LaunchedBrowser[] = [];
let chat: ChatServer | undefined;
let ticker: TickerServer | undefined;
after(async () => {
  for (const b of browsers) await b.close();
  await chat?.close();
  await ticker?.close();
});

/** Every answer of 400 or more that a page got (a favicon 404 included). */
const failures = new Map<Page, string[]>();

async function open(url: string): Promise<Page> {
  const browser = await launchBrowser();
  browsers.push(browser);
  return openIn(browser, url);
}

async function openIn(browser: LaunchedBrowser, url: string): Promise<Page> {
  const page = await browser.newPage();
  const failed: string[] = [];
  failures.set(page, failed);
  page.on('pageerror', (e) => console.error('page error:', e));
  page.on('response', (response) => {
    if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
  });
  await page.goto(url);
  return page;
}

async function joinAs(page: Page, name: string, room: string): Promise<void> {
  await page.fill('#name', name);
  await page.fill('#room', room);
  await page.click('#join button');
  await page.waitForSelector('#state.open');
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.click('#say button');
}

const messages = (page: Page) =>
  page.$$eval('#messages li', (items) =>
    items.map((li) => `${li.querySelector('.who')?.textContent}: ${li.querySelector('.text')?.textContent}`),
  );

describe('chat example', { skip: browserUnavailable, timeout: 60_000 }, () => {
  it('a message sent in one browser appears in the other; a late joiner gets the history', async () => {
    chat = await startChat(0);
    const ada = await open(`${chat.url}/`);
    const bob = await open(`${chat.url}/`);
    await joinAs(ada, 'Ada', 'lobby');
    await joinAs(bob, 'Bob', 'lobby');
    await ada.waitForFunction(() => document.getElementById('people')?.textContent === '2');

    await say(ada, 'hello from Ada');
    await bob.waitForSelector('#messages li:has-text("hello from Ada")');
    await say(bob, 'hi Ada <b>not bold</b>');
    await ada.waitForSelector('#messages li:has-text("hi Ada")');
    assert.equal(await ada.locator('#messages b').count(), 0, 'text is shown as text');

    // Elsewhere: another room and a refused message reach nobody in the lobby.
    const other = await httpRequest(`${chat.url}/chat/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ room: 'garden', name: 'Eve', text: 'psst' }),
    });
    assert.equal(other.status, 200);
    const refused = await httpRequest(`${chat.url}/chat/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ room: 'Lobby!', name: 'Eve', text: 'x' }),
    });
    assert.equal(refused.status, 400);
    assert.match(JSON.parse(refused.body).error, /room/);

    // A third person joins later, in a new tab, and sees what was said before.
    const cy = await openIn(browsers[0]!, `${chat.url}/`);
    await joinAs(cy, 'Cy', 'lobby');
    await cy.waitForFunction(() => document.querySelectorAll('#messages li').length >= 2);
    const expected = ['Ada: hello from Ada', 'Bob: hi Ada <b>not bold</b>'];
    assert.deepEqual(await messages(cy), expected);
    await ada.waitForFunction(() => document.getElementById('people')?.textContent === '3');
    await say(cy, 'hello both');
    for (const page of [ada, bob, cy]) await page.waitForSelector('#messages li:has-text("hello both")');
    assert.deepEqual(await messages(bob), [...expected, 'Cy: hello both']);
    for (const page of [ada, bob, cy]) assert.deepEqual(failures.get(page), [], 'no 404, not even a favicon');
  });

  it('shows the join form or the room, never both; changing room closes the old stream and clears it', async () => {
    chat ??= await startChat(0);
    const page = await open(`${chat.url}/`);
    const shown = async () => ({ join: await page.isVisible('#join'), chat: await page.isVisible('#chat') });
    assert.deepEqual(await shown(), { join: true, chat: false }, 'before joining: the form only');
    await joinAs(page, 'Dee', 'kitchen');
    assert.deepEqual(await shown(), { join: false, chat: true }, 'in a room: the room only');
    await say(page, 'in the kitchen');
    await page.waitForSelector('#messages li:has-text("in the kitchen")');
    const streams = (room: string) => chat!.hub.subscriberCounts().get(`chat/${room}`) ?? 0;
    assert.equal(streams('kitchen'), 1);
    await page.screenshot({ path: '.tmp/monitor/chat-room.png' });

    await page.click('#leave');
    assert.deepEqual(await shown(), { join: true, chat: false }, 'after leaving: the form again');
    assert.equal(await page.inputValue('#name'), 'Dee', 'the name is kept');
    await page.screenshot({ path: '.tmp/monitor/chat-join.png' });
    await joinAs(page, 'Dee', 'garden');
    await page.waitForSelector('#messages li:has-text("psst")');
    assert.equal(await page.textContent('#room-name'), 'garden');
    assert.deepEqual(await messages(page), ['Eve: psst'], "only the new room's messages");
    const deadline = Date.now() + 5000;
    while (streams('kitchen') > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(streams('kitchen'), 0, "the old room's stream is closed");
    assert.equal(streams('garden'), 1);
    // Back to the first room: its history again, once, and nothing of the garden.
    await page.click('#leave');
    await joinAs(page, 'Dee', 'kitchen');
    await page.waitForSelector('#messages li:has-text("in the kitchen")');
    await page.waitForTimeout(300);
    assert.deepEqual(await messages(page), ['Dee: in the kitchen']);
    assert.deepEqual(failures.get(page), []);
  });
});

describe('ticker example', { skip: browserUnavailable, timeout: 60_000 }, () => {
  it('charts the chosen symbols only, and follows a change of choice', async () => {
    ticker = await startTicker(0, '127.0.0.1', 100);
    const page = await open(`${ticker.url}/?symbols=ACME,HOOLI`);
    const points = (symbol: string) =>
      page.$eval(`#quotes tr[data-symbol="${symbol}"] .points`, (td) => Number(td.textContent));
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('#quotes .points')].length === 2 &&
        [...document.querySelectorAll('#quotes .points')].every((td) => Number(td.textContent) >= 5),
    );
    assert.equal(await page.textContent('#subscription'), 'stocks/ACME stocks/HOOLI');
    assert.equal(await page.getAttribute('#chart', 'data-received'), 'ACME,HOOLI');
    assert.deepEqual(
      await page.$$eval('#quotes tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.symbol)),
      ['ACME', 'HOOLI'],
    );
    assert.equal(await page.locator('#chart .u-legend .u-series').count(), 3, 'time + two symbols');
    assert.ok((await points('ACME')) >= 5);

    // Add INIT: the chart gets INIT too and still nothing else.
    await page.check('#picker input[value="INIT"]');
    await page.waitForFunction(
      () => document.getElementById('chart')?.dataset.received === 'ACME,HOOLI,INIT',
    );
    await page.waitForTimeout(500);
    assert.equal(await page.getAttribute('#chart', 'data-received'), 'ACME,HOOLI,INIT');

    // Everything: one wildcard subscription.
    for (const s of ['GLOBX', 'UMBR', 'WAYNE']) await page.check(`#picker input[value="${s}"]`);
    assert.equal(await page.textContent('#subscription'), 'stocks/*');
    await page.waitForFunction(
      () => document.getElementById('chart')?.dataset.received === 'ACME,GLOBX,HOOLI,INIT,UMBR,WAYNE',
    );
    await page.waitForFunction(() => Number(document.querySelector('#quotes .points')?.textContent) >= 20);
    await page.screenshot({ path: '.tmp/monitor/ticker.png' });
    assert.deepEqual(failures.get(page), [], 'no 404, not even a favicon');
  });

  it('the chart follows the window size, narrower and wider', async () => {
    ticker ??= await startTicker(0, '127.0.0.1', 100);
    const page = await open(`${ticker.url}/`);
    await page.setViewportSize({ width: 1200, height: 800 });
    await page.waitForSelector('#chart canvas');
    const widths = () =>
      page.evaluate(() => ({
        canvas: document.querySelector('#chart canvas')!.getBoundingClientRect().width,
        card: document.getElementById('chart')!.getBoundingClientRect().width,
        page: document.documentElement.scrollWidth,
      }));
    const wide = await widths();
    assert.ok(wide.canvas > 800, `a wide window, a wide chart: ${JSON.stringify(wide)}`);
    await page.setViewportSize({ width: 480, height: 800 });
    await page.waitForFunction(
      () => document.querySelector('#chart canvas')!.getBoundingClientRect().width <= 480 - 32,
    );
    const narrow = await widths();
    assert.ok(narrow.page <= 480, `nothing wider than the window: ${JSON.stringify(narrow)}`);
    assert.ok(
      Math.abs(narrow.canvas - narrow.card) <= 2,
      `the chart fills its card: ${JSON.stringify(narrow)}`,
    );
    await page.screenshot({ path: '.tmp/monitor/ticker-narrow.png' });
    await page.setViewportSize({ width: 1000, height: 800 });
    await page.waitForFunction(
      () => document.querySelector('#chart canvas')!.getBoundingClientRect().width > 800,
    );
    assert.deepEqual(failures.get(page), []);
  });
});
