// Subscriber credentials over HTTP: the auth cookie, tickets (POST /tickets, single use, bounded),
// the precedence between credentials, and access_token switched off.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findCredential } from '../../src/http/credentials.js';
import type { HttpRequest } from '../../src/http/exchange.js';
import { OPERATIONS } from '../../src/hub/operations.js';
import { eventsUrl, httpRequest, StreamReader, startHub, type TestHub, token } from '../support/hub.js';

function fakeRequest(path: string, headers: Record<string, string> = {}): HttpRequest {
  return {
    method: 'GET',
    url: new URL(path, 'http://hub.test'),
    header: (name) => headers[name] ?? null,
    client: '127.0.0.1',
    body: () => Promise.resolve(Buffer.alloc(0)),
  };
}

describe('credential extraction', () => {
  const subscribe = OPERATIONS.subscribe.sources;
  const credential = (request: HttpRequest, cookie = 'herald_auth') =>
    findCredential(request, subscribe, cookie);
  it('takes the header, then a ticket, then the cookie, then access_token; the first present wins', () => {
    const all = fakeRequest('/events?topic=a&ticket=T&access_token=Q', {
      authorization: 'Bearer H',
      cookie: 'x=1; herald_auth=C',
    });
    assert.deepEqual(credential(all), { token: 'H', source: 'bearer' });
    const noHeader = fakeRequest('/events?topic=a&ticket=T&access_token=Q', { cookie: 'herald_auth=C' });
    assert.deepEqual(credential(noHeader), { token: 'T', source: 'ticket' });
    const cookieAndQuery = fakeRequest('/events?topic=a&access_token=Q', { cookie: 'herald_auth=C' });
    assert.deepEqual(credential(cookieAndQuery), { token: 'C', source: 'ambient' });
    assert.deepEqual(credential(fakeRequest('/events?access_token=Q')), { token: 'Q', source: 'url' });
    assert.equal(credential(fakeRequest('/events?ticket=&access_token=')), undefined);
    assert.equal(
      credential(fakeRequest('/events', { cookie: 'herald_auth=; other=x' })),
      undefined,
      'an empty cookie is no credential',
    );
    assert.deepEqual(
      credential(fakeRequest('/events', { cookie: 'sid=C' }), 'sid'),
      { token: 'C', source: 'ambient' },
      'the cookie name is configurable',
    );
  });

  it('a ticket is bought with the header or the cookie only, never a token in the URL', () => {
    const ticket = OPERATIONS['buy-ticket'].sources;
    assert.deepEqual(
      findCredential(fakeRequest('/tickets', { cookie: 'herald_auth=C' }), ticket, 'herald_auth'),
      {
        token: 'C',
        source: 'ambient',
      },
    );
    assert.equal(
      findCredential(fakeRequest('/tickets?access_token=Q&ticket=T'), ticket, 'herald_auth'),
      undefined,
    );
  });
});

