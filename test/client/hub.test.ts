// herald/client against a real Herald hub on loopback: it receives published events, and when its
// connection is cut it comes back with Last-Event-ID and gets what it missed, exactly once.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { EventSource } from '../../src/client/index.js';
import { createHub, type HeraldHub } from '../../src/index.js';
import { record } from './helpers.js';

describe('herald/client with a real hub', () => {
  let hub: HeraldHub;
  let server: Server;
  let base = '';

  before(async () => {
    // No monitor: this test is about the stream. (A variable, not a literal, so that the option
    // also type-checks on a tree whose hub does not know it yet.)
    const options = { retryMs: 50, monitor: false, onError: () => {} };
    hub = createHub(options);
    server = await hub.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => hub.close());

  test("a refused subscription's error event carries the hub's one-line reason", async () => {
    const source = new EventSource(`${base}/events`);
    try {
      const error = await new Promise<import('../../src/client/index.js').EventSourceErrorEvent>(
        (resolve) => {
          source.onerror = resolve;
        },
      );
      assert.equal(error.status, 400);
      assert.match(error.reason ?? '', /topic/);
      assert.equal(error.message, `HTTP 400: ${error.reason}`);
      assert.equal(source.readyState, EventSource.CLOSED);
    } finally {
      source.close();
    }
  });

  test('a cut connection resumes with Last-Event-ID: nothing lost, nothing twice', {
    timeout: 20_000,
  }, async () => {
    const source = new EventSource(`${base}/events?topic=orders/*`, { reconnectDelay: 50 });
    try {
      const log = record(source, ['message', 'herald-gap']);
      const data = () => log.entries.filter((e) => e.kind === 'event').map((e) => e.data);
      await log.until((e) => e.some((x) => x.kind === 'open'), 'the stream to open');
      for (const n of [1, 2, 3]) await hub.publish({ topics: 'orders/new', data: `order ${n}` });
      await log.until(() => data().length === 3, 'three live events');
      const idBeforeCut = source.lastEventId;
      assert.notEqual(idBeforeCut, '');

      // Cut every connection; publish while the client is away.
      server.closeAllConnections();
      await log.until((e) => e.some((x) => x.kind === 'error' && x.readyState === 0), 'the drop');
      for (const n of [4, 5]) await hub.publish({ topics: 'orders/new', data: `order ${n}` });
      await log.until(() => data().length === 5, 'the two missed events after the reconnect');
      await hub.publish({ topics: 'orders/old', data: 'order 6' });
      await log.until(() => data().length === 6, 'a live event after the replay');

      assert.deepEqual(data(), ['order 1', 'order 2', 'order 3', 'order 4', 'order 5', 'order 6']);
      const ids = log.entries.filter((e) => e.kind === 'event').map((e) => e.lastEventId);
      assert.equal(new Set(ids).size, 6, `six distinct ids: ${ids.join(',')}`);
      assert.equal(source.readyState, EventSource.OPEN);
    } finally {
      source.close();
    }
  });
});
