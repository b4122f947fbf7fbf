// Makes docs/monitor.png: a hub with some subscribers and traffic, ticking once a second, shown to
// headless Chromium after the charts have a minute of history. Not a test.
//   node --import tsx test/monitor/make-screenshot.ts [seconds=60]
import { launchBrowser } from '../support/browser.js';
import { eventsUrl, StreamReader, sleep, startHub } from '../support/hub.js';

const seconds = Number(process.argv[2] ?? 60);
const hub = await startHub({});
const readers: StreamReader[] = [];
for (const topics of [
  ['stocks/*'],
  ['stocks/*'],
  ['stocks/ACME'],
  ['chat/lobby'],
  ['chat/lobby'],
  ['news/**'],
]) {
  readers.push(await StreamReader.open(eventsUrl(hub, topics)));
}
let n = 0;
const traffic = setInterval(() => {
  n++;
  // A load that swells and ebbs, so the charts have a shape.
  const burst = 2 + Math.round(6 * (1 + Math.sin(n / 40)));
  for (let i = 0; i < burst; i++)
    hub.hub.publish({ topics: `stocks/${i % 2 ? 'ACME' : 'INIT'}`, data: '101.5' });
  if (n % 7 === 0) hub.hub.publish({ topics: 'chat/lobby', data: 'hi' });
}, 100);
const churn = setInterval(async () => {
  const r = await StreamReader.open(eventsUrl(hub, ['news/**']));
  setTimeout(() => r.close(), 7000);
}, 3000);
await sleep(seconds * 1000);
const browser = await launchBrowser();
const page = await browser.newPage();
await page.setViewportSize({ width: 1440, height: 900 });
await page.goto(`${hub.url}/`);
await page.waitForSelector('#conn-state[data-state="open"]');
await page.waitForFunction(() => Number(document.body.dataset.ticks) >= 4);
await page.fill('#publish-token', hub.token);
await page.click('#publish-send');
await page.waitForSelector('#publish-log li:has-text("received on")');
await page.screenshot({ path: 'docs/monitor.png', fullPage: true });
clearInterval(traffic);
clearInterval(churn);
for (const r of readers) r.close();
await browser.close();
await hub.close();
process.exit(0);
