import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { createAuthorizer, KeySpecError } from '../../src/auth/create-authorizer.js';
import { parseKeySpec } from '../../src/auth/key-spec.js';
import { keyPair, sign, tempDir } from './helpers.js';

const temp = tempDir();
after(() => temp.remove());

const SECRET = 'a-secret-of-more-than-thirty-two-bytes:with:colons';

describe('key specs as the CLI takes them', () => {
  it('reads every form', () => {
    assert.deepEqual(parseKeySpec(`hs256:${SECRET}`), { secret: SECRET });
    assert.deepEqual(parseKeySpec(`HS256:${SECRET}`), { secret: SECRET });
    assert.deepEqual(parseKeySpec('pem:./keys/public.pem'), { publicKeyFile: './keys/public.pem' });
    assert.deepEqual(parseKeySpec('jwks:./keys.json'), { jwksFile: './keys.json' });
    assert.deepEqual(parseKeySpec('jwks:file:///etc/herald/keys.json'), {
      jwksFile: '/etc/herald/keys.json',
    });
    const url = parseKeySpec('jwks:https://auth.example.com/.well-known/jwks.json');
    assert.ok('jwksUrl' in url);
    assert.equal(String(url.jwksUrl), 'https://auth.example.com/.well-known/jwks.json');
    assert.ok('jwksUrl' in parseKeySpec('jwks:http://127.0.0.1:8080/jwks.json'));
  });

  it('refuses the rest in one line that never repeats the value', () => {
    const secret = 'my-very-secret-value-that-must-not-leak-0123456789';
    const cases: Array<[string, RegExp]> = [
      [
        secret,
        /^a key is given as hs256:SECRET, pem:FILE, jwks:FILE or jwks:URL \(e\.g\. pem:\.\/public\.pem\)$/,
      ],
      [`hs265:${secret}`, /^the key kind \(before the first colon\) must be hs256, pem or jwks/],
      [`${secret}:x`, /the key kind/],
      [':x', /a key is given as/],
      ['hs256:', /^hs256: needs a secret after the colon$/],
      ['pem:', /^pem: needs a file or URL after the colon$/],
      ['hs256:short-secret', /^an hs256 secret must be at least 32 bytes \(got 12\)$/],
      [
        'jwks:http://auth.example.com/jwks.json',
        /^a JWKS URL must use https \(plain http only to a loopback host\)$/,
      ],
      ['jwks:ftp://example.com/jwks.json', /must use https, not ftp:/],
      ['jwks:file:relative.json', /absolute file URL/],
    ];
    for (const [text, reason] of cases) {
      assert.throws(
        () => parseKeySpec(text),
        (error: unknown) => {
          assert.ok(error instanceof KeySpecError);
          assert.match(error.message, reason);
          assert.doesNotMatch(error.message, /\n|my-very-secret|short-secret/);
          return true;
        },
        text,
      );
    }
  });

  it('gives specs that createAuthorizer takes', async () => {
    const pair = keyPair('ES256');
    const pemPath = temp.path('public.pem');
    writeFileSync(pemPath, pair.pem);
    const jwksPath = temp.path('keys.json');
    writeFileSync(jwksPath, JSON.stringify({ keys: [pair.jwk('k')] }));
    const token = await sign(pair.privateKey, { alg: 'ES256', kid: 'k', issuer: 'me' });
    for (const text of [`pem:${pemPath}`, `jwks:${jwksPath}`, `jwks:file://${jwksPath}`]) {
      const authorizer = await createAuthorizer({ ...parseKeySpec(text), issuer: 'me' });
      const grant = await authorizer.verify({ token, source: 'bearer' });
      assert.deepEqual(
        grant.subscribe.map((s) => s.text),
        ['users/1/**'],
      );
    }
    const hs = await createAuthorizer(parseKeySpec(`hs256:${SECRET}`));
    await hs.verify({
      token: await sign(new TextEncoder().encode(SECRET), { alg: 'HS256' }),
      source: 'bearer',
    });
  });
});
