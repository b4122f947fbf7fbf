// herald serve's auth options as real processes: key specs for each side, issuer checks, the auth
// cookie, --no-query-token, --trust-proxy, --monitor-auth; bad specs exit 2, unreadable key files 1.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { createHub } from '../../src/create-hub.js';
import { keyPair, tempDir } from '../auth/helpers.js';
import { httpRequest, StreamReader } from '../support/hub.js';
import { herald, startHub, stopAll } from './helpers.js';

const KEY = 'k'.repeat(40);
const keyBytes = new TextEncoder().encode(KEY);
const dir = tempDir();
after(() => {
  stopAll();
  dir.remove();
});

function sign(
  key: Parameters<SignJWT['sign']>[0],
  alg: string,
  herald: Record<string, string[]>,
  extra: { kid?: string; issuer?: string } = {},
): Promise<string> {
  let jwt = new SignJWT({ herald }).setProtectedHeader({ alg, ...(extra.kid ? { kid: extra.kid } : {}) });
  if (extra.issuer) jwt = jwt.setIssuer(extra.issuer);
  return jwt.sign(key);
}

const post = (url: string, jwt: string, body: Record<string, unknown>) =>
  httpRequest(`${url}/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('herald serve: keys', { timeout: 30_000 }, () => {
  it('--publisher-key pem:FILE and --subscriber-key jwks:FILE verify their sides; no token is printed', async () => {
    const publisher = keyPair('RS256');
    const subscriber = keyPair('EdDSA');
    writeFileSync(dir.path('publisher.pem'), publisher.pem);
    writeFileSync(dir.path('subscribers.json'), JSON.stringify({ keys: [subscriber.jwk('s1')] }));
    const hub = await startHub(
      ['--publisher-key', `pem:${dir.path('publisher.pem')}`, '--jwt-key', KEY, '--no-query-token'],
      { HERALD_SUBSCRIBER_KEY: `jwks:${dir.path('subscribers.json')}` },
    );
    assert.doesNotMatch(hub.proc.stdout, /"token"/);
    const subscriberToken = await sign(
      subscriber.privateKey,
      'EdDSA',
      { subscribe: ['users/1/**'] },
      { kid: 's1' },
    );
    const reader = await StreamReader.open(`${hub.url}/events?topic=users/1/inbox`, {
      cookie: `herald_auth=${subscriberToken}`,
    });
    assert.equal(reader.status, 200, reader.raw);
    await reader.ready();
    const publisherToken = await sign(publisher.privateKey, 'RS256', { publish: ['users/**'] });
    const published = await post(hub.url, publisherToken, {
      topic: 'users/1/inbox',
      data: 'hi',
      private: true,
    });
    assert.equal(published.status, 200, published.body);
    assert.equal((await reader.take(1))[0]!.data, 'hi');
    reader.close();
    // --jwt-key no longer verifies publishers (the side has its own key), and no token goes in a URL.
    const hs = await sign(keyBytes, 'HS256', { publish: ['**'] });
    assert.equal((await post(hub.url, hs, { topic: 'a', data: 'x' })).status, 401);
    const inUrl = await httpRequest(`${hub.url}/events?topic=users/1/inbox&access_token=${subscriberToken}`, {
      headers: { accept: 'text/event-stream' },
    });
    assert.equal(inUrl.status, 401);
    assert.match(inUrl.body, /access_token is switched off/);
    hub.proc.child.kill('SIGTERM');
    assert.equal((await hub.proc.exit()).code, 0);
  });

  it('--subscriber-issuer with --jwt-key; --auth-cookie names the cookie', async () => {
    const hub = await startHub([
      '--jwt-key',
      KEY,
      '--subscriber-issuer',
      'https://app.example',
      '--auth-cookie',
      'app_hub',
    ]);
    const good = await sign(keyBytes, 'HS256', { subscribe: ['a'] }, { issuer: 'https://app.example' });
    const reader = await StreamReader.open(`${hub.url}/events?topic=a`, { cookie: `app_hub=${good}` });
    assert.equal(reader.status, 200);
    reader.close();
    const noIssuer = await sign(keyBytes, 'HS256', { subscribe: ['a'] });
    const refused = await httpRequest(`${hub.url}/events?topic=a`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${noIssuer}` },
    });
    assert.equal(refused.status, 401);
    assert.match(refused.body, /has no iss claim/);
    // Publishers have no issuer check: the shorthand still serves them as it was.
    assert.equal(
      (await post(hub.url, await sign(keyBytes, 'HS256', { publish: ['a'] }), { topic: 'a', data: 'x' }))
        .status,
      200,
    );
    hub.proc.child.kill('SIGTERM');
    assert.equal((await hub.proc.exit()).code, 0);
  });

  it('an unreadable key file: one line naming it, exit 1, before listening', async () => {
    const { code, stderr, stdout } = await herald([
      'serve',
      '--port',
      '0',
      '--publisher-key',
      'pem:/nonexistent/p.pem',
    ]);
    assert.equal(code, 1, stdout + stderr);
    assert.equal(
      stderr,
      'herald: the publisher key: cannot read the key file /nonexistent/p.pem (no such file)\n',
    );
    // The one line only: no JSON error record with a stack trace beside it.
    assert.equal(stdout, '');
    writeFileSync(dir.path('not-a-key.pem'), 'hello');
    const bad = await herald([
      'serve',
      '--port',
      '0',
      '--jwt-key',
      KEY,
      '--subscriber-key',
      `pem:${dir.path('not-a-key.pem')}`,
    ]);
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /^herald: the subscriber key: the key file .*not-a-key\.pem: it holds no public key in PEM form/,
    );
    assert.equal(bad.stdout, '');
  });
});

