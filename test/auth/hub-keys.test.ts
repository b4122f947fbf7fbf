// Every key type and source, end to end through a hub over HTTP: a publisher token publishes a
// private event, a subscriber token receives it; tokens of other keys are refused; JWKS files and
// URLs rotate without a restart; issuer and audience checks; keys that cannot load.
import assert from 'node:assert/strict';
import { type KeyObject, randomUUID } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { KeySpecError } from '../../src/auth/create-authorizer.js';
import type { KeyOption } from '../../src/auth/hub-keys.js';
import { createHub, type HeraldHub, type HubOptions } from '../../src/create-hub.js';
import type { Authorizer } from '../../src/hub/authorizer.js';
import { parseSelector } from '../../src/hub/topic-selector.js';
import { httpRequest, StreamReader } from '../support/hub.js';
import { type KeyPair, type KeyServer, keyPair, keyServer, tempDir } from './helpers.js';

const SECRET = 'a-shared-secret-of-more-than-32-bytes!';
const secretBytes = new TextEncoder().encode(SECRET);

interface Claims {
  publish?: string[];
  subscribe?: string[];
  kid?: string;
  issuer?: string;
  audience?: string;
  expiresIn?: number;
}

function signed(key: KeyObject | Uint8Array, alg: string, claims: Claims): Promise<string> {
  const herald: Record<string, string[]> = {};
  if (claims.publish) herald.publish = claims.publish;
  if (claims.subscribe) herald.subscribe = claims.subscribe;
  // A jti makes every token unique: the hub remembers verified tokens for a while (VerifiedCache),
  // and a rotation is about tokens it has not seen.
  let jwt = new SignJWT({ herald })
    .setProtectedHeader({ alg, ...(claims.kid === undefined ? {} : { kid: claims.kid }) })
    .setIssuedAt()
    .setJti(randomUUID());
  if (claims.issuer !== undefined) jwt = jwt.setIssuer(claims.issuer);
  if (claims.audience !== undefined) jwt = jwt.setAudience(claims.audience);
  if (claims.expiresIn !== undefined)
    jwt = jwt.setExpirationTime(Math.floor(Date.now() / 1000) + claims.expiresIn);
  return jwt.sign(key);
}

interface Running {
  hub: HeraldHub;
  url: string;
  close(): Promise<void>;
}

async function start(options: HubOptions): Promise<Running> {
  const hub = createHub({ monitor: false, ...options });
  const server = await hub.listen(0);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { hub, url, close: () => hub.close() };
}

