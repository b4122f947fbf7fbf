// Every endpoint the router serves, against every policy setting: an endpoint that skips a step of
// the pipeline (origin, credential sources, cookie name, URL tokens, verification, failure budget,
// claims, revocation) fails here, and an endpoint missing from the table fails too.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { HeraldHub } from '../../src/create-hub.js';
import type { Endpoint } from '../../src/http/pipeline.js';
import { ENDPOINTS } from '../../src/http/router.js';
import { startHub, type TestHub, token } from '../support/hub.js';

const APP = 'https://app.example';
const COOKIE = 'sid';
const FAILURES = 5;

interface Row {
  /** The hub operation the endpoint must run. */
  operation: string;
  method: 'GET' | 'POST';
  /** Path and query of a well-formed request. */
  target: string;
  body?: () => unknown;
  /** Status for a caller with no credential. */
  anonymous: number;
  /** Status for a valid token without any herald claim. */
  noClaims: number;
  /** Credential sources it takes besides the bearer header. */
  cookie: boolean;
  url: boolean;
  ticket: boolean;
}

/** Every endpoint with an operation. The rest must be public, read-only files or the two below. */
const TABLE: Record<string, Row> = {
  '/events': {
    operation: 'subscribe',
    method: 'GET',
    target: '/events?topic=t/1',
    anonymous: 200,
    noClaims: 200,
    cookie: true,
    url: true,
    ticket: true,
  },
  '/stats': {
    operation: 'subscribe',
    method: 'GET',
    target: '/stats',
    anonymous: 401,
    noClaims: 403,
    cookie: true,
    url: true,
    ticket: true,
  },
  '/tickets': {
    operation: 'buy-ticket',
    method: 'POST',
    target: '/tickets',
    anonymous: 401,
    noClaims: 200,
    cookie: true,
    url: false,
    ticket: false,
  },
  '/subscriptions': {
    operation: 'count-subscriptions',
    method: 'GET',
    target: '/subscriptions?topic=t/1',
    anonymous: 200,
    noClaims: 200,
    cookie: true,
    url: true,
    ticket: false,
  },
  '/history': {
    operation: 'read-history',
    method: 'GET',
    target: '/history?topic=t/1',
    anonymous: 200,
    noClaims: 200,
    cookie: true,
    url: true,
    ticket: false,
  },
  '/monitor/history.json': {
    operation: 'view-monitor',
    method: 'GET',
    target: '/monitor/history.json',
    anonymous: 401,
    noClaims: 403,
    cookie: true,
    url: true,
    ticket: false,
  },
  '/publish': {
    operation: 'publish',
    method: 'POST',
    target: '/publish',
    body: () => ({ topic: 't/1', data: 'x' }),
    anonymous: 401,
    noClaims: 403,
    cookie: false,
    url: false,
    ticket: false,
  },
  '/revocations': {
    operation: 'revoke',
    method: 'POST',
    target: '/revocations',
    body: () => ({ subject: 'nobody' }),
    anonymous: 401,
    noClaims: 403,
    cookie: false,
    url: false,
    ticket: false,
  },
};
const PUBLIC = new Set(['/healthz', '/metrics']);

interface Answer {
  status: number;
  body: string;
}

let nextClient = 1;
/** A client address of its own (through the trusted loopback proxy), so budgets never mix. */
function freshClient(): string {
  return `198.51.100.${nextClient++}`;
}

/** One request; a stream is read for its first bytes only, then dropped. */
function ask(
  hub: TestHub,
  row: Row,
  options: { headers?: Record<string, string>; query?: string; client?: string } = {},
): Promise<Answer> {
  const target =
    options.query === undefined
      ? row.target
      : `${row.target}${row.target.includes('?') ? '&' : '?'}${options.query}`;
  const body = row.body === undefined ? undefined : JSON.stringify(row.body());
  const headers: Record<string, string> = {
    accept: 'text/event-stream',
    'x-forwarded-for': options.client ?? freshClient(),
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const req = request(`${hub.url}${target}`, { method: row.method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      const done = () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: text });
      };
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', done);
      res.on('error', () => {});
      if ((res.headers['content-type'] ?? '').startsWith('text/event-stream')) setTimeout(done, 100);
    });
    req.on('error', (error) => {
      if (!req.destroyed) reject(error);
    });
    req.end(body);
  });
}

const ok = (status: number) => status >= 200 && status < 300;

