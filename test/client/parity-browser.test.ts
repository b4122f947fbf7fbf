// Parity in a real browser: headless Chromium opens its native EventSource and herald/client
// (imported from the browser bundle, as /herald-client.js) on the same scripted stream, and the two
// event sequences must match field by field. Also: the bundle loads with no Node.js built-ins, and
// headers and a POST body sent from the page reach the server.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { browserUnavailable, type LaunchedBrowser, launchBrowser } from '../support/browser.js';
import { closedByError, type Entry, type ScriptedServer, startServer, status, stream } from './helpers.js';
import { createParityResponder, expectedFull, PARITY_TYPES } from './parity-stream.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const built = join(root, 'dist/public/herald-client.js');

/** Newest modification time of the sources the bundle is made of. */
function newestSource(): number {
  const files = [
    ...readdirSync(join(root, 'src/client')).map((name) => join(root, 'src/client', name)),
    join(root, 'src/protocol/parse.ts'),
  ];
  return Math.max(...files.map((file) => statSync(file).mtimeMs));
}

/**
 * The browser bundle: dist/public/herald-client.js when `npm run build` made it from the current
 * sources, else the same esbuild bundle made in memory with the options of scripts/bundle-client.mjs.
 */
async function clientBundle(): Promise<{ code: string; from: string }> {
  try {
    if (statSync(built).mtimeMs >= newestSource()) return { code: readFileSync(built, 'utf8'), from: built };
  } catch {
    // not built yet
  }
  const result = await build({
    entryPoints: [join(root, 'src/client/index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error('esbuild produced no output');
  return { code: file.text, from: 'an in-memory esbuild bundle (dist is missing or older than src)' };
}

// The page records in plain JavaScript (no transpiled test code runs in the browser).
const PAGE = `<!doctype html><meta charset="utf-8"><title>herald parity</title>
<script type="module">
import * as herald from '/herald-client.js';
const TYPES = ${JSON.stringify(PARITY_TYPES)};
function run(Ctor, url, options, client) {
  return new Promise((resolve, reject) => {
    const entries = [];
    const source = options === undefined ? new Ctor(url) : new Ctor(url, options);
    const timer = setTimeout(() => { source.close(); reject(new Error('page timeout: ' + JSON.stringify(entries))); }, 20000);
    source.addEventListener('open', () => entries.push({ kind: 'open', type: 'open', readyState: source.readyState }));
    source.addEventListener('error', () => {
      entries.push({ kind: 'error', type: 'error', readyState: source.readyState });
      if (source.readyState === 2) { clearTimeout(timer); resolve(entries); }
    });
    for (const type of TYPES) {
      source.addEventListener(type, (e) => {
        entries.push({
          kind: 'event', type: e.type, data: e.data, lastEventId: e.lastEventId, origin: e.origin,
          readyState: source.readyState,
        });
        // The first connection's last whole event: now the server may break it.
        if (client !== undefined && e.data === 'persists') fetch('/stream/drop?client=' + client);
      });
    }
  });
}
window.heraldExports = Object.keys(herald).sort();
window.parity = () => Promise.all([
  run(EventSource, '/stream?client=native&variant=full&drop=ack', undefined, 'native'),
  run(herald.EventSource, '/stream?client=herald&variant=full&drop=ack', undefined, 'herald'),
]);
window.withAuth = () => run(herald.EventSource, '/auth', {
  method: 'POST',
  headers: async () => ({ Authorization: 'Bearer from-the-page' }),
  reconnectDelay: 10,
  body: JSON.stringify({ topic: 'news/**' }),
});
window.ready = true;
</script>`;

describe('herald/client parity with Chromium', { skip: browserUnavailable }, () => {
  let server: ScriptedServer;
  let browser: LaunchedBrowser;
  let bundleFrom = '';
  const parity = createParityResponder();
  let authCount = 0;

  before(async () => {
    const bundle = await clientBundle();
    bundleFrom = bundle.from;
    server = await startServer((res, req) => {
      if (parity.respond(res, req)) return;
      const path = new URL(req.url, 'http://x').pathname;
      if (path === '/') {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(PAGE);
      } else if (path === '/herald-client.js') {
        res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' });
        res.end(bundle.code);
      } else if (path === '/auth' && req.headers.authorization === 'Bearer from-the-page') {
        // The first answer streams and ends; the reconnect (headers sent again) gets a 204.
        authCount++;
        if (authCount === 1) stream(res, `data: ${req.method} ${req.body}\n\n`);
        else status(res, 204);
      } else {
        status(res, 404);
      }
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('native EventSource and herald/client see the same events, ids and states', {
    timeout: 60_000,
  }, async (t) => {
    t.diagnostic(`bundle: ${bundleFrom}`);
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(server.url('/'));
    await page.waitForFunction('window.ready === true', undefined, { timeout: 10_000 });
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(await page.evaluate('window.heraldExports'), ['EventSource', 'EventSourceErrorEvent']);

    const [native, herald] = (await page.evaluate('window.parity()')) as [Entry[], Entry[]];
    // Not vacuous: a drop, two reconnects, named events, ids, and the final failure.
    assert.ok(native.length >= 15, `native saw only ${JSON.stringify(native)}`);
    assert.ok(closedByError(native));
    assert.deepEqual(herald, native);
    // And both are what the spec says (the same list parity-node.test.ts checks in Node.js).
    assert.deepEqual(native, expectedFull(server.origin));
    assert.equal(parity.header('native', 'cache-control')[0], 'no-cache');
    for (const name of ['accept', 'cache-control']) {
      assert.deepEqual(parity.header('herald', name), parity.header('native', name), name);
    }
    assert.deepEqual(parity.lastEventIds('herald'), parity.lastEventIds('native'));
    assert.deepEqual(parity.lastEventIds('native'), [undefined, '3', undefined, '4']);
    await page.close();
  });

  test('headers and a POST body sent from the page reach the server', { timeout: 30_000 }, async () => {
    const page = await browser.newPage();
    await page.goto(server.url('/'));
    await page.waitForFunction('window.ready === true', undefined, { timeout: 10_000 });
    const entries = (await page.evaluate('window.withAuth()')) as Entry[];
    assert.deepEqual(
      entries.map((e) => e.data ?? `${e.kind}:${e.readyState}`),
      ['open:1', 'POST {"topic":"news/**"}', 'error:0', 'error:2'],
    );
    const auth = server.requests.filter((r) => r.url === '/auth');
    assert.equal(auth.length, 2);
    assert.deepEqual(
      auth.map((r) => [r.method, r.headers.authorization, r.headers.accept, r.body]),
      [
        ['POST', 'Bearer from-the-page', 'text/event-stream', '{"topic":"news/**"}'],
        ['POST', 'Bearer from-the-page', 'text/event-stream', '{"topic":"news/**"}'],
      ],
    );
    await page.close();
  });
});
