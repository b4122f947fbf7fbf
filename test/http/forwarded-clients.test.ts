// Client addresses behind proxies, through the hub: per-client limits follow Forwarded /
// X-Forwarded-For only when the peer is a trusted proxy (node:http and Fetch adapters alike).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHub } from '../../src/create-hub.js';
import { eventsUrl, httpRequest, StreamReader, startHub, TEST_KEY, token } from '../support/hub.js';

describe('per-client stream limits behind a proxy (node:http)', () => {
  it('a trusted proxy: each forwarded client has its own budget', async () => {
    const hub = await startHub({
      monitor: false,
      trustProxy: ['loopback'],
      limits: { maxConnectionsPerClient: 1 },
    });
    try {
      const url = eventsUrl(hub, ['news']);
      const one = await StreamReader.open(url, { 'x-forwarded-for': '203.0.113.1' });
      const two = await StreamReader.open(url, { forwarded: 'for="[2001:db8::7]:4711";proto=https' });
      const three = await StreamReader.open(url, { 'x-forwarded-for': '198.51.100.1, 203.0.113.2' });
      for (const reader of [one, two, three]) await reader.ready();
      assert.equal(hub.hub.stats().connections, 3, 'three clients, one stream each');
      const again = await httpRequest(url, { headers: { 'x-forwarded-for': '203.0.113.1' } });
      assert.equal(again.status, 429, 'the same forwarded client a second time');
      assert.match(again.body, /too many streams from this client/);
      // A client cannot pose as another by adding hops on the left: the rightmost untrusted one counts.
      const spoof = await httpRequest(url, { headers: { 'x-forwarded-for': '203.0.113.9, 203.0.113.2' } });
      assert.equal(spoof.status, 429);
      for (const reader of [one, two, three]) reader.close();
    } finally {
      await hub.close();
    }
  });

  it("an untrusted peer: the headers are ignored, every stream is the peer's", async () => {
    const hub = await startHub({
      monitor: false,
      trustProxy: ['10.0.0.0/8'],
      limits: { maxConnectionsPerClient: 1 },
    });
    try {
      const url = eventsUrl(hub, ['news']);
      const one = await StreamReader.open(url, { 'x-forwarded-for': '203.0.113.1' });
      await one.ready();
      const other = await httpRequest(url, { headers: { 'x-forwarded-for': '203.0.113.2' } });
      assert.equal(other.status, 429);
      one.close();
    } finally {
      await hub.close();
    }
  });
});

describe('per-client publish budgets behind a proxy (Fetch adapter)', () => {
  const hub = createHub({
    monitor: false,
    jwtKey: TEST_KEY,
    trustProxy: '10.0.0.0/8, 192.168.0.0/16',
    limits: { maxPublishesPerSecondPerClient: 1 },
  });
  const publish = async (peer: string, forwardedFor: string) =>
    (
      await hub.fetch(
        new Request('http://hub.test/publish', {
          method: 'POST',
          headers: {
            authorization: `Bearer ${await token({ publish: ['**'] })}`,
            'content-type': 'application/json',
            'x-forwarded-for': forwardedFor,
          },
          body: '{"topic":"a","data":"x"}',
        }),
        { client: peer },
      )
    ).status;

  it('from a trusted proxy, forwarded clients are counted apart; from an untrusted peer, as one', async () => {
    try {
      const apart = await Promise.all(
        ['203.0.113.1', '203.0.113.2', '203.0.113.3'].map((c) => publish('10.1.2.3', c)),
      );
      assert.deepEqual(apart, [200, 200, 200]);
      const same = await Promise.all(Array.from({ length: 4 }, () => publish('10.1.2.3', '203.0.113.50')));
      assert.ok(same.includes(429), `one forwarded client, one budget: ${same}`);
      const untrusted = await Promise.all(
        ['203.0.113.61', '203.0.113.62', '203.0.113.63', '203.0.113.64'].map((c) => publish('172.16.0.9', c)),
      );
      assert.ok(
        untrusted.includes(429),
        `an untrusted peer is one client whatever it forwards: ${untrusted}`,
      );
    } finally {
      await hub.close();
    }
  });
});