describe('herald serve: proxies and the monitor', { timeout: 30_000 }, () => {
  it('--trust-proxy loopback: per-client limits count forwarded clients', async () => {
    const hub = await startHub([
      '--jwt-key',
      KEY,
      '--trust-proxy',
      'loopback',
      '--max-connections-per-client',
      '1',
    ]);
    const url = `${hub.url}/events?topic=news`;
    const one = await StreamReader.open(url, { 'x-forwarded-for': '203.0.113.1' });
    const two = await StreamReader.open(url, { 'x-forwarded-for': '203.0.113.2' });
    assert.deepEqual([one.status, two.status], [200, 200]);
    const again = await httpRequest(url, { headers: { 'x-forwarded-for': '203.0.113.1' } });
    assert.equal(again.status, 429);
    one.close();
    two.close();
    hub.proc.child.kill('SIGTERM');
    assert.equal((await hub.proc.exit()).code, 0);
  });

  it('--monitor-auth: the history needs a token listing $SYS/**', async () => {
    const hub = await startHub(['--jwt-key', KEY, '--monitor-auth']);
    assert.equal((await httpRequest(`${hub.url}/monitor/history.json`)).status, 401);
    const monitor = await sign(keyBytes, 'HS256', { subscribe: ['$SYS/**'] });
    const history = await httpRequest(`${hub.url}/monitor/history.json`, {
      headers: { authorization: `Bearer ${monitor}` },
    });
    assert.equal(history.status, 200);
    hub.proc.child.kill('SIGTERM');
    assert.equal((await hub.proc.exit()).code, 0);
  });

  it('--help lists the auth options with their variables', async () => {
    const { code, stdout } = await herald(['serve', '--help']);
    assert.equal(code, 0);
    const flat = stdout.replace(/\n\s+/g, ' ');
    assert.match(
      flat,
      /--publisher-key SPEC .*hs256:SECRET, pem:FILE .*\[default: --jwt-key\] \[env: HERALD_PUBLISHER_KEY\]/,
    );
    assert.match(flat, /--subscriber-key SPEC .*\[env: HERALD_SUBSCRIBER_KEY\]/);
    assert.match(flat, /--subscriber-issuer ISS .*\[env: HERALD_SUBSCRIBER_ISSUER\] \[repeatable\]/);
    assert.match(flat, /--auth-cookie NAME .*\[default: herald_auth\] \[env: HERALD_AUTH_COOKIE\]/);
    assert.match(flat, /--no-query-token .*access_token/);
    assert.match(flat, /--monitor-auth /);
    assert.match(flat, /--cors-header HEADER .*\[env: HERALD_CORS_HEADERS\]/);
    assert.match(flat, /--trust-proxy ADDRESSES .*\[env: HERALD_TRUST_PROXY\]/);
    assert.match(flat, /--max-tickets-per-second-per-client N .*\[default: 50\]/);
  });
});

