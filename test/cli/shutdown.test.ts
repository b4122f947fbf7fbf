import assert from 'node:assert/strict';
import { get, type IncomingMessage } from 'node:http';
import { after, describe, it } from 'node:test';
import { herald, Proc, startHub, stopAll } from './helpers.js';

after(stopAll);

/** A raw event-stream reader: the text received so far, and a promise of the stream's end. */
function rawStream(
  url: string,
): Promise<{ text: () => string; ended: Promise<void>; response: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { headers: { accept: 'text/event-stream' } }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
      });
      const ended = new Promise<void>((done, fail) => {
        response.on('end', done);
        response.on('error', fail);
      });
      resolve({ text: () => text, ended, response });
    });
    request.on('error', reject);
  });
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('herald serve: graceful shutdown', { timeout: 30_000 }, () => {
  it('SIGTERM sends every stream a retry:, ends it, exits 0; clients resume on the next hub (with a gap)', async () => {
    const SHED = 1000;
    const args = ['--retry', '100', '--shed-retry', String(SHED)];
    const first = await startHub(args);

    // A raw HTTP subscriber, to see the bytes, and `herald subscribe`, which reconnects by itself.
    const raw = await rawStream(`${first.url}/events?topic=demo/x`);
    await until(() => /^event: herald-resume\n.*\n\n/s.test(raw.text()), 'the first bytes of the raw stream');
    const sub = new Proc(['subscribe', '--json', '--count', '2', '--url', first.url, 'demo/**']);
    await sub.waitFor('stderr', /subscribed to /);
    const published = await herald([
      'publish',
      '--url',
      first.url,
      '--token',
      first.token!,
      'demo/x',
      'before',
    ]);
    assert.equal(published.code, 0, published.stderr);
    const id = published.stdout.trim();
    await sub.waitFor('stdout', /"before"/);

    first.proc.child.kill('SIGTERM');
    await raw.ended;
    assert.equal((await first.proc.exit()).code, 0, first.proc.stdout);
    // The stream: retry: 100 at the start, the event, then the jittered retry: of the shutdown.
    const retries = [...raw.text().matchAll(/^retry: (\d+)$/gm)].map((m) => Number(m[1]));
    assert.equal(retries.length, 2, raw.text());
    assert.equal(retries[0], 100);
    assert.ok(retries[1]! >= SHED && retries[1]! < 2 * SHED, `shutdown retry ${retries[1]}`);
    assert.match(raw.text(), /data: before\n\n.*retry: \d+\n\n$/s);
    assert.match(first.proc.stdout, /"msg":"stopped"/);

    // A new hub on the same port: the subscriber comes back with Last-Event-ID; the memory log of
    // the new process does not know that id, so the hub says there is a gap.
    const second = await startHub([...args, '--port', String(first.port)]);
    assert.equal(second.port, first.port);
    assert.equal((await sub.exit(10_000)).code, 0, sub.stderr);
    const [event, gap] = sub.jsonLines();
    assert.deepEqual(event, { type: 'message', id, data: 'before' });
    assert.equal(gap?.type, 'herald-gap');
    assert.equal((JSON.parse(String(gap?.data)) as { lastEventId: string }).lastEventId, id);
    assert.match(sub.stderr, /the hub ended the stream; reconnecting in \d+ ms/);
    assert.match(sub.stderr, /reconnected, resuming after /);

    second.proc.child.kill('SIGTERM');
    assert.equal((await second.proc.exit()).code, 0);
  });
});
