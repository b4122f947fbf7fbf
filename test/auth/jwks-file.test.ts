import assert from 'node:assert/strict';
import { utimesSync, writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { createAuthorizer, KeySpecError } from '../../src/auth/create-authorizer.js';
import { JwksFile } from '../../src/auth/jwks-file.js';
import { HeraldError } from '../../src/hub/refusal.js';
import { keyPair, manualClock, plainReason, sign, tempDir } from './helpers.js';

const temp = tempDir();
after(() => temp.remove());

let serial = 0;
/** Writes a JWKS file and moves its mtime on, as a rotation some seconds later would. */
function writeJwks(path: string, keys: unknown[] | string): void {
  writeFileSync(path, typeof keys === 'string' ? keys : JSON.stringify({ keys }));
  const time = Date.now() / 1000 + ++serial * 10;
  utimesSync(path, time, time);
}

async function reason(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => assert.fail('accepted'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof HeraldError);
  plainReason(error.message);
  return error.message;
}

describe('a JWKS file', () => {
  const a = keyPair('RS256');
  const b = keyPair('ES256');

  it('is re-read when it changes, at most once per check interval', async () => {
    const path = temp.path('rotate.json');
    writeJwks(path, [a.jwk('a')]);
    const clock = manualClock();
    const refreshed: number[] = [];
    const authorizer = await createAuthorizer(
      { jwksFile: path, checkIntervalSeconds: 5 },
      { now: clock.now, onRefresh: (keys) => refreshed.push(keys.keys.length) },
    );
    const tokenA = await sign(a.privateKey, { kid: 'a' });
    const tokenB = await sign(b.privateKey, { alg: 'ES256', kid: 'b' });
    await authorizer.verify({ token: tokenA, source: 'bearer' });
    assert.match(
      await reason(authorizer.verify({ token: tokenB, source: 'bearer' })),
      /key id "b" is not in/,
    );

    // Rotation: both keys for a while, then only the new one.
    writeJwks(path, [a.jwk('a'), b.jwk('b')]);
    clock.advance(4_999);
    assert.match(
      await reason(authorizer.verify({ token: tokenB, source: 'bearer' })),
      /key id "b" is not in/,
      'not looked at again within the interval',
    );
    clock.advance(1);
    await authorizer.verify({ token: tokenB, source: 'bearer' });
    await authorizer.verify({ token: tokenA, source: 'bearer' });
    assert.deepEqual(refreshed, [2]);

    writeJwks(path, [b.jwk('b')]);
    clock.advance(5_000);
    await authorizer.verify({ token: tokenB, source: 'bearer' });
    assert.match(
      await reason(authorizer.verify({ token: tokenA, source: 'bearer' })),
      /key id "a" is not in/,
    );
    assert.deepEqual(refreshed, [2, 1]);

    // An unchanged file is not read again.
    clock.advance(5_000);
    await authorizer.verify({ token: tokenB, source: 'bearer' });
    assert.deepEqual(refreshed, [2, 1]);
  });

  it('keeps its keys when the file breaks, says so once, and takes the repaired file', async () => {
    const path = temp.path('broken.json');
    writeJwks(path, [a.jwk('a')]);
    const clock = manualClock();
    const errors: string[] = [];
    const source = await JwksFile.open(path, {
      checkIntervalMs: 1000,
      now: clock.now,
      onError: (r) => errors.push(r),
    });
    const choice = { alg: 'RS256', kid: 'a' };
    for (const broken of ['{"keys": [', JSON.stringify({ keys: [{ kty: 'oct', k: 'AA' }] })]) {
      writeJwks(path, broken);
      clock.advance(1000);
      assert.equal((await source.keyFor(choice)).kid, 'a');
      clock.advance(1000);
      assert.equal((await source.keyFor(choice)).kid, 'a');
    }
    assert.equal(errors.length, 2, errors.join(' | '));
    assert.match(errors[0]!, /^the JWKS file .*broken\.json: it is not JSON; keeping the previous keys$/);
    assert.match(errors[1]!, /holds no usable signing key .*; keeping the previous keys$/);
    writeJwks(path, [b.jwk('b')]);
    clock.advance(1000);
    assert.equal((await source.keyFor({ alg: 'ES256', kid: 'b' })).kid, 'b');
    assert.equal(source.keys.keys.length, 1);
  });

  it('refuses algorithm confusion with the key set', async () => {
    const path = temp.path('confusion.json');
    writeJwks(path, [a.jwk('a', false)]);
    const authorizer = await createAuthorizer({ jwksFile: path });
    const forged = await sign(new TextEncoder().encode(a.pem), { alg: 'HS256', kid: 'a' });
    assert.equal(
      await reason(authorizer.verify({ token: forged, source: 'ambient' })),
      "the token uses algorithm HS256; this hub's key takes RS256",
    );
  });

  it('fails at creation when missing or unusable', async () => {
    await assert.rejects(
      createAuthorizer({ jwksFile: temp.path('missing.json') }),
      (error: unknown) =>
        error instanceof KeySpecError &&
        /^cannot read the JWKS file .*missing\.json \(no such file\)$/.test(error.message),
    );
    const path = temp.path('empty.json');
    writeJwks(path, []);
    await assert.rejects(createAuthorizer({ jwksFile: path }), /empty\.json: it holds no usable signing key/);
    await assert.rejects(createAuthorizer({ jwksFile: temp.dir }), /\(it is a directory\)/);
  });
});
