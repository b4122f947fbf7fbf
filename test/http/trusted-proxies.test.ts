import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  canonicalAddress,
  forwardedChain,
  TrustedProxies,
  TrustedProxyError,
  xForwardedForChain,
} from '../../src/http/trusted-proxies.js';

describe('addresses', () => {
  it('have one spelling', () => {
    assert.equal(canonicalAddress('127.0.0.1'), '127.0.0.1');
    assert.equal(canonicalAddress('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(canonicalAddress('::FFFF:7f00:1'), '127.0.0.1');
    assert.equal(canonicalAddress('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
    assert.equal(canonicalAddress('::1'), '::1');
    for (const bad of ['', 'localhost', '1.2.3', '01.2.3.4', '1.2.3.4:80', '[::1]', 'unknown']) {
      assert.equal(canonicalAddress(bad), undefined, bad);
    }
  });
});

describe('forwarding headers', () => {
  it('read Forwarded (RFC 7239): for= nodes, quoted, with ports, several elements and headers', () => {
    assert.deepEqual(forwardedChain('for=192.0.2.60;proto=http;by=203.0.113.43'), ['192.0.2.60']);
    assert.deepEqual(forwardedChain('For="[2001:db8:cafe::17]:4711"'), ['2001:db8:cafe::17']);
    assert.deepEqual(forwardedChain('for=192.0.2.43, for=198.51.100.17'), ['192.0.2.43', '198.51.100.17']);
    assert.deepEqual(forwardedChain('for="192.0.2.43:8080";proto=https, for="[::ffff:10.0.0.1]"'), [
      '192.0.2.43',
      '10.0.0.1',
    ]);
    assert.deepEqual(forwardedChain('for=unknown, for=_hidden, proto=https, for=10.0.0.2'), [
      null,
      null,
      null,
      '10.0.0.2',
    ]);
    assert.deepEqual(forwardedChain('for="1.2.3.4";host="a,b;c=d", for=5.6.7.8'), ['1.2.3.4', '5.6.7.8']);
    for (const bad of [
      'for=',
      'for="1.2.3.4',
      'for=1.2.3.4;for=5.6.7.8',
      'for=1.2.3.999',
      'for=localhost',
      'for="[fe80::1%25eth0]"',
      'garbage',
      '=1.2.3.4',
      'for=1.2 .3.4',
      `for=1.2.3.4, ${'for=1.2.3.4, '.repeat(1000)}`,
    ]) {
      assert.equal(forwardedChain(bad), undefined, bad);
    }
  });

  it('read X-Forwarded-For: addresses, optional ports, unknown', () => {
    assert.deepEqual(xForwardedForChain('203.0.113.7, 10.0.0.1'), ['203.0.113.7', '10.0.0.1']);
    assert.deepEqual(xForwardedForChain('203.0.113.7:5555,[2001:db8::7]:80, 2001:db8::8'), [
      '203.0.113.7',
      '2001:db8::7',
      '2001:db8::8',
    ]);
    assert.deepEqual(xForwardedForChain('unknown, 10.0.0.1'), [null, '10.0.0.1']);
    for (const bad of ['', '1.2.3.4,,5.6.7.8', 'example.com', '1.2.3.4 5.6.7.8', '"1.2.3.4"']) {
      assert.equal(xForwardedForChain(bad), undefined, bad);
    }
  });
});

describe('trusted proxies', () => {
  const proxies = new TrustedProxies(['10.0.0.0/8', '::1', 'fd00::/8', '192.168.1.10']);

  it('parse addresses, CIDRs, IPv4-mapped forms and named ranges; refuse the rest in one line', () => {
    for (const yes of ['10.1.2.3', '::ffff:10.9.9.9', '::1', 'fd12:3456::1', '192.168.1.10']) {
      assert.ok(proxies.has(yes), yes);
    }
    for (const no of ['11.0.0.1', '192.168.1.11', '::2', 'fe00::1', 'nonsense'])
      assert.ok(!proxies.has(no), no);
    const mapped = new TrustedProxies('::ffff:127.0.0.1, ::ffff:172.16.0.0/112');
    assert.ok(mapped.has('127.0.0.1') && mapped.has('::ffff:127.0.0.1'));
    assert.ok(mapped.has('172.16.5.5') && !mapped.has('172.17.0.1'));
    const named = new TrustedProxies('loopback private');
    for (const yes of [
      '127.0.0.1',
      '127.255.0.1',
      '::1',
      '10.0.0.1',
      '172.31.0.1',
      '192.168.0.1',
      'fd00::1',
    ]) {
      assert.ok(named.has(yes), yes);
    }
    assert.ok(!named.has('8.8.8.8') && !named.has('2001:db8::1'));
    assert.ok(new TrustedProxies('linklocal').has('fe80::1'));
    assert.ok(!new TrustedProxies([]).has('127.0.0.1'));
    assert.ok(!new TrustedProxies('').has('127.0.0.1'));
    for (const [bad, reason] of [
      ['10.0.0.0/33', /"10\.0\.0\.0\/33" has a bad prefix length: 0 to 32 after the slash/],
      ['::/129', /0 to 128/],
      ['10.0.0.0/', /bad prefix/],
      ['10.0.0.0/8/8', /bad prefix/],
      ['::ffff:10.0.0.0/64', /bad prefix/],
      ['proxy.example.com', /"proxy\.example\.com" is not an IP address or CIDR range/],
      ['fe80::1%eth0', /not an IP address/],
      ['10.0.0.x\nevil', /^"10\.0\.0\.x\\nevil" is not/],
    ] as const) {
      assert.throws(
        () => new TrustedProxies([bad]),
        (error: unknown) =>
          error instanceof TrustedProxyError && reason.test(error.message) && !error.message.includes('\n'),
        bad,
      );
    }
  });

  it('believe the headers only from a trusted peer', () => {
    const headers = { forwarded: 'for=203.0.113.9', xForwardedFor: '203.0.113.9' };
    assert.equal(proxies.clientAddress('198.51.100.1', headers), '198.51.100.1');
    assert.equal(proxies.clientAddress('::ffff:198.51.100.1', headers), '198.51.100.1');
    assert.equal(proxies.clientAddress('10.0.0.5', headers), '203.0.113.9');
    assert.equal(proxies.clientAddress('::ffff:10.0.0.5', headers), '203.0.113.9');
    assert.equal(proxies.clientAddress('::1', { xForwardedFor: '2001:DB8::9' }), '2001:db8::9');
    assert.equal(new TrustedProxies([]).clientAddress('10.0.0.5', headers), '10.0.0.5');
    assert.equal(proxies.clientAddress('10.0.0.5', {}), '10.0.0.5');
    assert.equal(proxies.clientAddress('10.0.0.5', { forwarded: null, xForwardedFor: '' }), '10.0.0.5');
  });

  it('walk the chain from the right while hops are trusted', () => {
    const peer = '10.0.0.1';
    const cases: Array<[string, string]> = [
      ['203.0.113.9', '203.0.113.9'],
      ['203.0.113.9, 10.0.0.2', '203.0.113.9'],
      ['203.0.113.9, 192.168.1.10, 10.0.0.2', '203.0.113.9'],
      // A client writing its own header: what it wrote sits left of the address the proxy saw.
      ['6.6.6.6, 203.0.113.9', '203.0.113.9'],
      ['6.6.6.6, 203.0.113.9, 10.0.0.2', '203.0.113.9'],
      // Every hop trusted: the leftmost is the client.
      ['10.9.9.9, 10.0.0.2', '10.9.9.9'],
      // A trusted hop that could not say: the client is that hop.
      ['203.0.113.9, unknown, 10.0.0.2', '10.0.0.2'],
      ['unknown', peer],
      // Malformed: the peer.
      ['203.0.113.9, garbage', peer],
    ];
    for (const [xff, expected] of cases) {
      assert.equal(proxies.clientAddress(peer, { xForwardedFor: xff }), expected, `X-Forwarded-For: ${xff}`);
      const forwarded = xff
        .split(', ')
        .map((node) => (node.includes(':') ? `for="[${node}]"` : `for=${node}`))
        .join(', ');
      assert.equal(proxies.clientAddress(peer, { forwarded }), expected, `Forwarded: ${forwarded}`);
    }
    assert.equal(
      proxies.clientAddress(peer, { forwarded: 'for="[2001:db8::5]:443", for="[fd00::1]"' }),
      '2001:db8::5',
    );
  });

  it('fall back to the peer when Forwarded and X-Forwarded-For disagree', () => {
    const peer = '10.0.0.1';
    // A proxy that writes only X-Forwarded-For passes a client's forged Forwarded on untouched.
    assert.equal(
      proxies.clientAddress(peer, { forwarded: 'for=6.6.6.6', xForwardedFor: '203.0.113.9' }),
      peer,
    );
    assert.equal(
      proxies.clientAddress(peer, { forwarded: 'for=203.0.113.9', xForwardedFor: '203.0.113.9' }),
      '203.0.113.9',
    );
    assert.equal(proxies.clientAddress(peer, { forwarded: 'for=', xForwardedFor: '203.0.113.9' }), peer);
  });

  const octet = fc.integer({ min: 0, max: 255 });
  const trustedV4 = fc.tuple(octet, octet, octet).map(([a, b, c]) => `10.${a}.${b}.${c}`);
  const untrustedV4 = fc.tuple(fc.integer({ min: 11, max: 99 }), octet, octet, octet).map((p) => p.join('.'));
  const untrustedV6 = fc
    .array(fc.integer({ min: 0, max: 0xffff }), { minLength: 6, maxLength: 6 })
    .map((groups) => `2001:db8:${groups.map((g) => g.toString(16)).join(':')}`);
  const untrusted = fc.oneof(untrustedV4, untrustedV6);
  const trusted = fc.oneof(trustedV4, fc.constant('::1'), fc.constant('fd00::abc'));
  const anyAddress = fc.oneof(trusted, untrusted);
  const asXff = (chain: string[]) => chain.join(', ');

  it('property: whatever a client writes left of the first untrusted hop changes nothing', () => {
    fc.assert(
      fc.property(
        fc.array(anyAddress, { maxLength: 5 }),
        untrusted,
        fc.array(trusted, { maxLength: 4 }),
        trustedV4,
        (forged, client, hops, peer) => {
          const expected = canonicalAddress(client);
          assert.equal(
            proxies.clientAddress(peer, { xForwardedFor: asXff([...forged, client, ...hops]) }),
            expected,
          );
          assert.equal(proxies.clientAddress(peer, { xForwardedFor: asXff([client, ...hops]) }), expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: from an untrusted peer the answer is the peer, whatever the headers', () => {
    fc.assert(
      fc.property(
        untrusted,
        fc.array(anyAddress, { maxLength: 5 }),
        fc.string({ maxLength: 60 }),
        (peer, chain, junk) => {
          const expected = canonicalAddress(peer);
          assert.equal(
            proxies.clientAddress(peer, { xForwardedFor: asXff(chain), forwarded: junk }),
            expected,
          );
          assert.equal(
            proxies.clientAddress(peer, { forwarded: chain.map((a) => `for="[${a}]"`).join(',') }),
            expected,
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
