import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAuthorizer } from '../../src/auth/create-authorizer.js';
import { checkJwksUrl, JwksUrl } from '../../src/auth/jwks-url.js';
import { KeyAuthorizer } from '../../src/auth/key-authorizer.js';
import { HeraldError } from '../../src/hub/refusal.js';
import { type KeyServer, keyPair, keyServer, manualClock, plainReason, sign } from './helpers.js';

async function refusal(promise: Promise<unknown>): Promise<HeraldError> {
  const error = await promise.then(
    () => assert.fail('accepted'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof HeraldError, String(error));
  plainReason(error.message);
  return error;
}

describe('a JWKS URL', () => {
  const a = keyPair('RS256');
  const b = keyPair('EdDSA');
  let server: KeyServer;
  let tokenA: string;
  let tokenB: string;
  before(async () => {
    server = await keyServer({ keys: [a.jwk('a')] });
    tokenA = await sign(a.privateKey, { kid: 'a' });
    tokenB = await sign(b.privateKey, { alg: 'EdDSA', kid: 'b' });
  });
  after(() => server.close());

  function fresh(body: unknown = { keys: [a.jwk('a')] }) {
    server.answer = { status: 200, body: JSON.stringify(body) };
    const before = server.requests;
    return { requests: () => server.requests - before };
  }

  it('is fetched when first needed, then served from the cache until the refresh interval', async () => {
    const count = fresh();
    const clock = manualClock();
    const source = new JwksUrl(server.url, {
      refreshIntervalMs: 300_000,
      cooldownMs: 30_000,
      now: clock.now,
    });
    const authorizer = new KeyAuthorizer(source, {}, clock.now);
    assert.equal(count.requests(), 0, 'nothing fetched before a token arrives');
    await authorizer.verify({ token: tokenA, source: 'bearer' });
    await authorizer.verify({ token: tokenA, source: 'url' });
    assert.equal(count.requests(), 1);
    clock.advance(299_999);
    await authorizer.verify({ token: tokenA, source: 'bearer' });
    await source.idle();
    assert.equal(count.requests(), 1);
    clock.advance(1);
    // Stale: this token is verified with the cached keys while fresh ones are fetched.
    server.answer = { status: 200, body: JSON.stringify({ keys: [a.jwk('a')] }), delayMs: 300 };
    await authorizer.verify({ token: tokenA, source: 'bearer' });
    assert.equal(source.fetches, 2);
    await source.idle();
    assert.equal(count.requests(), 2);
  });

  it('follows a rotation: an unknown kid fetches again, but at most once per cooldown', async () => {
    const count = fresh();
    const clock = manualClock();
    const source = new JwksUrl(server.url, { cooldownMs: 30_000, now: clock.now });
    const authorizer = new KeyAuthorizer(source, {}, clock.now);
    await authorizer.verify({ token: tokenA, source: 'bearer' });
    assert.equal(count.requests(), 1);

    // The issuer adds key b; tokens signed with it arrive at once.
    server.answer = { status: 200, body: JSON.stringify({ keys: [a.jwk('a'), b.jwk('b')] }) };
    const early = await refusal(authorizer.verify({ token: tokenB, source: 'bearer' }));
    assert.match(early.message, /^the token's key id "b" is not in this hub's key set$/);
    assert.equal(count.requests(), 1, 'within the cooldown of the first fetch: no fetch');

    clock.advance(30_000);
    await Promise.all(
      Array.from({ length: 50 }, () => authorizer.verify({ token: tokenB, source: 'bearer' })),
    );
    assert.equal(count.requests(), 2, 'fifty tokens at once, one fetch');

    // A flood of made-up kids right after costs the key server nothing.
    const forged = await Promise.all(
      Array.from({ length: 50 }, (_, i) => sign(b.privateKey, { alg: 'EdDSA', kid: `made-up-${i}` })),
    );
    for (const token of forged) {
      assert.match(
        (await refusal(authorizer.verify({ token, source: 'bearer' }))).message,
        /key id "made-up-\d+" is not in/,
      );
    }
    assert.equal(count.requests(), 2);
    clock.advance(30_000);
    await refusal(authorizer.verify({ token: forged[0]!, source: 'bearer' }));
    await refusal(authorizer.verify({ token: forged[1]!, source: 'bearer' }));
    assert.equal(count.requests(), 3, 'one more fetch once the cooldown is over');

    // Key a retired: gone after the next fetch.
    server.answer = { status: 200, body: JSON.stringify({ keys: [b.jwk('b')] }) };
    clock.advance(300_000);
    await authorizer.verify({ token: tokenB, source: 'bearer' });
    await source.idle();
    assert.match(
      (await refusal(authorizer.verify({ token: tokenA, source: 'bearer' }))).message,
      /key id "a" is not in/,
    );
    assert.equal(count.requests(), 4);
  });

  it('keeps its keys when the key server fails, and says so once', async () => {
    const count = fresh();
    const clock = manualClock();
    const errors: string[] = [];
    const source = new JwksUrl(server.url, {
      refreshIntervalMs: 60_000,
      cooldownMs: 10_000,
      now: clock.now,
      onError: (reason) => errors.push(reason),
    });
    const authorizer = new KeyAuthorizer(source, {}, clock.now);
    await authorizer.verify({ token: tokenA, source: 'bearer' });
    server.answer = { status: 503, body: 'down' };
    for (let i = 0; i < 3; i++) {
      clock.advance(60_000);
      await authorizer.verify({ token: tokenA, source: 'bearer' });
      await source.idle();
    }
    assert.equal(count.requests(), 4);
    assert.deepEqual(errors, [
      `cannot fetch the JWKS at ${server.url}: the key server answered 503; keeping the previous keys`,
    ]);
  });

  it('refuses with "unavailable" while no key set could be fetched, without retrying within the cooldown', async () => {
    const count = fresh();
    server.answer = { status: 404, body: 'not found' };
    const clock = manualClock();
    const authorizer = await createAuthorizer(
      { jwksUrl: server.url, cooldownSeconds: 30 },
      { now: clock.now },
    );
    const first = await refusal(authorizer.verify({ token: tokenA, source: 'bearer' }));
    assert.equal(first.code, 'unavailable');
    assert.equal(first.message, 'this hub cannot fetch its key set: the key server answered 404');
    assert.equal(first.retryAfterMs, 30_000);
    clock.advance(10_000);
    const second = await refusal(authorizer.verify({ token: tokenA, source: 'bearer' }));
    assert.equal(second.retryAfterMs, 20_000);
    assert.equal(count.requests(), 1);
    server.answer = { status: 200, body: JSON.stringify({ keys: [a.jwk('a')] }) };
    clock.advance(20_000);
    await authorizer.verify({ token: tokenA, source: 'bearer' });
    assert.equal(count.requests(), 2);
  });

  it('bounds what it takes: time, size, redirects, content', async () => {
    const cases: Array<[Partial<KeyServer['answer']>, RegExp, number?]> = [
      [{ delayMs: 2_000 }, /^the key server did not answer within 150 ms$/],
      [
        { body: JSON.stringify({ keys: [a.jwk('a')], pad: 'x'.repeat(300 * 1024) }) },
        /sent more than 262144 bytes/,
      ],
      [{ status: 302, headers: { location: '/elsewhere' } }, /answered with a redirect/],
      [{ body: '<html>' }, /answer is not JSON/],
      [{ body: '{"keys": {}}' }, /answer: it is not a JWKS/],
    ];
    for (const [answer, reason] of cases) {
      fresh();
      server.answer = { status: 200, body: JSON.stringify({ keys: [a.jwk('a')] }), ...answer };
      // A short timeout only where the answer is meant to be late: the machine may be busy.
      const source = new JwksUrl(server.url, { timeoutMs: answer.delayMs ? 150 : 5000 });
      const error = await refusal(source.keyFor({ alg: 'RS256', kid: 'a' }));
      assert.equal(error.code, 'unavailable');
      assert.match(error.message.replace('this hub cannot fetch its key set: ', ''), reason);
    }
  });

  it('says so when nothing listens', async () => {
    const gone = await keyServer({ keys: [] });
    const url = gone.url;
    await gone.close();
    const error = await refusal(new JwksUrl(url).keyFor({ alg: 'RS256', kid: undefined }));
    assert.equal(error.message, 'this hub cannot fetch its key set: the key server refused the connection');
  });

  it('takes https, and plain http only to loopback', () => {
    assert.equal(checkJwksUrl('https://auth.example.com/jwks').host, 'auth.example.com');
    for (const ok of ['http://127.0.0.1:9/k', 'http://localhost/k', 'http://[::1]:80/k']) checkJwksUrl(ok);
    for (const [bad, reason] of [
      ['http://auth.example.com/jwks', /plain http only to a loopback host/],
      ['http://127.0.0.1.evil.com/jwks', /plain http only to a loopback host/],
      ['ftp://127.0.0.1/jwks', /must use https, not ftp:/],
      ['not a url', /not a valid URL/],
    ] as const) {
      assert.throws(() => checkJwksUrl(bad), reason);
    }
  });
});
