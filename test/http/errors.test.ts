import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { eventsUrl, httpRequest, StreamReader, startHub, type TestHub, token } from '../support/hub.js';

describe('bad input gets the right status and a one-line reason', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({
      limits: {
        maxTopicsPerSubscription: 3,
        maxTopicsPerEvent: 2,
        maxEventBytes: 100,
        maxPublishBodyBytes: 1000,
      },
    });
  });
  after(() => hub.close());

  function oneLine(body: string): void {
    assert.match(body, /^[^\n]+\n$/, `one line: ${JSON.stringify(body)}`);
  }

  const subscribeCases: Array<[string, string, number, RegExp]> = [
    ['no topic', '/events', 400, /at least one topic/],
    ['too many topics', '/events?topic=a&topic=b&topic=c&topic=d', 400, /at most 3 topics/],
    ['an empty segment', '/events?topic=a//b', 400, /empty segment/],
    ['"**" not last', '/events?topic=a/**/b', 400, /only be the last/],
    ['a partial wildcard', '/events?topic=a/b*', 400, /whole segment/],
    ['an over-long topic', `/events?topic=${'x'.repeat(300)}`, 400, /longer than 256/],
  ];
  for (const [name, path, status, reason] of subscribeCases) {
    it(`refuses a subscription with ${name}`, async () => {
      const answer = await httpRequest(hub.url + path, { headers: { accept: 'text/event-stream' } });
      assert.equal(answer.status, status);
      assert.match(answer.body, reason);
      oneLine(answer.body);
    });
  }

  it('refuses a subscriber token that does not verify', async () => {
    const answer = await httpRequest(eventsUrl(hub, ['a']), { headers: { authorization: 'Bearer nope' } });
    assert.equal(answer.status, 401);
    oneLine(answer.body);
  });

  it('redirects a browser navigating to /events to the monitor', async () => {
    const answer = await httpRequest(eventsUrl(hub, ['a']), {
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
    });
    assert.equal(answer.status, 302);
    // Relative, so that a hub mounted under a prefix sends the tab to its own monitor.
    assert.equal(answer.headers.location, './');
  });

  const publishCases: Array<[string, Record<string, unknown> | string, number, RegExp]> = [
    ['no topic', { data: 'x' }, 400, /topic must be/],
    ['an empty topic list', { topic: [], data: 'x' }, 400, /at least one topic/],
    ['too many topics', { topic: ['a', 'b', 'c'], data: 'x' }, 400, /at most 2 topics/],
    ['a wildcard topic', { topic: 'a/*', data: 'x' }, 400, /may not contain "\*"/],
    ['data over maxEventBytes', { topic: 'a', data: 'é'.repeat(51) }, 413, /102 bytes; the limit is 100/],
    ['a reserved type', { topic: 'a', data: 'x', type: 'herald-gap' }, 400, /reserved/],
    ['a negative retry', { topic: 'a', data: 'x', retry: -1 }, 400, /retry must be/],
    ['a fractional retry', { topic: 'a', data: 'x', retry: 1.5 }, 400, /retry must be/],
    ['a non-boolean private', { topic: 'a', data: 'x', private: 'maybe' }, 400, /private must be/],
    ['a JSON array body', '[1]', 400, /must be an object/],
    ['a form retry that is not a number', 'topic=a&data=x&retry=soon', 400, /retry must be/],
  ];
  for (const [name, body, status, reason] of publishCases) {
    it(`refuses a publish with ${name}`, async () => {
      const answer = await hub.post(body, body === '[1]' ? { 'content-type': 'application/json' } : {});
      assert.equal(answer.status, status, answer.body);
      assert.match(answer.body, reason);
      oneLine(answer.body);
    });
  }

  it('refuses malformed JSON, a wrong content type and an over-long body', async () => {
    let answer = await hub.post('{"topic": ', { 'content-type': 'application/json' });
    assert.equal(answer.status, 400);
    assert.match(answer.body, /not valid JSON/);
    answer = await hub.post('topic=a', { 'content-type': 'text/plain' });
    assert.equal(answer.status, 415);
    assert.match(answer.body, /application\/x-www-form-urlencoded or application\/json/);
    answer = await hub.post(`topic=a&data=${'x'.repeat(2000)}`);
    assert.equal(answer.status, 413);
    oneLine(answer.body);
  });

  it('says a JSON body needs its Content-Type: sent as a form (curl -d), as text/plain, or with none', async () => {
    const json = JSON.stringify({ topic: 'a', data: 'x' });
    let answer = await hub.post(json, { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(answer.status, 400);
    assert.match(answer.body, /looks like JSON: send Content-Type: application\/json/);
    assert.doesNotMatch(answer.body, /at least one topic/);
    oneLine(answer.body);
    answer = await hub.post(json, { 'content-type': 'text/plain;charset=UTF-8' });
    assert.equal(answer.status, 415);
    assert.match(
      answer.body,
      /^unsupported Content-Type "text\/plain"; the body looks like JSON: send Content-Type: application\/json\n$/,
    );
    answer = await httpRequest(`${hub.url}/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hub.token}` },
      body: `  ${json}`,
    });
    assert.equal(answer.status, 415);
    assert.match(
      answer.body,
      /^no Content-Type; the body looks like JSON: send Content-Type: application\/json\n$/,
    );
    // A form without a topic is still told so.
    answer = await hub.post('data=x');
    assert.equal(answer.status, 400);
    assert.match(answer.body, /at least one topic/);
  });

  it('refuses a body that is longer than it said, without reading it all', async () => {
    const answer = await httpRequest(`${hub.url}/publish`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${hub.token}`,
        'content-type': 'application/x-www-form-urlencoded',
        'transfer-encoding': 'chunked',
      },
      body: `topic=a&data=${'y'.repeat(5000)}`,
    });
    assert.equal(answer.status, 413);
  });

  describe('publisher authorization', () => {
    const form = 'topic=news/a&data=x';
    const headers = (authorization?: string) => ({
      'content-type': 'application/x-www-form-urlencoded',
      ...(authorization === undefined ? {} : { authorization }),
    });
    const post = (authorization?: string) =>
      httpRequest(`${hub.url}/publish`, { method: 'POST', headers: headers(authorization), body: form });

    it('401 without a token, saying how to get one', async () => {
      const answer = await post();
      assert.equal(answer.status, 401);
      assert.equal(answer.headers['www-authenticate'], 'Bearer');
      assert.match(answer.body, /herald token/);
    });

    it('401 for a malformed header, a garbage token, a wrong key, an expired token, another algorithm', async () => {
      const wrongKey = await new SignJWT({ herald: { publish: ['**'] } })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode('another-key-another-key-another-key!'));
      const expired = await new SignJWT({ herald: { publish: ['**'] } })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
        .sign(new TextEncoder().encode('herald-test-key-0123456789abcdefghijklmnopqrstuvwxyz'));
      const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"herald":{"publish":["**"]}}').toString('base64url')}.`;
      const cases: Array<[string, RegExp]> = [
        ['Basic abc', /malformed Authorization/],
        ['Bearer not.a.jwt', /^the token is not a well-formed JWT/],
        [`Bearer ${wrongKey}`, /^the token's signature does not match this hub's key$/m],
        [`Bearer ${expired}`, /^the token has expired \(at /],
        [`Bearer ${unsigned}`, /^the token is unsigned \(algorithm none\); this hub's key takes HS256$/m],
      ];
      for (const [authorization, reason] of cases) {
        const answer = await post(authorization);
        assert.equal(answer.status, 401, authorization);
        assert.match(answer.body, reason);
      }
    });

    it('403 when the publish claim does not cover every topic', async () => {
      const narrow = await token({ publish: ['news/b', 'sports/**'] });
      const answer = await post(`Bearer ${narrow}`);
      assert.equal(answer.status, 403);
      assert.match(answer.body, /may not publish to "news\/a"/);
      const subscriberOnly = await token({ subscribe: ['**'] });
      assert.equal((await post(`Bearer ${subscriberOnly}`)).status, 403);
      const covering = await token({ publish: ['news/*'] });
      assert.equal((await post(`Bearer ${covering}`)).status, 200);
    });
  });

  it('answers unknown paths with 404 and wrong methods with 405 and Allow', async () => {
    let answer = await httpRequest(`${hub.url}/nope`);
    assert.equal(answer.status, 404);
    oneLine(answer.body);
    answer = await httpRequest(`${hub.url}/publish`);
    assert.equal(answer.status, 405);
    assert.equal(answer.headers.allow, 'POST');
    answer = await httpRequest(`${hub.url}/events?topic=a`, { method: 'DELETE' });
    assert.equal(answer.status, 405);
  });

  it('serves /healthz as JSON and /metrics in Prometheus text format', async () => {
    const health = await httpRequest(`${hub.url}/healthz`);
    assert.equal(health.status, 200);
    const status = JSON.parse(health.body);
    assert.equal(status.status, 'ok');
    assert.equal(typeof status.connections, 'number');
    const reader = await StreamReader.open(eventsUrl(hub, ['metrics']));
    await reader.ready();
    await hub.publish('metrics', 'x');
    await reader.take(1);
    const metrics = await httpRequest(`${hub.url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers['content-type'] ?? '', /text\/plain/);
    assert.match(metrics.body, /^herald_connections 1$/m);
    assert.match(metrics.body, /^herald_events_delivered_total [1-9]\d*$/m);
    reader.close();
  });
});

describe('CORS', () => {
  it('is closed by default and opens to listed origins only', async () => {
    const closed = await startHub();
    const open = await startHub({ corsOrigins: ['https://app.example'] });
    try {
      const preflight = (hub: TestHub, origin: string) =>
        httpRequest(`${hub.url}/publish`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST' },
        });
      assert.equal((await preflight(closed, 'https://app.example')).status, 403);
      assert.equal((await preflight(open, 'https://evil.example')).status, 403);
      const allowed = await preflight(open, 'https://app.example');
      assert.equal(allowed.status, 204);
      assert.equal(allowed.headers['access-control-allow-origin'], 'https://app.example');
      assert.match(allowed.headers['access-control-allow-headers'] ?? '', /Authorization/);
      const stream = await StreamReader.open(eventsUrl(open, ['cors']), { origin: 'https://app.example' });
      assert.equal(stream.headers['access-control-allow-origin'], 'https://app.example');
      assert.equal(stream.headers['access-control-allow-credentials'], 'true');
      stream.close();
      const other = await httpRequest(eventsUrl(open, ['cors']), {
        headers: { accept: 'text/event-stream', origin: 'https://evil.example' },
      });
      assert.equal(other.status, 403, 'no stream for a page the browser would not let read it');
      assert.equal(other.headers['access-control-allow-origin'], undefined);
      assert.match(other.body, /^a page on "https:\/\/evil\.example" may not subscribe here/);
    } finally {
      await closed.close();
      await open.close();
    }
  });
});
