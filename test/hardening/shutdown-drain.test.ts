// SIGTERM with a client that reads slowly: every event the hub acknowledged reaches it, then the
// jittered retry:, then a clean end, before the process exits.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { createParser } from '../../src/protocol/parse.js';
import { startHub, stopAll } from '../cli/helpers.js';

after(stopAll);

const EVENTS = 96;
const DATA = 'x'.repeat(64 * 1024);

describe('herald serve: shutdown with a lagging client', { timeout: 60_000 }, () => {
  it('drains what is queued for a slow reader, then its jittered retry:, then ends the stream', async () => {
    const SHED = 2000;
    // 6 MiB of events queued while the client does not read: more than the kernel's loopback buffers.
    const hub = await startHub([
      '--shed-retry',
      String(SHED),
      '--drain-timeout',
      '20000',
      '--max-unsent-bytes-per-session',
      String(64 * 1024 * 1024),
    ]);
    const socket = connect(hub.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`GET /events?topic=slow HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`);
    let raw = Buffer.alloc(0);
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => {
      raw = Buffer.concat([raw, chunk]);
    });
    const until = async (check: () => boolean, what: string) => {
      const deadline = Date.now() + 10_000;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await until(() => raw.includes('id: '), 'the stream head');
    socket.pause();

    const ids: string[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const answer = await fetch(`${hub.url}/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${hub.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ topic: 'slow', data: `${i} ${DATA}` }),
      });
      assert.equal(answer.status, 200);
      ids.push((await answer.text()).trimEnd());
    }
    hub.proc.child.kill('SIGTERM');
    // The client wakes up a while later and reads at its own pace.
    await new Promise((resolve) => setTimeout(resolve, 500));
    socket.resume();
    await ended;
    const exit = await hub.proc.exit(30_000);
    assert.equal(exit.code, 0, hub.proc.stderr);

    const text = raw.toString('utf8');
    assert.match(text.split('\r\n')[0]!, /^HTTP\/1\.1 200/);
    const body = text.slice(text.indexOf('\r\n\r\n') + 4);
    // Chunked: undo the framing, then parse as a browser would.
    let events = '';
    let rest = body;
    for (;;) {
      const line = rest.indexOf('\r\n');
      const size = Number.parseInt(rest.slice(0, line), 16);
      if (Number.isNaN(size)) break;
      if (size === 0) {
        events += '\u0000END';
        break;
      }
      events += Buffer.from(rest.slice(line + 2))
        .subarray(0, size)
        .toString('utf8');
      rest = Buffer.from(rest.slice(line + 2))
        .subarray(size + 2)
        .toString('utf8');
    }
    assert.ok(events.endsWith('\u0000END'), 'the stream ended with the chunked terminator (a clean end)');
    const seen: string[] = [];
    const retries: number[] = [];
    const parser = createParser({
      onEvent: (e) => {
        if (e.type !== 'herald-resume') seen.push(e.lastEventId);
      },
      onRetry: (ms) => retries.push(ms),
    });
    parser.feed(events.slice(0, -4));
    assert.deepEqual(seen, ids, 'every acknowledged event, once, in order');
    const last = retries.at(-1)!;
    assert.ok(
      last >= SHED && last < 2 * SHED,
      `the last retry: is jittered in [${SHED}, ${2 * SHED}): ${last}`,
    );
  });
});
