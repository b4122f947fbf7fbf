// Parity in Node.js: herald/client and the `eventsource` npm package (v3) read the same scripted
// stream; their event sequences must match field by field. The full stream, which the npm package
// reads differently from the spec, is checked against the spec's answer (parity-browser.test.ts
// shows Chromium gives the same).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EventSource as NpmEventSource } from 'eventsource';
import { EventSource } from '../../src/client/index.js';
import { closedByError, record, type ScriptedServer, startServer, status } from './helpers.js';
import { createParityResponder, expectedFull, PARITY_TYPES } from './parity-stream.js';

const T = { timeout: 20_000 };
let server: ScriptedServer;
const parity = createParityResponder();

before(async () => {
  server = await startServer((res, req) => {
    if (!parity.respond(res, req)) status(res, 404);
  });
});
after(() => server.close());

describe('herald/client parity in Node.js', () => {
  test('the same sequence as the eventsource npm package (v3) on the portable stream', T, async () => {
    const herald = new EventSource(server.url('/stream?client=herald-portable&variant=portable'));
    const npm = new NpmEventSource(server.url('/stream?client=npm-portable&variant=portable'));
    try {
      const heraldLog = record(herald, PARITY_TYPES);
      const npmLog = record(npm, PARITY_TYPES);
      await Promise.all([
        heraldLog.until(closedByError, 'herald to stop at the 204'),
        npmLog.until(closedByError, 'the npm package to stop at the 204'),
      ]);
      // Not vacuous: three streams, a drop, a reconnect with an id, named events.
      assert.equal(heraldLog.entries.length, 18);
      assert.deepEqual(heraldLog.entries, npmLog.entries);
      assert.deepEqual(parity.lastEventIds('herald-portable'), parity.lastEventIds('npm-portable'));
      assert.deepEqual(parity.lastEventIds('herald-portable'), [undefined, '3', undefined, '4']);
    } finally {
      herald.close();
      npm.close();
    }
  });

  test('the spec sequence on the full stream (id-only blocks, persisting ids)', T, async () => {
    const herald = new EventSource(server.url('/stream?client=herald-full&variant=full'));
    try {
      const log = record(herald, PARITY_TYPES);
      await log.until(closedByError, 'herald to stop at the 204');
      assert.deepEqual(log.entries, expectedFull(server.origin));
      assert.deepEqual(parity.lastEventIds('herald-full'), [undefined, '3', undefined, '4']);
    } finally {
      herald.close();
    }
  });
});