describe('the auth cookie', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({ monitor: false });
  });
  after(() => hub.close());

  it('admits private events on /events, live and by long-poll', async () => {
    const jwt = await token({ subscribe: ['users/1/**'] });
    const reader = await StreamReader.open(eventsUrl(hub, ['users/1/inbox']), {
      cookie: `session=abc; herald_auth=${jwt}`,
    });
    assert.equal(reader.status, 200);
    await reader.ready();
    const poll = StreamReader.open(eventsUrl(hub, ['users/1/inbox'], { transport: 'poll' }), {
      cookie: `herald_auth=${jwt}`,
    });
    await (await poll).ready();
    const id = await hub.publish('users/1/inbox', 'mail for 1', { private: true });
    const [event] = await reader.take(1);
    assert.deepEqual([event!.data, event!.lastEventId], ['mail for 1', id]);
    const polled = await poll;
    await polled.ended;
    assert.deepEqual(
      polled.events.map((e) => e.data),
      ['mail for 1'],
    );
    reader.close();
  });

  it('is ignored by POST /publish: a publisher must send its token in the header', async () => {
    const answer = await httpRequest(`${hub.url}/publish`, {
      method: 'POST',
      headers: { cookie: `herald_auth=${hub.token}`, 'content-type': 'application/json' },
      body: '{"topic":"a","data":"x"}',
    });
    assert.equal(answer.status, 401);
    assert.match(answer.body, /missing publisher token/);
  });

  it('a wrong or expired cookie gets 401 with the reason', async () => {
    const answer = await httpRequest(eventsUrl(hub, ['users/1/inbox']), {
      headers: { accept: 'text/event-stream', cookie: 'herald_auth=not.a.jwt' },
    });
    assert.equal(answer.status, 401);
    assert.match(answer.body, /^the token is not a well-formed JWT/);
  });

  it('a header wins over the cookie, even when it is the one that fails', async () => {
    const good = await token({ subscribe: ['users/1/**'] });
    const answer = await httpRequest(eventsUrl(hub, ['users/1/inbox']), {
      headers: {
        accept: 'text/event-stream',
        cookie: `herald_auth=${good}`,
        authorization: 'Bearer not.a.jwt',
      },
    });
    assert.equal(answer.status, 401, 'the header was judged, not the cookie');
  });

  it('with authCookie, another name is read and herald_auth is not', async () => {
    const named = await startHub({ monitor: false, authCookie: 'app_hub' });
    try {
      const jwt = await token({ subscribe: ['users/2/**'] });
      const reader = await StreamReader.open(eventsUrl(named, ['users/2/inbox']), {
        cookie: `app_hub=${jwt}`,
      });
      const anonymous = await StreamReader.open(eventsUrl(named, ['users/2/inbox']), {
        cookie: `herald_auth=${jwt}`,
      });
      await reader.ready();
      await anonymous.ready();
      await named.publish('users/2/inbox', 'private', { private: true });
      await named.publish('users/2/inbox', 'public');
      await reader.take(2);
      await anonymous.take(1);
      assert.deepEqual(
        anonymous.events.map((e) => e.data),
        ['public'],
      );
      reader.close();
      anonymous.close();
    } finally {
      await named.close();
    }
  });
});

