// CORS over HTTP: listed origins answered by name with credentials and Vary, `*` without
// credentials, 403 instead of a stream for other origins (the hub's own pages excepted), preflights
// with the polyfill headers and configured extras, and origin lists that cannot work.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHub } from '../../src/create-hub.js';
import { CORS_ALLOWED_HEADERS, CorsConfigError, CorsPolicy } from '../../src/http/cors.js';
import { eventsUrl, httpRequest, StreamReader, startHub, type TestHub, token } from '../support/hub.js';

const APP = 'http://app.example:3000';

/** A refusal tells a stranger that their origin is not allowed, never which ones are. */
function assertListsNoOrigin(reason: string): void {
  for (const listed of ['app.example:3000', 'other.example']) assert.ok(!reason.includes(listed), reason);
}

describe('CORS with listed origins', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({
      monitor: false,
      corsOrigins: [APP, 'https://other.example/'],
      corsHeaders: ['X-App-Version'],
    });
  });
  after(() => hub.close());

  it('answers a listed origin by name, with credentials and Vary: Origin, on streams and on other answers', async () => {
    const jwt = await token({ subscribe: ['users/1/**'] });
    const reader = await StreamReader.open(eventsUrl(hub, ['users/1/inbox']), {
      origin: APP,
      cookie: `herald_auth=${jwt}`,
    });
    assert.equal(reader.status, 200);
    assert.equal(reader.headers['access-control-allow-origin'], APP);
    assert.equal(reader.headers['access-control-allow-credentials'], 'true');
    assert.equal(reader.headers.vary, 'Origin');
    await reader.ready();
    await hub.publish('users/1/inbox', 'private', { private: true });
    assert.equal((await reader.take(1))[0]!.data, 'private');
    reader.close();
    const health = await httpRequest(`${hub.url}/healthz`, { headers: { origin: 'https://other.example' } });
    assert.equal(
      health.headers['access-control-allow-origin'],
      'https://other.example',
      'a trailing / is forgiven',
    );
    const tickets = await httpRequest(`${hub.url}/tickets`, {
      method: 'POST',
      headers: { origin: APP, authorization: `Bearer ${jwt}` },
    });
    assert.equal(tickets.status, 200);
    assert.equal(tickets.headers['access-control-allow-origin'], APP);
    assert.equal(tickets.headers['access-control-allow-credentials'], 'true');
  });

  it('refuses a subscribe or a ticket from another origin with 403 and a reason, opening no stream', async () => {
    for (const origin of ['https://evil.example', 'http://app.example:3001', 'null']) {
      const answer = await httpRequest(eventsUrl(hub, ['news']), {
        headers: { accept: 'text/event-stream', origin },
      });
      assert.equal(answer.status, 403, origin);
      assert.equal(answer.headers['access-control-allow-origin'], undefined);
      assert.equal(answer.headers.vary, 'Origin');
      assert.equal(
        answer.body,
        `a page on ${JSON.stringify(origin)} may not subscribe here: its origin is not allowed (list origins with --cors-origin / corsOrigins)\n`,
      );
      const ticket = await httpRequest(`${hub.url}/tickets`, {
        method: 'POST',
        headers: { origin, authorization: `Bearer ${hub.token}` },
      });
      assert.equal(ticket.status, 403);
      assert.match(ticket.body, /may not get tickets here/);
      assertListsNoOrigin(answer.body);
      assertListsNoOrigin(ticket.body);
    }
    assert.equal(hub.hub.stats().connections, 0);
    // Other answers are not refused, only not shared with the page: no CORS headers.
    const health = await httpRequest(`${hub.url}/healthz`, { headers: { origin: 'https://evil.example' } });
    assert.equal(health.status, 200);
    assert.equal(health.headers['access-control-allow-origin'], undefined);
    assert.equal(health.headers.vary, 'Origin');
  });

  it("lets the hub's own pages through: an Origin naming the Host, or Sec-Fetch-Site: same-origin", async () => {
    const own = await StreamReader.open(eventsUrl(hub, ['news']), { origin: hub.url });
    assert.equal(own.status, 200);
    own.close();
    const proxied = await StreamReader.open(eventsUrl(hub, ['news']), {
      origin: 'https://hub.example',
      host: 'hub.example',
    });
    assert.equal(proxied.status, 200, 'behind a TLS proxy the scheme differs; host and port are compared');
    proxied.close();
    const fetched = await StreamReader.open(eventsUrl(hub, ['news']), {
      origin: 'https://renamed.example',
      'sec-fetch-site': 'same-origin',
    });
    assert.equal(fetched.status, 200);
    fetched.close();
    const sameSite = await httpRequest(eventsUrl(hub, ['news']), {
      headers: { accept: 'text/event-stream', origin: 'https://a.example', 'sec-fetch-site': 'same-site' },
    });
    assert.equal(sameSite.status, 403, 'same-site is not same-origin');
  });

  it('preflights allow the polyfill headers and the configured extras, for listed origins only', async () => {
    const preflight = (origin: string | undefined) =>
      httpRequest(`${hub.url}/events?topic=a`, {
        method: 'OPTIONS',
        headers: {
          ...(origin === undefined ? {} : { origin }),
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'last-event-id, x-app-version',
        },
      });
    const allowed = await preflight(APP);
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers['access-control-allow-origin'], APP);
    assert.equal(allowed.headers['access-control-allow-credentials'], 'true');
    assert.equal(allowed.headers['access-control-allow-methods'], 'GET, POST, OPTIONS');
    assert.equal(
      allowed.headers['access-control-allow-headers'],
      [...CORS_ALLOWED_HEADERS, 'X-App-Version'].join(', '),
    );
    assert.equal(allowed.headers.vary, 'Origin');
    for (const origin of ['https://evil.example', undefined]) {
      const refused = await preflight(origin);
      assert.equal(refused.status, 403);
      assert.equal(refused.headers['access-control-allow-origin'], undefined);
      assertListsNoOrigin(refused.body);
    }
  });
});

