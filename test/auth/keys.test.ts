import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { jwtVerify } from 'jose';
import { createAuthorizer, KeySpecError } from '../../src/auth/create-authorizer.js';
import { KeySet } from '../../src/auth/key-set.js';
import type { Authorizer } from '../../src/hub/authorizer.js';
import { HeraldError } from '../../src/hub/refusal.js';
import { keyPair, manualClock, plainReason, sign, unsigned } from './helpers.js';

const SECRET = 'a-secret-of-more-than-thirty-two-bytes!';
const secretBytes = new TextEncoder().encode(SECRET);

/** Expects a refusal whose reason matches, is one line and says nothing in a library's words. */
async function refused(authorizer: Authorizer, token: string, reason: RegExp, code = 'unauthenticated') {
  const error = await authorizer.verify({ token, source: 'bearer' }).then(
    () => assert.fail(`accepted a token that should be refused (${reason})`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof HeraldError, `a HeraldError, got ${String(error)}`);
  assert.equal(error.code, code);
  assert.match(error.message, reason);
  plainReason(error.message);
}

function accepted(authorizer: Authorizer, token: string) {
  return authorizer.verify({ token, source: 'bearer' });
}

const ASYMMETRIC = ['RS256', 'ES256', 'ES384', 'EdDSA'] as const;

describe('key authorizers', () => {
  it('an HS256 secret verifies its tokens and refuses another secret', async () => {
    const authorizer = await createAuthorizer({ secret: SECRET });
    const grant = await accepted(
      authorizer,
      await sign(secretBytes, { alg: 'HS256', subscribe: ['users/7/*'], subject: 'u7', expiresIn: 60 }),
    );
    assert.deepEqual(
      grant.subscribe.map((s) => s.text),
      ['users/7/*'],
    );
    assert.equal(grant.subject, 'u7');
    const other = new TextEncoder().encode('another-secret-of-more-than-thirty-two-bytes');
    await refused(
      authorizer,
      await sign(other, { alg: 'HS256' }),
      /^the token's signature does not match this hub's key$/,
    );
    await assert.rejects(createAuthorizer({ secret: 'short' }), KeySpecError);
  });

  for (const name of ASYMMETRIC) {
    it(`a ${name} public key in PEM verifies its tokens and refuses another key's`, async () => {
      const pair = keyPair(name);
      const authorizer = await createAuthorizer({ publicKeyPem: pair.pem });
      const now = Date.now();
      const grant = await accepted(
        authorizer,
        await sign(pair.privateKey, { alg: name, expiresIn: 60 }, now),
      );
      assert.equal(grant.expiresAt, (Math.floor(now / 1000) + 60) * 1000);
      assert.deepEqual(
        grant.subscribe.map((s) => s.text),
        ['users/1/**'],
      );
      const stranger =
        name === 'RS256'
          ? keyPair('RS256b')
          : name === 'ES256'
            ? keyPair('ES256b')
            : name === 'ES384'
              ? { privateKey: generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey }
              : { privateKey: generateKeyPairSync('ed25519').privateKey };
      await refused(
        authorizer,
        await sign(stranger.privateKey, { alg: name }),
        /^the token's signature does not match this hub's key$/,
      );
    });
  }

  it('pins the algorithm by the key type: another algorithm is refused before its signature is looked at', async () => {
    const rsa = await createAuthorizer({ publicKeyPem: keyPair('RS256').pem });
    await refused(
      rsa,
      await sign(keyPair('ES256').privateKey, { alg: 'ES256' }),
      /^the token uses algorithm ES256; this hub's key takes RS256$/,
    );
    // The same RSA key, signing with RS384: refused unless the hub names RS384 for its key.
    const rs384 = await sign(keyPair('RS256').privateKey, { alg: 'RS384' });
    await refused(rsa, rs384, /uses algorithm RS384; this hub's key takes RS256/);
    await accepted(await createAuthorizer({ publicKeyPem: keyPair('RS256').pem, algorithm: 'RS384' }), rs384);
    const ed = await createAuthorizer({ publicKeyPem: keyPair('EdDSA').pem });
    await refused(
      ed,
      await sign(keyPair('ES256').privateKey, { alg: 'ES256' }),
      /this hub's key takes EdDSA, Ed25519/,
    );
    await accepted(ed, await sign(keyPair('EdDSA').privateKey, { alg: 'Ed25519' }));
  });

  it('refuses alg: none with every key type', async () => {
    const authorizers = [
      await createAuthorizer({ secret: SECRET }),
      await createAuthorizer({ publicKeyPem: keyPair('RS256').pem }),
      await createAuthorizer({ jwks: { keys: [keyPair('ES256').jwk('k1')] } }),
    ];
    for (const authorizer of authorizers) {
      for (const header of [{ alg: 'none' }, { alg: 'none', kid: 'k1' }, { alg: 'NONE' }]) {
        await refused(
          authorizer,
          unsigned(header),
          /^the token (is unsigned \(algorithm none\)|uses algorithm NONE); this hub's key takes/,
        );
      }
    }
  });

  it('refuses algorithm confusion: an HS256 token signed with the bytes of the public key', async () => {
    for (const name of ASYMMETRIC) {
      const pair = keyPair(name);
      const forged = await sign(new TextEncoder().encode(pair.pem), { alg: 'HS256', subscribe: ['**'] });
      // The forgery is real: a verifier that let the token pick HMAC over the PEM text would take it.
      await jwtVerify(forged, createSecretKey(Buffer.from(pair.pem)), { algorithms: ['HS256'] });
      await refused(
        await createAuthorizer({ publicKeyPem: pair.pem }),
        forged,
        /^the token uses algorithm HS256; this hub's key takes /,
      );
      const jwk = pair.jwk('k1');
      await refused(
        await createAuthorizer({ jwks: { keys: [jwk] } }),
        forged,
        /^the token uses algorithm HS256; this hub's key takes /,
      );
      const withKid = await sign(new TextEncoder().encode(JSON.stringify(jwk)), { alg: 'HS256', kid: 'k1' });
      await refused(
        await createAuthorizer({ jwks: { keys: [jwk] } }),
        withKid,
        /^the token uses algorithm HS256; this hub's key takes /,
      );
    }
  });

  it('checks the issuer and the audience when configured', async () => {
    const key = keyPair('ES256');
    const authorizer = await createAuthorizer({
      publicKeyPem: key.pem,
      issuer: 'https://auth.example.com/',
      audience: ['herald', 'herald-staging'],
    });
    const good = { alg: 'ES256', issuer: 'https://auth.example.com/', audience: 'herald' };
    await accepted(authorizer, await sign(key.privateKey, good));
    await accepted(
      authorizer,
      await sign(key.privateKey, { ...good, audience: ['other', 'herald-staging'] }),
    );
    await refused(
      authorizer,
      await sign(key.privateKey, { ...good, issuer: 'https://evil.example.com/' }),
      /^the token's issuer "https:\/\/evil\.example\.com\/" is not the one this hub expects \("https:\/\/auth\.example\.com\/"\)$/,
    );
    await refused(
      authorizer,
      await sign(key.privateKey, { ...good, audience: 'another-service' }),
      /^the token's audience does not include this hub's \("herald" or "herald-staging"\)$/,
    );
    await refused(
      authorizer,
      await sign(key.privateKey, { alg: 'ES256', audience: 'herald' }),
      /^the token has no iss claim, which this hub requires$/,
    );
    await refused(
      authorizer,
      await sign(key.privateKey, { alg: 'ES256', issuer: 'https://auth.example.com/' }),
      /^the token has no aud claim/,
    );
    // Without checks configured, iss and aud are not looked at.
    await accepted(
      await createAuthorizer({ publicKeyPem: key.pem }),
      await sign(key.privateKey, { ...good, issuer: 'anyone' }),
    );
  });

  it('refuses expired and not-yet-valid tokens, with the time in the reason', async () => {
    const clock = manualClock();
    const key = keyPair('EdDSA');
    const authorizer = await createAuthorizer({ publicKeyPem: key.pem }, { now: clock.now });
    const expiring = await sign(key.privateKey, { alg: 'EdDSA', expiresIn: 10 }, clock.now());
    await accepted(authorizer, expiring);
    clock.advance(9_000);
    await accepted(authorizer, expiring);
    clock.advance(1_000);
    await refused(authorizer, expiring, /^the token has expired \(at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/);

    const later = await sign(key.privateKey, { alg: 'EdDSA', notBeforeIn: 60 }, clock.now());
    const at = new Date((Math.floor(clock.now() / 1000) + 60) * 1000).toISOString().replace('.000Z', 'Z');
    await refused(authorizer, later, new RegExp(`^the token is not valid before ${at}$`));
    clock.advance(60_000);
    await accepted(authorizer, later);

    // A tolerance for clock skew, when configured.
    const tolerant = await createAuthorizer(
      { publicKeyPem: key.pem, clockToleranceSeconds: 5 },
      { now: clock.now },
    );
    const justExpired = await sign(key.privateKey, { alg: 'EdDSA', expiresIn: -2 }, clock.now());
    await accepted(tolerant, justExpired);
    await refused(authorizer, justExpired, /has expired/);
  });

  it('refuses malformed tokens in plain words', async () => {
    const authorizer = await createAuthorizer({ publicKeyPem: keyPair('RS256').pem });
    for (const token of ['not.a.jwt', '', 'abc', 'a.b', `${'x'.repeat(20)}.${'y'.repeat(20)}.z`]) {
      await refused(authorizer, token, /^the token is not a well-formed JWT/);
    }
    await refused(authorizer, 'x'.repeat(9000), /longer than 8192 characters/);
    await refused(authorizer, unsigned({ typ: 'JWT' }), /names no algorithm/);
    await refused(authorizer, unsigned({ alg: 'RS256', kid: 7 }), /key id \(kid\) is not a string/);
    await refused(authorizer, unsigned({ alg: 'RS256\n' }), /^the token uses algorithm "RS256\\n"; this hub/);
    const badClaims = await sign(keyPair('RS256').privateKey, { subscribe: ['a//b'] });
    await refused(authorizer, badClaims, /herald\.subscribe/);
  });

  it('refuses keys that cannot serve, in one line, at creation', async () => {
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const cases: Array<[Parameters<typeof createAuthorizer>[0], RegExp]> = [
      [
        { publicKeyPem: keyPair('RS256').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() },
        /holds a private key; give the hub only the public key/,
      ],
      [{ publicKeyPem: 'hello' }, /holds no public key in PEM form/],
      [
        { publicKeyPem: rsa1024.export({ format: 'pem', type: 'spki' }).toString() },
        /at least 2048 bits \(this one has 1024\)/,
      ],
      [
        {
          publicKeyPem: generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
            .publicKey.export({ format: 'pem', type: 'spki' })
            .toString(),
        },
        /curve secp256k1 are not supported/,
      ],
      [
        {
          publicKeyPem: generateKeyPairSync('x25519')
            .publicKey.export({ format: 'pem', type: 'spki' })
            .toString(),
        },
        /keys of type x25519 are not supported/,
      ],
      [
        { publicKeyPem: keyPair('RS256').pem, algorithm: 'ES256' },
        /names algorithm "ES256", but an RSA key takes RS256/,
      ],
      [{ publicKeyPem: keyPair('ES256').pem, algorithm: 'ES384' }, /an EC key takes ES256/],
      [
        { publicKeyFile: '/nonexistent/key.pem' },
        /^cannot read the key file \/nonexistent\/key\.pem \(no such file\)$/,
      ],
      [{ jwks: { keys: [] } }, /holds no usable signing key/],
      [{ jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, /must hold public keys, not shared secrets/],
      [{ jwks: [] }, /not a JWKS/],
      [{ jwksUrl: 'http://example.com/jwks.json' }, /must use https \(plain http only to a loopback host\)/],
      [
        { secret: SECRET, publicKeyPem: keyPair('RS256').pem } as never,
        /exactly one key source.*got secret and publicKeyPem/,
      ],
      [{} as never, /got none/],
      [{ secret: SECRET, issuer: '' }, /issuer must be a non-empty string/],
      [{ secret: SECRET, audience: [] }, /audience must be a non-empty string/],
    ];
    for (const [spec, reason] of cases) {
      await assert.rejects(createAuthorizer(spec), (error: unknown) => {
        assert.ok(error instanceof KeySpecError, String(error));
        assert.match(error.message, reason);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
    }
  });
});

describe('a fixed JWKS', () => {
  const rsa = keyPair('RS256');
  const rsa2 = keyPair('RS256b');
  const ec = keyPair('ES256');

  it('picks the key by kid, and by algorithm when the token names none', async () => {
    const authorizer = await createAuthorizer({
      jwks: { keys: [rsa.jwk('r1'), rsa2.jwk('r2'), ec.jwk('e1', false)] },
    });
    await accepted(authorizer, await sign(rsa.privateKey, { kid: 'r1' }));
    await accepted(authorizer, await sign(rsa2.privateKey, { kid: 'r2' }));
    await accepted(authorizer, await sign(ec.privateKey, { alg: 'ES256', kid: 'e1' }));
    await accepted(authorizer, await sign(ec.privateKey, { alg: 'ES256' }));
    await refused(authorizer, await sign(rsa.privateKey, { kid: 'r2' }), /signature does not match/);
    await refused(
      authorizer,
      await sign(rsa.privateKey, { kid: 'gone' }),
      /^the token's key id "gone" is not in this hub's key set$/,
    );
    await refused(
      authorizer,
      await sign(rsa.privateKey),
      /names no key id \(kid\) and this hub's key set has several RS256 keys/,
    );
    await refused(
      authorizer,
      unsigned({ alg: 'ES384', kid: 'e1' }),
      /^the token uses algorithm ES384; this hub's key takes ES256$/,
    );
  });

  it('leaves out members that cannot serve, and says why', () => {
    const set = KeySet.from({
      keys: [
        rsa.jwk('ok'),
        { kty: 'oct', k: 'c2VjcmV0', kid: 'secret' },
        { ...ec.jwk('enc'), use: 'enc' },
        { ...rsa.privateKey.export({ format: 'jwk' }), kid: 'private' },
        { kty: 'EC', crv: 'P-256', x: 'bad', y: 'bad' },
        { ...rsa.jwk('r-es'), alg: 'ES256' },
        'text',
      ],
    });
    assert.deepEqual(
      set.keys.map((k) => k.kid),
      ['ok'],
    );
    assert.deepEqual(
      set.skipped.map((reason) => reason.replace(/:.*/, '')),
      ['key 1', 'key 2', 'key 3', 'key 4', 'key 5', 'key 6'],
    );
    assert.match(set.skipped[0]!, /not shared secrets/);
    assert.match(set.skipped[2]!, /not private ones/);
    assert.throws(
      () => KeySet.from({ keys: Array.from({ length: 101 }, () => rsa.jwk('k')) }),
      /at most 100/,
    );
  });
});