function publish(hub: Running, jwt: string, topic: string, data: string) {
  return httpRequest(`${hub.url}/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
    body: JSON.stringify({ topic, data, private: true }),
  });
}

function subscribe(hub: Running, jwt: string, topic: string): Promise<StreamReader> {
  return StreamReader.open(`${hub.url}/events?topic=${encodeURIComponent(topic)}`, {
    authorization: `Bearer ${jwt}`,
  });
}

/** A publisher token publishes a private event and a subscriber token receives it, over HTTP. */
async function roundTrip(
  hub: Running,
  publisher: string,
  subscriber: string,
  topic = 'inbox/u1',
): Promise<void> {
  const reader = await subscribe(hub, subscriber, topic);
  try {
    assert.equal(reader.status, 200, reader.raw);
    await reader.ready();
    const answer = await publish(hub, publisher, topic, `for ${topic}`);
    assert.equal(answer.status, 200, answer.body);
    const [event] = await reader.take(1);
    assert.equal(event!.data, `for ${topic}`);
    assert.equal(event!.lastEventId, answer.body.trimEnd());
  } finally {
    reader.close();
  }
}

async function refusedPublish(hub: Running, jwt: string, reason: RegExp): Promise<void> {
  const answer = await publish(hub, jwt, 'inbox/u1', 'x');
  assert.equal(answer.status, 401, answer.body);
  assert.match(answer.body, reason);
}

async function refusedSubscribe(hub: Running, jwt: string, reason: RegExp, status = 401): Promise<void> {
  const reader = await StreamReader.open(`${hub.url}/events?topic=inbox/u1`, {
    authorization: `Bearer ${jwt}`,
  });
  if (reader.status === 200) {
    reader.close();
    assert.fail(`subscribed with a token that should be refused (${reason})`);
  }
  await reader.ended;
  assert.equal(reader.status, status, reader.raw);
  assert.match(reader.raw, reason);
}

const publisherClaims = { publish: ['inbox/**'] };
const subscriberClaims = { subscribe: ['inbox/u1'] };

describe('every key type through the hub', { timeout: 60_000 }, () => {
  const dir = tempDir();
  const running: Running[] = [];
  after(async () => {
    for (const hub of running) await hub.close();
    dir.remove();
  });
  const hubWith = async (options: HubOptions) => {
    const hub = await start(options);
    running.push(hub);
    return hub;
  };

  it('jwtKey (the HS256 shorthand) serves both sides', async () => {
    const hub = await hubWith({ jwtKey: SECRET });
    await roundTrip(
      hub,
      await signed(secretBytes, 'HS256', publisherClaims),
      await signed(secretBytes, 'HS256', subscriberClaims),
    );
    const other = new TextEncoder().encode('another-secret-of-more-than-32-bytes!!');
    await refusedPublish(hub, await signed(other, 'HS256', publisherClaims), /signature does not match/);
  });

  const asymmetric: Array<[string, KeyPair, (pair: KeyPair) => KeyOption]> = [
    ['an RS256 public key in PEM', keyPair('RS256'), (pair) => ({ publicKeyPem: pair.pem })],
    [
      'an ES256 public key in a PEM file',
      keyPair('ES256'),
      (pair) => {
        writeFileSync(dir.path('es256.pem'), pair.pem);
        return { publicKeyFile: dir.path('es256.pem') };
      },
    ],
    ['an EdDSA key in a JWKS', keyPair('EdDSA'), (pair) => ({ jwks: { keys: [pair.jwk('ed')] } })],
    [
      'an ES384 key in a JWKS file',
      keyPair('ES384'),
      (pair) => {
        writeFileSync(dir.path('es384.json'), JSON.stringify({ keys: [pair.jwk('p384')] }));
        return { jwksFile: dir.path('es384.json') };
      },
    ],
  ];
  for (const [name, pair, spec] of asymmetric) {
    it(`${name} verifies publishers and subscribers; an HS256 token made with its bytes is refused`, async () => {
      const option = spec(pair);
      const hub = await hubWith({ publisherKey: option, subscriberKey: option });
      await roundTrip(
        hub,
        await signed(pair.privateKey, pair.alg, publisherClaims),
        await signed(pair.privateKey, pair.alg, subscriberClaims),
      );
      // Algorithm confusion: the public key's bytes used as an HS256 secret.
      const confused = await signed(new TextEncoder().encode(pair.pem), 'HS256', publisherClaims);
      await refusedPublish(
        hub,
        confused,
        new RegExp(`uses algorithm HS256; this hub's key takes ${pair.alg}`),
      );
      await refusedSubscribe(hub, confused, /uses algorithm HS256/);
    });
  }

  it('separate keys: a publisher key cannot subscribe, a subscriber key cannot publish', async () => {
    const publisher = keyPair('RS256');
    const subscriber = keyPair('EdDSA');
    const hub = await hubWith({
      publisherKey: { publicKeyPem: publisher.pem },
      subscriberKey: { jwks: { keys: [subscriber.jwk('s1')] } },
    });
    const pub = await signed(publisher.privateKey, 'RS256', { ...publisherClaims, ...subscriberClaims });
    const sub = await signed(subscriber.privateKey, 'EdDSA', { ...publisherClaims, ...subscriberClaims });
    await roundTrip(hub, pub, sub);
    await refusedPublish(hub, sub, /uses algorithm EdDSA; this hub's key takes RS256/);
    await refusedSubscribe(hub, pub, /uses algorithm RS256; this hub's keys? takes? EdDSA/);
  });

  it('a JWKS file rotates without a restart', async () => {
    const a = keyPair('ES256');
    const b = keyPair('ES256b');
    const file = dir.path('rotating.json');
    writeFileSync(file, JSON.stringify({ keys: [a.jwk('a')] }));
    const hub = await hubWith({ jwtKey: SECRET, subscriberKey: { jwksFile: file, checkIntervalSeconds: 0 } });
    const publisher = await signed(secretBytes, 'HS256', publisherClaims);
    const tokenA = await signed(a.privateKey, 'ES256', { ...subscriberClaims, kid: 'a' });
    const tokenB = await signed(b.privateKey, 'ES256', { ...subscriberClaims, kid: 'b' });
    await roundTrip(hub, publisher, tokenA);
    await refusedSubscribe(hub, tokenB, /key id "b" is not in this hub's key set/);
    // The new key is published beside the old, then the old is retired; each write is a new file.
    writeFileSync(`${file}.next`, JSON.stringify({ keys: [a.jwk('a'), b.jwk('b')] }));
    renameSync(`${file}.next`, file);
    await roundTrip(hub, publisher, tokenB);
    await roundTrip(hub, publisher, tokenA);
    writeFileSync(`${file}.next`, JSON.stringify({ keys: [b.jwk('b')] }));
    renameSync(`${file}.next`, file);
    await roundTrip(hub, publisher, tokenB);
    // Tokens of the retired key that the hub has not seen are refused (one it verified in the last
    // minute is remembered until then: VerifiedCache).
    const laterA = await signed(a.privateKey, 'ES256', { ...subscriberClaims, kid: 'a' });
    await refusedSubscribe(hub, laterA, /key id "a" is not in this hub's key set/);
  });

  describe('a JWKS URL on a loopback key server', () => {
    const a = keyPair('RS256');
    const b = keyPair('RS256b');
    let server: KeyServer;
    before(async () => {
      server = await keyServer({ keys: [a.jwk('a')] });
    });
    after(() => server.close());

    it('is fetched when the first token comes, and rotates when a token names a new kid', async () => {
      const hub = await hubWith({
        publisherKey: { jwksUrl: server.url, cooldownSeconds: 0 },
        subscriberKey: { jwksUrl: server.url, cooldownSeconds: 0 },
      });
      assert.equal(server.requests, 0, 'nothing fetched before a token needs it');
      const pubA = await signed(a.privateKey, 'RS256', { ...publisherClaims, kid: 'a' });
      const subA = await signed(a.privateKey, 'RS256', { ...subscriberClaims, kid: 'a' });
      await roundTrip(hub, pubA, subA);
      assert.equal(server.requests, 2, 'one fetch per side');
      server.answer = { status: 200, body: JSON.stringify({ keys: [b.jwk('b')] }) };
      const pubB = await signed(b.privateKey, 'RS256', { ...publisherClaims, kid: 'b' });
      const subB = await signed(b.privateKey, 'RS256', { ...subscriberClaims, kid: 'b' });
      await roundTrip(hub, pubB, subB);
      const laterPubA = await signed(a.privateKey, 'RS256', { ...publisherClaims, kid: 'a' });
      const laterSubA = await signed(a.privateKey, 'RS256', { ...subscriberClaims, kid: 'a' });
      await refusedPublish(hub, laterPubA, /key id "a" is not in this hub's key set/);
      await refusedSubscribe(hub, laterSubA, /key id "a" is not in this hub's key set/);
    });

    it('a key server that is down: 503 with a reason, and the hub still starts', async () => {
      const down = await keyServer({});
      down.answer = { status: 500, body: 'oops' };
      const hub = await hubWith({ subscriberKey: { jwksUrl: down.url, cooldownSeconds: 60 } });
      try {
        const sub = await signed(a.privateKey, 'RS256', { ...subscriberClaims, kid: 'a' });
        await refusedSubscribe(hub, sub, /cannot fetch its key set: the key server answered 500/, 503);
      } finally {
        await down.close();
      }
    });
  });

  it('issuer and audience checks, when configured', async () => {
    const pair = keyPair('EdDSA');
    const hub = await hubWith({
      jwtKey: SECRET,
      subscriberKey: { publicKeyPem: pair.pem, issuer: 'https://auth.example', audience: ['herald', 'hub'] },
    });
    const publisher = await signed(secretBytes, 'HS256', publisherClaims);
    const good = { ...subscriberClaims, issuer: 'https://auth.example', audience: 'hub' };
    await roundTrip(hub, publisher, await signed(pair.privateKey, 'EdDSA', good));
    await refusedSubscribe(
      hub,
      await signed(pair.privateKey, 'EdDSA', { ...good, issuer: 'https://evil.example' }),
      /issuer "https:\/\/evil\.example" is not the one this hub expects \("https:\/\/auth\.example"\)/,
    );
    await refusedSubscribe(
      hub,
      await signed(pair.privateKey, 'EdDSA', { ...good, audience: 'other' }),
      /audience does not include this hub's \("herald" or "hub"\)/,
    );
    await refusedSubscribe(
      hub,
      await signed(pair.privateKey, 'EdDSA', subscriberClaims),
      /has no iss claim, which this hub requires/,
    );
  });

  it('an Authorizer of your own', async () => {
    const custom: Authorizer = {
      async verify(credential) {
        if (!/^u\d+$/.test(credential.token)) throw new KeySpecError('not used');
        return {
          publish: [],
          subscribe: [parseSelector(`inbox/${credential.token}`)],
          expiresAt: undefined,
          subject: credential.token,
        };
      },
    };
    const hub = await hubWith({ jwtKey: SECRET, subscriberKey: custom });
    await roundTrip(hub, await signed(secretBytes, 'HS256', publisherClaims), 'u1');
  });
});

describe('keys that cannot serve', () => {
  it('a bad secret or an unusable in-memory key: createHub throws at once, in one line', () => {
    assert.throws(() => createHub({ jwtKey: 'short' }), KeySpecError);
    assert.throws(() => createHub({ publisherKey: { secret: 'short' } }), /at least 32 bytes/);
    assert.throws(
      () => createHub({ subscriberKey: { publicKeyPem: 'not a key' } }),
      /holds no public key in PEM form/,
    );
    assert.throws(
      () => createHub({ subscriberKey: { jwksUrl: 'http://example.com/jwks' } }),
      /must use https/,
    );
    assert.throws(
      () => createHub({ subscriberKey: { secret: SECRET, jwks: { keys: [] } } as unknown as KeyOption }),
      /exactly one key source/,
    );
  });

  it('a key file that cannot be read, and nobody asks ready(): the hub logs the reason at error', async () => {
    const errors: string[] = [];
    const hub = unreadableKeyHub(errors);
    try {
      for (let i = 0; i < 200 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(errors, [
        'the publisher key: cannot read the key file /nonexistent/herald.pem (no such file)',
      ]);
    } finally {
      await hub.close();
    }
  });

  it('a key file that cannot be read: ready() and listen() reject naming the side; tokens get 503', async () => {
    const errors: string[] = [];
    const hub = unreadableKeyHub(errors);
    try {
      await assert.rejects(hub.ready(), (error: unknown) => {
        assert.ok(error instanceof KeySpecError);
        assert.equal(
          error.message,
          'the publisher key: cannot read the key file /nonexistent/herald.pem (no such file)',
        );
        return true;
      });
      await assert.rejects(hub.listen(0), KeySpecError);
      // The caller asked and got the rejection: the hub does not log it a second time.
      assert.deepEqual(errors, []);
      const answer = await hub.fetch(
        new Request('http://hub.test/publish', {
          method: 'POST',
          headers: {
            authorization: `Bearer ${await signed(secretBytes, 'HS256', publisherClaims)}`,
            'content-type': 'application/json',
          },
          body: '{"topic":"a","data":"x"}',
        }),
      );
      assert.equal(answer.status, 503);
      assert.equal(await answer.text(), "this hub's publisher key could not be loaded (see the hub's log)\n");
    } finally {
      await hub.close();
    }
  });
});

/** A hub whose publisher key file does not exist; what it logs at error goes to `errors`. */
function unreadableKeyHub(errors: string[]) {
  return createHub({
    monitor: false,
    jwtKey: SECRET,
    publisherKey: { publicKeyFile: '/nonexistent/herald.pem' },
    logger: { error: (_o, message) => errors.push(message), debug: () => {} },
  });
}
