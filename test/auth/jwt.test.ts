import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { secretAuthorizer } from '../../src/auth/hub-keys.js';
import { keyBytes, mintToken } from '../../src/auth/jwt.js';
import { parseDuration } from '../../src/cli/duration.js';
import { bearerToken } from '../../src/http/credentials.js';
import { HeraldError } from '../../src/hub/refusal.js';

const key = keyBytes('k'.repeat(32));

describe('auth', () => {
  it('mints tokens whose claims verify back as selectors', async () => {
    const token = await mintToken(key, {
      publish: ['news/**'],
      subscribe: ['users/1/*'],
      ttlSeconds: 60,
      subject: 's',
    });
    const claims = await secretAuthorizer(key).verify({ token, source: 'bearer' });
    assert.deepEqual(
      claims.publish.map((s) => s.text),
      ['news/**'],
    );
    assert.deepEqual(
      claims.subscribe.map((s) => s.text),
      ['users/1/*'],
    );
  });

  it('refuses short keys, bad selectors in claims, and malformed headers', async () => {
    assert.throws(() => keyBytes('short'), /at least 32 bytes/);
    await assert.rejects(mintToken(key, { publish: ['a//b'] }), /empty segment/);
    assert.equal(bearerToken(null), undefined);
    assert.equal(bearerToken('Bearer abc'), 'abc');
    assert.throws(() => bearerToken('Token abc'), HeraldError);
    assert.throws(() => bearerToken('Bearer a b'), HeraldError);
  });

  it('parses durations', () => {
    assert.equal(parseDuration('90'), 90);
    assert.equal(parseDuration('15m'), 900);
    assert.equal(parseDuration('1h'), 3600);
    assert.equal(parseDuration('7d'), 604800);
    assert.throws(() => parseDuration('soon'), /not a duration/);
  });
});