describe('CORS with *', () => {
  it('answers * without credentials, and lets every origin subscribe', async () => {
    const hub = await startHub({ monitor: false, corsOrigins: ['*'] });
    try {
      const reader = await StreamReader.open(eventsUrl(hub, ['news']), { origin: 'https://anyone.example' });
      assert.equal(reader.status, 200);
      assert.equal(reader.headers['access-control-allow-origin'], '*');
      assert.equal(reader.headers['access-control-allow-credentials'], undefined);
      reader.close();
    } finally {
      await hub.close();
    }
  });
});

describe('CORS closed (the default)', () => {
  it('refuses cross-origin subscribes, and lets requests without Origin (curl, servers) through', async () => {
    const hub = await startHub({ monitor: false });
    try {
      const answer = await httpRequest(eventsUrl(hub, ['news']), {
        headers: { accept: 'text/event-stream', origin: 'https://app.example' },
      });
      assert.equal(answer.status, 403);
      assert.match(answer.body, /its origin is not allowed \(list origins with --cors-origin/);
      const reader = await StreamReader.open(eventsUrl(hub, ['news']));
      assert.equal(reader.status, 200);
      assert.equal(reader.headers.vary, undefined);
      reader.close();
    } finally {
      await hub.close();
    }
  });
});

describe('origin lists that cannot work', () => {
  it('are refused in one line', () => {
    for (const bad of ['app.example', 'https://app.example/path', 'https://app.example?x', 'null', '']) {
      assert.throws(() => new CorsPolicy([bad]), CorsConfigError, bad);
    }
    assert.throws(() => new CorsPolicy([], ['X Bad']), /is not a header name/);
    assert.throws(
      () => createHub({ corsOrigins: ['example.com'] }),
      /is not an origin: give scheme, host and port only/,
    );
    assert.doesNotThrow(() => new CorsPolicy(['http://localhost:3000', 'https://app.example/', '*']));
  });
});
