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

async function open(url: string): Promise<Page> {
  const browser = await launchBrowser();
  browsers.push(browser);
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
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
    const cy = await browsers[0]!.newPage();
    await cy.goto(`${chat.url}/`);
    await joinAs(cy, 'Cy', 'lobby');
    await cy.waitForFunction(() => document.querySelectorAll('#messages li').length >= 2);
    const expected = ['Ada: hello from Ada', 'Bob: hi Ada <b>not bold</b>'];
    assert.deepEqual(await messages(cy), expected);
    await ada.waitForFunction(() => document.getElementById('people')?.textContent === '3');
    await say(cy, 'hello both');
    for (const page of [ada, bob, cy]) await page.waitForSelector('#messages li:has-text("hello both")');
    assert.deepEqual(await messages(bob), [...expected, 'Cy: hello both']);
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
  });
});
