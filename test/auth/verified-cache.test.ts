import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { FixedKey, KeyAuthorizer } from '../../src/auth/key-authorizer.js';
import { secretKey } from '../../src/auth/pinned-key.js';
import { VerifiedCache } from '../../src/auth/verified-cache.js';
import type { Authorizer, Credential, Grant } from '../../src/hub/authorizer.js';
import { HeraldError } from '../../src/hub/refusal.js';

/** An authorizer that counts its verifications; tokens starting with "bad" fail. */
function counting(expiresAt?: number): Authorizer & { calls: number } {
  const inner = {
    calls: 0,
    async verify(credential: Credential): Promise<Grant> {
      inner.calls++;
      if (credential.token.startsWith('bad')) throw new HeraldError('unauthenticated', 'bad token');
      return { publish: [], subscribe: [], expiresAt, subject: credential.token };
    },
  };
  return inner;
}

const header = (token: string): Credential => ({ token, source: 'bearer' });

describe('the verified-token cache', () => {
  it('verifies a token once, then answers from memory', async () => {
    const inner = counting();
    const cache = new VerifiedCache(inner);
    for (let i = 0; i < 100; i++) assert.equal((await cache.verify(header('t1'))).subject, 't1');
    assert.equal(inner.calls, 1);
    await cache.verify(header('t2'));
    assert.equal(inner.calls, 2, 'another token is verified afresh');
  });

  it('never caches tickets, nor refusals without a verification behind them', async () => {
    const inner = counting();
    const cache = new VerifiedCache(inner);
    for (let i = 0; i < 3; i++) await assert.rejects(cache.verify(header('bad')), /bad token/);
    for (let i = 0; i < 3; i++) await cache.verify({ token: 'tk', source: 'ticket' });
    assert.equal(inner.calls, 6);
  });

  it("re-verifies after its own lifetime and never trusts a token past the token's expiry", async () => {
    let now = 1_000_000;
    const inner = counting(now + 5_000);
    const cache = new VerifiedCache(inner, { ttlMs: 60_000, now: () => now });
    await cache.verify(header('t'));
    now += 4_999;
    await cache.verify(header('t'));
    assert.equal(inner.calls, 1);
    now += 1;
    await cache.verify(header('t'));
    assert.equal(inner.calls, 2, 'at the expiry the inner authorizer decides again');
    const long = counting();
    const bounded = new VerifiedCache(long, { ttlMs: 100, now: () => now });
    await bounded.verify(header('x'));
    now += 100;
    await bounded.verify(header('x'));
    assert.equal(long.calls, 2);
  });

  it('stays bounded, forgetting the oldest first', async () => {
    const inner = counting();
    const cache = new VerifiedCache(inner, { maxEntries: 3 });
    for (const t of ['a', 'b', 'c', 'd']) await cache.verify(header(t));
    await cache.verify(header('d'));
    assert.equal(inner.calls, 4);
    await cache.verify(header('a'));
    assert.equal(inner.calls, 5, 'the oldest was forgotten');
  });
});

/** Real HS256 verification against a clock of the test's own. */
function realKeys(clock: { now: number }): {
  cache: VerifiedCache;
  sign(claims: Record<string, unknown>, key?: string): Promise<string>;
} {
  const inner = new KeyAuthorizer(new FixedKey(secretKey(KEY)), {}, () => clock.now);
  const cache = new VerifiedCache(inner, { ttlMs: 300_000, maxFailures: 3, now: () => clock.now });
  const sign = (claims: Record<string, unknown>, key = KEY) =>
    new SignJWT({ herald: { publish: ['**'] }, ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(key));
  return { cache, sign };
}

const KEY = 'verified-cache-test-key-0123456789abcdef';
const OTHER_KEY = 'another-key-entirely-0123456789abcdefghij';
const second = (ms: number) => Math.floor(ms / 1000);

describe('refused tokens in the verified-token cache', () => {
  it('a repeated bad signature is verified once and refused the same way every time', async () => {
    const clock = { now: 1_700_000_000_000 };
    const { cache, sign } = realKeys(clock);
    const forged = await sign({}, OTHER_KEY);
    const reasons = new Set<string>();
    for (let i = 0; i < 100; i++)
      await assert.rejects(cache.verify(header(forged)), (error: HeraldError) => {
        assert.equal(error.code, 'unauthenticated');
        reasons.add(error.message);
        return true;
      });
    assert.deepEqual([...reasons], ["the token's signature does not match this hub's key"]);
    assert.equal(cache.verifications, 1);
  });

  it('an expired token stays refused from memory (it only gets older)', async () => {
    const clock = { now: 1_700_000_000_000 };
    const { cache, sign } = realKeys(clock);
    const expired = await sign({ exp: second(clock.now) - 10 });
    for (let i = 0; i < 5; i++) await assert.rejects(cache.verify(header(expired)), /has expired/);
    assert.equal(cache.verifications, 1);
  });

  it('a token not valid yet is checked again each time, and accepted once its time comes', async () => {
    const clock = { now: 1_700_000_000_000 };
    const { cache, sign } = realKeys(clock);
    const early = await sign({ nbf: second(clock.now) + 60 });
    for (let i = 0; i < 3; i++) await assert.rejects(cache.verify(header(early)), /not valid before/);
    assert.equal(cache.verifications, 3);
    clock.now += 61_000;
    assert.deepEqual(
      (await cache.verify(header(early))).publish.map((s) => s.text),
      ['**'],
    );
  });

  it('forgets a refusal after its lifetime, and keeps at most maxFailures of them, oldest out first', async () => {
    const clock = { now: 1_700_000_000_000 };
    const { cache, sign } = realKeys(clock);
    const forged = await Promise.all(['a', 'b', 'c', 'd'].map((sub) => sign({ sub }, OTHER_KEY)));
    for (const token of forged) await assert.rejects(cache.verify(header(token)));
    assert.equal(cache.verifications, 4);
    await assert.rejects(cache.verify(header(forged[3]!)));
    assert.equal(cache.verifications, 4, 'the newest is remembered');
    await assert.rejects(cache.verify(header(forged[0]!)));
    assert.equal(cache.verifications, 5, 'the oldest was forgotten (3 at most)');
    clock.now += 300_000;
    await assert.rejects(cache.verify(header(forged[0]!)));
    assert.equal(cache.verifications, 6, 'checked again after the lifetime');
  });

  it('a flood of refused tokens evicts no verified one', async () => {
    const clock = { now: 1_700_000_000_000 };
    const { cache, sign } = realKeys(clock);
    const good = await sign({});
    await cache.verify(header(good));
    for (let i = 0; i < 20; i++) await assert.rejects(cache.verify(header(await sign({ i }, OTHER_KEY))));
    const before = cache.verifications;
    await cache.verify(header(good));
    assert.equal(cache.verifications, before);
  });
});