describe('every endpoint follows every policy', () => {
  let hub: TestHub;
  /** Publishes, subscribes to everything, sees the monitor. */
  let full: string;
  let noClaims: string;
  let expired: string;
  const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });

  before(async () => {
    hub = await startHub({
      corsOrigins: [APP],
      authCookie: COOKIE,
      queryToken: false,
      trustProxy: 'loopback',
      monitor: { auth: true },
      limits: { maxAuthFailuresPerSecondPerClient: FAILURES },
    });
    full = await token({ publish: ['**'], subscribe: ['**', '$SYS/**'] });
    noClaims = await token({});
    expired = await token({ publish: ['**'], subscribe: ['**', '$SYS/**'], ttlSeconds: -10 });
  });
  after(() => hub.close());

  it('the table names every endpoint the router serves, with its operation', () => {
    const endpoints = (hub.hub as HeraldHub & { [ENDPOINTS]: ReadonlyMap<string, Endpoint> })[ENDPOINTS];
    for (const [path, endpoint] of endpoints) {
      const row = TABLE[path];
      if (row !== undefined) {
        assert.equal(endpoint.operation?.name, row.operation, `${path} runs ${row.operation}`);
        assert.deepEqual(
          endpoint.methods.filter((m) => m !== 'HEAD'),
          [row.method],
          `${path} takes ${row.method}`,
        );
      } else {
        assert.equal(
          endpoint.operation,
          undefined,
          `${path} runs an operation but is missing from the table`,
        );
        assert.ok(
          PUBLIC.has(path) || /^\/$|\.(js|css|html|png|svg|map)$/.test(path),
          `${path} is neither in the table nor a public file`,
        );
        for (const method of endpoint.methods)
          assert.ok(method === 'GET' || method === 'HEAD', `${path}: ${method}`);
      }
    }
    for (const path of Object.keys(TABLE)) assert.ok(endpoints.has(path), `${path} is served`);
  });

  for (const [path, row] of Object.entries(TABLE)) {
    describe(path, () => {
      it('a valid bearer token from a listed origin passes; no credential gets the anonymous answer', async () => {
        const good = await ask(hub, row, { headers: { ...bearer(full), origin: APP } });
        assert.ok(ok(good.status), `${good.status} ${good.body}`);
        assert.equal((await ask(hub, row)).status, row.anonymous);
      });

      it('a page on an unlisted origin is refused, without the allowlist', async () => {
        const answer = await ask(hub, row, { headers: { ...bearer(full), origin: 'https://evil.example' } });
        assert.equal(answer.status, 403, answer.body);
        assert.doesNotMatch(answer.body, /app\.example/);
      });

      it(`reads the configured cookie (${COOKIE}) ${row.cookie ? 'and' : 'never, and'} not the default one`, async () => {
        const bad = await ask(hub, row, { headers: { cookie: `${COOKIE}=not.a.jwt` } });
        assert.equal(bad.status, row.cookie ? 401 : row.anonymous, bad.body);
        const good = await ask(hub, row, { headers: { cookie: `${COOKIE}=${full}` } });
        assert.equal(ok(good.status), row.cookie || ok(row.anonymous), `${good.status} ${good.body}`);
        const other = await ask(hub, row, { headers: { cookie: `herald_auth=not.a.jwt` } });
        assert.equal(other.status, row.anonymous, 'the default cookie name is not read');
      });

      it('takes no token in the URL when query tokens are off', async () => {
        const answer = await ask(hub, row, { query: `access_token=${full}` });
        assert.equal(answer.status, row.url ? 401 : row.anonymous, answer.body);
        if (row.url) assert.match(answer.body, /no token in the URL/);
      });

      it(
        row.ticket ? 'spends a ticket' : 'leaves a ticket unspent for the stream it was bought for',
        async () => {
          const bought = await ask(hub, TABLE['/tickets']!, { headers: bearer(full) });
          const { ticket } = JSON.parse(bought.body) as { ticket: string };
          const answer = await ask(hub, row, { query: `ticket=${ticket}` });
          if (row.ticket) assert.ok(ok(answer.status), `${answer.status} ${answer.body}`);
          else assert.equal(answer.status, row.anonymous, answer.body);
          const stream = await ask(hub, TABLE['/events']!, { query: `ticket=${ticket}` });
          assert.equal(
            stream.status,
            row.ticket ? 401 : 200,
            `the ticket ${row.ticket ? 'is used up' : 'still works'}`,
          );
        },
      );

      it('refuses an expired token', async () => {
        const answer = await ask(hub, row, { headers: bearer(expired) });
        assert.equal(answer.status, 401, answer.body);
      });

      it('past the failure budget, a client with bad tokens is told to slow down', async () => {
        const client = freshClient();
        const statuses: number[] = [];
        for (let i = 0; i < FAILURES * 2; i++)
          statuses.push((await ask(hub, row, { headers: bearer('not.a.jwt'), client })).status);
        assert.ok(
          statuses.every((s) => s === 401 || s === 429),
          `${statuses}`,
        );
        assert.ok(statuses.includes(429), `${statuses}`);
      });

      it('a token whose claims do not cover the operation gets what an unprivileged caller may', async () => {
        const answer = await ask(hub, row, { headers: bearer(noClaims) });
        assert.equal(answer.status, row.noClaims, answer.body);
      });

      it("refuses a revoked subject's older token", async () => {
        const subject = `user-${path}`;
        const jwt = await mintFor(subject);
        assert.ok(ok((await ask(hub, row, { headers: bearer(jwt) })).status));
        const revoked = await hub.hub.revoke({ subject });
        assert.equal(typeof revoked.ended, 'number');
        const answer = await ask(hub, row, { headers: bearer(jwt) });
        assert.equal(answer.status, 401, answer.body);
        assert.match(answer.body, /revoked/);
      });
    });
  }
});

function mintFor(subject: string): Promise<string> {
  return token({ publish: ['**'], subscribe: ['**', '$SYS/**'], subject });
}