describe('herald serve: auth options that cannot work exit 2 in one line', { timeout: 30_000 }, () => {
  const bad: [string, string[], Record<string, string>, RegExp][] = [
    [
      'a key of no known kind',
      ['--publisher-key', 'rsa:x'],
      {},
      /^herald: --publisher-key: the key kind .* must be hs256, pem or jwks/,
    ],
    [
      'a short hs256 secret',
      ['--subscriber-key', 'hs256:short'],
      {},
      /--subscriber-key: an hs256 secret must be at least 32 bytes \(got 5\)/,
    ],
    [
      'a plain-http JWKS URL off loopback, from the environment',
      ['--jwt-key', KEY],
      { HERALD_SUBSCRIBER_KEY: 'jwks:http://keys.example/jwks.json' },
      /HERALD_SUBSCRIBER_KEY: a JWKS URL must use https/,
    ],
    [
      'an issuer without a key',
      ['--publisher-issuer', 'x'],
      {},
      /--publisher-issuer needs a key .*--publisher-key or --jwt-key/,
    ],
    [
      '--monitor-auth with the random key',
      ['--monitor-auth'],
      {},
      /--monitor-auth needs a key you can mint monitor tokens with/,
    ],
    [
      'a bad proxy',
      ['--trust-proxy', '10.0.0.0/33'],
      {},
      /--trust-proxy: "10\.0\.0\.0\/33" has a bad prefix length/,
    ],
    [
      'an origin without a scheme',
      ['--cors-origin', 'app.example'],
      {},
      /--cors-origin \/ --cors-header: "app\.example" is not an origin/,
    ],
    ['a cookie name with a space', ['--auth-cookie', 'a b'], {}, /--auth-cookie must be a cookie name/],
    [
      'a public host with only a subscriber key',
      ['--host', '0.0.0.0', '--subscriber-key', `hs256:${KEY}`],
      {},
      /--host 0\.0\.0\.0 needs an explicit --jwt-key or --publisher-key/,
    ],
  ];
  for (const [what, args, env, reason] of bad) {
    it(what, async () => {
      const { code, stderr, stdout } = await herald(['serve', '--port', '0', ...args], { env });
      assert.equal(code, 2, stdout + stderr);
      assert.match(stderr, reason);
      assert.equal(stderr.trimEnd().split('\n').length, 1, stderr);
      assert.equal(stdout, '');
    });
  }
});

describe('herald publish to a hub with no publisher key', { timeout: 30_000 }, () => {
  it('says publishing is off and which options turn it on', async () => {
    const hub = createHub({ monitor: false, subscriberKey: { secret: KEY } });
    const server = await hub.listen(0);
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const { code, stderr } = await herald(['publish', '--url', url, '--token', 'x.y.z', 'a', 'hi']);
      assert.equal(code, 1);
      assert.match(
        stderr,
        /^herald: publish refused \(403\): no one outside the process may publish: this hub has no publisher key/,
      );
      assert.match(stderr, /\nhint: start the hub with --jwt-key or --publisher-key/);
    } finally {
      await hub.close();
    }
  });
});