describe('tickets', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({ monitor: false });
  });
  after(() => hub.close());

  const buy = (headers: Record<string, string>, path = '/tickets') =>
    httpRequest(`${hub.url}${path}`, { method: 'POST', headers });

  it('POST /tickets with a token in the header answers {ticket, expiresIn}, not to be cached', async () => {
    const jwt = await token({ subscribe: ['users/3/**'] });
    const answer = await buy({ authorization: `Bearer ${jwt}` });
    assert.equal(answer.status, 200, answer.body);
    assert.match(answer.headers['content-type'] ?? '', /^application\/json/);
    assert.equal(answer.headers['cache-control'], 'no-store');
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['expiresIn', 'ticket']);
    assert.equal(body.expiresIn, 30);
    assert.match(String(body.ticket), /^[A-Za-z0-9_-]{32}$/);
  });

  it("a ticket opens one stream with the token's claims, once; the second use gets 401", async () => {
    const jwt = await token({ subscribe: ['users/3/**'] });
    const { ticket } = JSON.parse((await buy({ cookie: `herald_auth=${jwt}` })).body) as { ticket: string };
    const url = eventsUrl(hub, ['users/3/inbox'], { ticket });
    const reader = await StreamReader.open(url);
    assert.equal(reader.status, 200);
    await reader.ready();
    await hub.publish('users/3/inbox', 'via ticket', { private: true });
    assert.equal((await reader.take(1))[0]!.data, 'via ticket');
    reader.close();
    const again = await httpRequest(url, { headers: { accept: 'text/event-stream' } });
    assert.equal(again.status, 401);
    assert.match(again.body, /^the ticket has already been used: get a new one for each connection/);
    const unknown = await httpRequest(eventsUrl(hub, ['users/3/inbox'], { ticket: 'A'.repeat(32) }), {
      headers: { accept: 'text/event-stream' },
    });
    assert.equal(unknown.status, 401);
    assert.match(unknown.body, /unknown or has expired/);
  });

  it('a stream opened with a ticket ends with herald-reauth when the token behind it expires', async () => {
    const jwt = await token({ subscribe: ['users/4/**'], ttlSeconds: 3 });
    const issued = JSON.parse((await buy({ authorization: `Bearer ${jwt}` })).body) as {
      ticket: string;
      expiresIn: number;
    };
    assert.ok(issued.expiresIn <= 3, `a ticket never outlives its token (${issued.expiresIn} s)`);
    const reader = await StreamReader.open(eventsUrl(hub, ['users/4/inbox'], { ticket: issued.ticket }));
    assert.equal(reader.status, 200);
    await reader.until(() => reader.events.some((e) => e.type === 'herald-reauth'), 'herald-reauth', 6000);
    await Promise.race([
      reader.ended,
      new Promise((_, reject) => setTimeout(() => reject(new Error('the stream did not end')), 3000)),
    ]);
  });

  it('refusals: no token, a token in the URL, a bad token, and GET', async () => {
    const none = await buy({});
    assert.equal(none.status, 401);
    assert.match(none.body, /missing subscriber token: one is needed to get tickets/);
    const jwt = await token({ subscribe: ['users/5/**'] });
    const inUrl = await buy({}, `/tickets?access_token=${jwt}`);
    assert.equal(inUrl.status, 401, 'a token in the URL buys nothing');
    const bad = await buy({ authorization: 'Bearer not.a.jwt' });
    assert.equal(bad.status, 401);
    assert.match(bad.body, /not a well-formed JWT/);
    const get = await httpRequest(`${hub.url}/tickets`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
  });

  it('past the per-client budget, 429 with Retry-After; bad tokens count against the failure budget instead', async () => {
    const limited = await startHub({ monitor: false, limits: { maxTicketsPerSecondPerClient: 3 } });
    try {
      const jwt = await token({ subscribe: ['users/5/**'] });
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          httpRequest(`${limited.url}/tickets`, {
            method: 'POST',
            headers: { authorization: i % 3 === 0 ? 'Bearer not.a.jwt' : `Bearer ${jwt}` },
          }),
        ),
      );
      const statuses = answers.map((a) => a.status);
      const good = statuses.filter((_, i) => i % 3 !== 0);
      // Eight at once: a one-second window may turn over among them, so up to twice the budget pass.
      assert.ok(good.filter((s) => s !== 429).length <= 6, `at most 2 x 3 counted: ${statuses}`);
      assert.deepEqual(
        statuses.filter((_, i) => i % 3 === 0),
        [401, 401, 401, 401],
        'a bad token is refused as such, and spends no ticket budget',
      );
      const refused = answers.find((a) => a.status === 429);
      assert.ok(refused, `some were told to slow down: ${statuses}`);
      assert.equal(refused.headers['retry-after'], '1');
      assert.match(refused.body, /at most 3 per second per client \(maxTicketsPerSecondPerClient\)/);
    } finally {
      await limited.close();
    }
  });

  it('a hub without a subscriber key issues none', async () => {
    const keyless = await startHub({
      monitor: false,
      jwtKey: undefined,
      publisherKey: { secret: 'p'.repeat(32) },
    });
    try {
      const answer = await httpRequest(`${keyless.url}/tickets`, {
        method: 'POST',
        headers: { authorization: 'Bearer x.y.z' },
      });
      assert.equal(answer.status, 403);
      assert.match(answer.body, /no one may get tickets: this hub has no subscriber key/);
    } finally {
      await keyless.close();
    }
  });
});

describe('queryToken: false', () => {
  it('refuses access_token with a reason saying so; the cookie, the header and tickets still work', async () => {
    const hub = await startHub({ monitor: false, queryToken: false });
    try {
      const jwt = await token({ subscribe: ['users/6/**'] });
      const answer = await httpRequest(eventsUrl(hub, ['users/6/inbox'], { access_token: jwt }), {
        headers: { accept: 'text/event-stream' },
      });
      assert.equal(answer.status, 401);
      assert.equal(
        answer.body,
        'this hub takes no token in the URL (access_token is switched off): send it in a cookie or an Authorization header, or get a ticket from POST /tickets\n',
      );
      const ways: Record<string, string>[] = [
        { cookie: `herald_auth=${jwt}` },
        { authorization: `Bearer ${jwt}` },
      ];
      for (const headers of ways) {
        const reader = await StreamReader.open(eventsUrl(hub, ['users/6/inbox']), headers);
        assert.equal(reader.status, 200);
        reader.close();
      }
      const { ticket } = JSON.parse(
        (
          await httpRequest(`${hub.url}/tickets`, {
            method: 'POST',
            headers: { authorization: `Bearer ${jwt}` },
          })
        ).body,
      ) as { ticket: string };
      const reader = await StreamReader.open(eventsUrl(hub, ['users/6/inbox'], { ticket }));
      assert.equal(reader.status, 200);
      reader.close();
    } finally {
      await hub.close();
    }
  });
});
