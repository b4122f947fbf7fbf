// Gapless resume with the clients a browser runs: the native EventSource of Chromium, Yaffle's
// event-source-polyfill (named by the seed article; it takes an id only from a dispatched event),
// and an XHR long-poll polyfill like the seed article's own (X-Requested-With: XMLHttpRequest, so
// the hub answers with long polls). The page comes from the hub, through the relay, so the streams
// are same-origin. See interop.ts for the scenario.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { asset } from '../../src/http/static-assets.js';
import { browserUnavailable, type LaunchedBrowser, launchBrowser } from '../support/browser.js';
import {
  type ClientLog,
  type InteropSetup,
  type OpenClient,
  runInteropScenario,
  startInteropHub,
} from './interop.js';

const require = createRequire(import.meta.url);
const YAFFLE = readFileSync(require.resolve('event-source-polyfill'));
const XHR_POLL = readFileSync(new URL('./fixtures/xhr-poll-eventsource.js', import.meta.url));

// `?client=native|polyfill|xhr-poll&path=...`: one source recording what it dispatches, and a bare
// one with only onmessage (named events nobody listens to must not reach it).
const PAGE = `<!doctype html><meta charset="utf-8"><title>interop</title>
<link rel="icon" href="data:,">
<script src="/vendor/eventsource.js"></script>
<script src="/vendor/xhr-poll-eventsource.js"></script>
<script>
  const params = new URLSearchParams(location.search);
  const Impl = { native: window.EventSource, polyfill: window.EventSourcePolyfill, 'xhr-poll': window.XhrPollEventSource }[params.get('client')];
  window.log = { messages: [], bareMessages: [], resumes: [], gaps: 0 };
  const source = new Impl(params.get('path'));
  source.onmessage = (e) => log.messages.push(String(e.data));
  source.addEventListener('herald-resume', (e) => log.resumes.push(JSON.parse(e.data).lastEventId));
  source.addEventListener('herald-gap', () => { log.gaps++; });
  const bare = new Impl(params.get('path'));
  bare.onmessage = (e) => log.bareMessages.push(String(e.data));
  window.closeAll = () => { source.close(); bare.close(); };
</script>`;

const ASSETS = new Map([
  ['/interop.html', asset('text/html; charset=utf-8', PAGE)],
  ['/vendor/eventsource.js', asset('text/javascript; charset=utf-8', YAFFLE)],
  ['/vendor/xhr-poll-eventsource.js', asset('text/javascript; charset=utf-8', XHR_POLL)],
]);

function driver(browser: LaunchedBrowser, client: string): OpenClient {
  return async (origin, path) => {
    const page = await browser.newPage();
    await page.goto(`${origin}/interop.html?client=${client}&path=${encodeURIComponent(path)}`);
    return {
      log: () => page.evaluate(() => (window as unknown as { log: ClientLog }).log),
      async close() {
        await page.evaluate(() => (window as unknown as { closeAll(): void }).closeAll());
        await page.close();
      },
    };
  };
}

describe('gapless resume with browser clients', { skip: browserUnavailable, timeout: 90_000 }, () => {
  let browser: LaunchedBrowser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(() => browser?.close());

  for (const [name, client] of [
    ['native EventSource (Chromium)', 'native'],
    ['event-source-polyfill', 'polyfill'],
    ['an XHR long-poll polyfill', 'xhr-poll'],
  ] as const) {
    describe(name, () => {
      let setup: InteropSetup;
      before(async () => {
        setup = await startInteropHub({ assets: ASSETS });
      });
      after(() => setup?.close());

      it('resumes from its first connect, past invisible events and past a gap, exactly once', () =>
        runInteropScenario(setup, driver(browser, client), `interop/${client}`));
    });
  }
});
