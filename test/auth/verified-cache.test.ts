import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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

  it('never caches failures or tickets', async () => {
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
