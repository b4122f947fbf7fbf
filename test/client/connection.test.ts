// herald/client against a scripted server on loopback: the WHATWG connection rules, readyState
// transitions, reconnection delays (recorded through injected timers) and Last-Event-ID.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { EventSource, type EventSourceErrorEvent, type EventSourceOptions } from '../../src/client/index.js';
import {
  closedByError,
  instantTimers,
  type Responder,
  record,
  type ScriptedServer,
  sequence,
  settle,
  startServer,
  status,
  stream,
} from './helpers.js';

const T = { timeout: 10_000 };
const sources: EventSource[] = [];
const servers: ScriptedServer[] = [];

after(async () => {
  for (const source of sources) source.close();
  await Promise.all(servers.map((server) => server.close()));
});

async function serve(respond: Responder): Promise<ScriptedServer> {
  const server = await startServer(respond);
  servers.push(server);
  return server;
}

function open(url: string, options: EventSourceOptions = {}): EventSource {
  const source = new EventSource(url, options);
  sources.push(source);
  return source;
}

/** The readyState seen by each open and error event, in order. */
function transitions(entries: { kind: string; readyState: number }[]): string[] {
  return entries.filter((e) => e.kind !== 'event').map((e) => `${e.kind}:${e.readyState}`);
}

describe('herald/client connection rules', () => {
  test(
    'opens on 200 text/event-stream and dispatches events with type, data, origin and lastEventId',
    T,
    async () => {
      const server = await serve(
        sequence((res) =>
          stream(
            res,
            ': a comment\n' +
              'data: first\n\n' +
              'event: tick\ndata: a\ndata: b\nid: 1\n\n' +
              'data: crlf\r\ndata: lines\r\n\r\n' +
              'event: tick\ndata:\n\n' +
              'data: no data lines are skipped\n\nevent: ignored\n\n' +
              'id: 2\n\n' +
              'data:  two spaces\n\n',
            'open',
          ),
        ),
      );
      const source = open(server.url());
      assert.equal(source.readyState, EventSource.CONNECTING);
      const log = record(source, ['message', 'tick', 'ignored']);
      await log.until((e) => e.length === 7, 'the open event and six messages');
      const origin = server.origin;
      assert.deepEqual(log.entries, [
        { kind: 'open', type: 'open', readyState: 1 },
        { kind: 'event', type: 'message', data: 'first', lastEventId: '', origin, readyState: 1 },
        { kind: 'event', type: 'tick', data: 'a\nb', lastEventId: '1', origin, readyState: 1 },
        { kind: 'event', type: 'message', data: 'crlf\nlines', lastEventId: '1', origin, readyState: 1 },
        { kind: 'event', type: 'tick', data: '', lastEventId: '1', origin, readyState: 1 },
        {
          kind: 'event',
          type: 'message',
          data: 'no data lines are skipped',
          lastEventId: '1',
          origin,
          readyState: 1,
        },
        // `id: 2` with no data dispatched nothing, but moved the last event ID.
        { kind: 'event', type: 'message', data: ' two spaces', lastEventId: '2', origin, readyState: 1 },
      ]);
      assert.equal(source.lastEventId, '2');
      const first = server.requests[0]!;
      assert.equal(first.method, 'GET');
      assert.equal(first.url, '/events');
      assert.equal(first.headers.accept, 'text/event-stream');
      assert.match(String(first.headers['cache-control']), /no-cache|no-store/);
      assert.equal(first.headers['last-event-id'], undefined);
      source.close();
      assert.equal(source.readyState, EventSource.CLOSED);
    },
  );

  test(
    'a clean end reconnects after the reconnection time, sending Last-Event-ID (none once reset)',
    T,
    async () => {
      const server = await serve(
        sequence(
          (res) => stream(res, 'retry: 1234\nid: 7\ndata: a\n\n'),
          (res) => stream(res, 'data: b\n\nid: 8\n\n'),
          (res) => stream(res, 'id:\ndata: reset\n\n'),
          (res) => stream(res, 'data: d\n\n'),
        ),
      );
      const timers = instantTimers();
      const source = open(server.url(), timers);
      const log = record(source);
      await log.until(closedByError, 'the 204 after the script');
      assert.deepEqual(transitions(log.entries), [
        'open:1',
        'error:0',
        'open:1',
        'error:0',
        'open:1',
        'error:0',
        'open:1',
        'error:0',
        'error:2',
      ]);
      assert.deepEqual(
        log.entries.filter((e) => e.kind === 'event').map((e) => [e.data, e.lastEventId]),
        [
          ['a', '7'],
          ['b', '7'],
          ['reset', ''],
          ['d', ''],
        ],
      );
      assert.deepEqual(
        server.requests.map((r) => r.headers['last-event-id']),
        [undefined, '7', '8', undefined, undefined],
      );
      // Every reconnect follows a successful open, so each waits exactly the reconnection time.
      assert.deepEqual(timers.delays, [1234, 1234, 1234, 1234]);
      assert.equal(source.readyState, EventSource.CLOSED);
    },
  );

  test(
    'a stream dropped mid-event drops the unfinished event and reconnects from the last whole one',
    T,
    async () => {
      const server = await serve(
        sequence(
          (res) => stream(res, 'id: 1\ndata: whole\n\nid: 2\ndata: part', 'drop'),
          (res) => stream(res, 'data: again\n\n', 'drop'),
        ),
      );
      const timers = instantTimers();
      const source = open(server.url(), { ...timers, reconnectDelay: 50 });
      const log = record(source);
      await log.until(closedByError, 'the 204 after the script');
      assert.deepEqual(
        log.entries.map((e) =>
          e.kind === 'event' ? `${e.data}@${e.lastEventId}` : `${e.kind}:${e.readyState}`,
        ),
        ['open:1', 'whole@1', 'error:0', 'open:1', 'again@1', 'error:0', 'error:2'],
      );
      // `id: 2` never reached its blank line, so it never became the last event ID.
      assert.deepEqual(
        server.requests.map((r) => r.headers['last-event-id']),
        [undefined, '1', '1'],
      );
      assert.deepEqual(timers.delays, [50, 50]);
    },
  );

  for (const [name, respond, expectedStatus] of [
    ['204 No Content', (res) => status(res, 204), 204],
    ['404 Not Found', (res) => status(res, 404), 404],
    ['401 Unauthorized', (res) => status(res, 401), 401],
    ['a text/plain 200', (res) => stream(res, 'data: x\n\n', 'end', 'text/plain'), 200],
    ['a 200 with text/event-streams', (res) => stream(res, 'data: x\n\n', 'end', 'text/event-streams'), 200],
  ] as [string, Responder, number][]) {
    test(`${name} fails the connection: CLOSED, one error, no reconnect`, T, async () => {
      const server = await serve(respond);
      const timers = instantTimers();
      const source = open(server.url(), timers);
      const log = record(source);
      const errors: EventSourceErrorEvent[] = [];
      source.onerror = (event) => errors.push(event);
      await log.until(closedByError, 'the failure');
      await settle();
      assert.deepEqual(transitions(log.entries), ['error:2']);
      assert.equal(log.entries.length, 1, 'no event from a failed connection');
      assert.equal(errors[0]?.status, expectedStatus);
      assert.equal(errors[0]?.reconnectDelay, undefined);
      assert.equal(server.requests.length, 1);
      assert.deepEqual(timers.delays, []);
    });
  }

  test(
    "a refusal's error event carries the server's one-line reason, read from its text/plain body",
    T,
    async () => {
      const server = await serve(
        sequence(
          (res) => {
            res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '0' });
            // A body that never ends: the reason is what arrived within the bound.
            res.write('at the connection limit (maxConnections)\nsecond line\n');
          },
          (res) => {
            res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8' });
            res.end(`invalid token ${'x'.repeat(3000)}\n`);
          },
        ),
      );
      const timers = instantTimers();
      const source = open(server.url(), { ...timers, jitter: 0, reconnectDelay: 1 });
      const errors: EventSourceErrorEvent[] = [];
      source.onerror = (event) => errors.push(event);
      const log = record(source);
      const started = Date.now();
      await log.until(closedByError, 'the 401');
      assert.ok(Date.now() - started < 5000, 'a body that never ends does not hold the error back for long');
      assert.equal(errors[0]?.status, 503);
      assert.equal(errors[0]?.reason, 'at the connection limit (maxConnections)');
      assert.equal(errors[0]?.message, 'HTTP 503: at the connection limit (maxConnections)');
      assert.notEqual(errors[0]?.reconnectDelay, undefined, 'a 5xx still reconnects');
      assert.equal(errors[1]?.status, 401);
      assert.match(errors[1]?.reason ?? '', /^invalid token x+…$/);
      assert.ok((errors[1]?.reason ?? '').length <= 401, 'bounded');
      assert.equal(errors[1]?.reconnectDelay, undefined);
    },
  );

  test('an error page that is not text/plain is not read: the message is the status alone', T, async () => {
    const server = await serve((res) => {
      res.writeHead(404, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><h1>Not here</h1>');
    });
    const source = open(server.url());
    const errors: EventSourceErrorEvent[] = [];
    source.onerror = (event) => errors.push(event);
    await record(source).until(closedByError, 'the 404');
    assert.equal(errors[0]?.message, 'HTTP 404');
    assert.equal(errors[0]?.reason, undefined);
  });

  test('a content type with parameters, in any case, is an event stream', T, async () => {
    const server = await serve(
      sequence((res) => stream(res, 'data: ok\n\n', 'end', 'Text/Event-Stream ; charset=utf-8')),
    );
    const source = open(server.url(), instantTimers());
    const log = record(source);
    await log.until(closedByError, 'the 204 after the stream');
    assert.deepEqual(
      log.entries.map((e) => e.data ?? e.kind),
      ['open', 'ok', 'error', 'error'],
    );
  });

  test(
    '5xx: reconnects with backoff by default, honouring Retry-After; fails when told not to',
    T,
    async () => {
      const server = await serve(
        sequence(
          (res) => status(res, 503, { 'Retry-After': '7' }),
          (res) => status(res, 500),
          (res) => stream(res, 'data: up\n\n'),
        ),
      );
      const timers = instantTimers();
      const source = open(server.url(), { ...timers, reconnectDelay: 100, jitter: 0 });
      const log = record(source);
      const statuses: (number | undefined)[] = [];
      source.addEventListener('error', (event) => statuses.push(event.status));
      await log.until(closedByError, 'the 204 after the script');
      assert.deepEqual(transitions(log.entries), ['error:0', 'error:0', 'open:1', 'error:0', 'error:2']);
      assert.deepEqual(statuses, [503, 500, undefined, 204]);
      // 7 s from Retry-After beats 100 ms; then backoff doubles; after the open, back to 100 ms.
      assert.deepEqual(timers.delays, [7000, 200, 100]);

      const strict = await serve((res) => status(res, 502));
      const strictTimers = instantTimers();
      const failing = open(strict.url(), { ...strictTimers, reconnectOnServerError: false });
      const strictLog = record(failing);
      await strictLog.until(closedByError, 'the failure');
      await settle();
      assert.equal(strict.requests.length, 1);
      assert.deepEqual(strictTimers.delays, []);
    },
  );

  test(
    'backoff: doubles on consecutive failures, jittered down to no less than the retry, capped, reset on open',
    T,
    async () => {
      const server = await serve(
        sequence(
          (res) => stream(res, 'retry: 100\ndata: one\n\n', 'drop'),
          (res) => status(res, 503),
          (res) => res.socket?.destroy(), // a network error: no answer at all
          (res) => status(res, 500),
          (res) => status(res, 500),
          (res) => stream(res, 'data: two\n\n'),
        ),
      );
      const timers = instantTimers();
      const source = open(server.url(), {
        ...timers,
        maxReconnectDelay: 500,
        jitter: 0.5,
        random: () => 0.5,
      });
      const log = record(source);
      await log.until(closedByError, 'the 204 after the script');
      assert.deepEqual(
        log.entries.map((e) => e.data ?? `${e.kind}:${e.readyState}`),
        [
          'open:1',
          'one',
          'error:0',
          'error:0',
          'error:0',
          'error:0',
          'error:0',
          'open:1',
          'two',
          'error:0',
          'error:2',
        ],
      );
      // 100 (first, exact); then 200, 400, 800 -> capped 500, 500, each minus (d - 100) * 0.5 * 0.5;
      // after the open, 100 again.
      assert.deepEqual(timers.delays, [100, 175, 325, 400, 400, 100]);
    },
  );

  test(
    'follows a redirect chain; origin is the final one, url the first; reconnects start over',
    T,
    async () => {
      const target = await serve(
        sequence(
          (res) => stream(res, 'id: r1\ndata: via redirects\n\n'),
          (res, req) => stream(res, `data: ${req.headers['last-event-id']}\n\n`),
        ),
      );
      const entry = await serve((res, req) => {
        if (req.url.startsWith('/events')) return status(res, 301, { Location: '/hop?n=2' });
        if (req.url.startsWith('/hop')) return status(res, 302, { Location: target.url('/final') });
        status(res, 404);
      });
      const timers = instantTimers();
      const source = open(entry.url(), timers);
      const log = record(source);
      await log.until(closedByError, 'the 204 after the script');
      assert.equal(source.url, entry.url());
      const events = log.entries.filter((e) => e.kind === 'event');
      assert.deepEqual(
        events.map((e) => [e.data, e.origin]),
        [
          ['via redirects', target.origin],
          ['r1', target.origin],
        ],
      );
      assert.deepEqual(
        entry.requests.map((r) => r.url),
        ['/events', '/hop?n=2', '/events', '/hop?n=2', '/events', '/hop?n=2'],
      );
      assert.deepEqual(
        target.requests.map((r) => r.headers['last-event-id']),
        [undefined, 'r1', 'r1'],
      );
    },
  );

  test('Last-Event-ID carries the id as UTF-8 bytes, like a browser', T, async () => {
    const id = 'café-日本-😀';
    const server = await serve(sequence((res) => stream(res, `id: ${id}\ndata: x\n\n`)));
    const source = open(server.url(), instantTimers());
    const log = record(source);
    await log.until(closedByError, 'the 204');
    const raw = server.requests[1]?.headers['last-event-id'];
    assert.equal(typeof raw, 'string');
    assert.equal(Buffer.from(String(raw), 'latin1').toString('utf8'), id);
    assert.equal(log.entries[1]?.lastEventId, id);
  });

  test('the lastEventId option resumes from a given id on the first request', T, async () => {
    const server = await serve(sequence((res) => stream(res, 'data: resumed\n\n')));
    const source = open(server.url(), { ...instantTimers(), lastEventId: '41' });
    assert.equal(source.lastEventId, '41');
    const log = record(source);
    await log.until(closedByError, 'the 204');
    assert.deepEqual(
      server.requests.map((r) => r.headers['last-event-id']),
      ['41', '41'],
    );
    assert.equal(log.entries[1]?.lastEventId, '41');
  });

  test('headers (refreshed before every attempt) and a POST body reach the server', T, async () => {
    const server = await serve(
      sequence(
        (res) => stream(res, 'id: 5\ndata: one\n\n'),
        (res) => stream(res, 'data: two\n\n'),
      ),
    );
    const calls: { lastEventId: string; attempt: number }[] = [];
    const source = open(server.url('/events?topic=a'), {
      ...instantTimers(),
      method: 'POST',
      headers: async (info) => {
        calls.push(info);
        return { Authorization: `Bearer token-${info.attempt}`, 'X-Extra': 'yes' };
      },
      body: (info) => JSON.stringify({ topics: ['a'], after: info.lastEventId }),
    });
    const log = record(source);
    await log.until(closedByError, 'the 204');
    assert.deepEqual(calls, [
      { lastEventId: '', attempt: 1 },
      { lastEventId: '5', attempt: 2 },
      { lastEventId: '5', attempt: 3 },
    ]);
    assert.deepEqual(
      server.requests.map((r) => [r.method, r.url, r.headers.authorization, r.headers['x-extra'], r.body]),
      [
        ['POST', '/events?topic=a', 'Bearer token-1', 'yes', '{"topics":["a"],"after":""}'],
        ['POST', '/events?topic=a', 'Bearer token-2', 'yes', '{"topics":["a"],"after":"5"}'],
        ['POST', '/events?topic=a', 'Bearer token-3', 'yes', '{"topics":["a"],"after":"5"}'],
      ],
    );
    assert.equal(server.requests[0]?.headers.accept, 'text/event-stream');
  });

  test('a static header object and a form body are sent as given', T, async () => {
    const server = await serve(sequence((res) => stream(res, 'data: x\n\n', 'open')));
    const source = open(server.url(), {
      method: 'PUT',
      headers: { authorization: 'Bearer static', accept: 'text/event-stream, */*;q=0.1' },
      body: new URLSearchParams({ topic: 'news/**' }),
    });
    const log = record(source);
    await log.until((e) => e.length === 2, 'the event');
    const req = server.requests[0]!;
    assert.equal(req.method, 'PUT');
    assert.equal(req.headers.authorization, 'Bearer static');
    assert.equal(req.headers.accept, 'text/event-stream, */*;q=0.1');
    assert.match(String(req.headers['content-type']), /^application\/x-www-form-urlencoded/);
    assert.equal(req.body, 'topic=news%2F**');
    source.close();
  });

  test('a headers function that throws is an error: CONNECTING, then a retry', T, async () => {
    const server = await serve(sequence((res) => stream(res, 'data: in\n\n')));
    let calls = 0;
    const timers = instantTimers();
    const source = open(server.url(), {
      ...timers,
      reconnectDelay: 10,
      jitter: 0,
      headers: () => {
        calls++;
        if (calls === 1) throw new Error('token service down');
        return { Authorization: 'Bearer late' };
      },
    });
    const messages: string[] = [];
    source.addEventListener('error', (event) => messages.push(event.message));
    const log = record(source);
    await log.until(closedByError, 'the 204');
    assert.deepEqual(transitions(log.entries), ['error:0', 'open:1', 'error:0', 'error:2']);
    assert.match(messages[0] ?? '', /token service down/);
    assert.equal(server.requests[0]?.headers.authorization, 'Bearer late');
    assert.deepEqual(timers.delays, [10, 10]);
  });

  test('withCredentials, cache and redirect modes reach fetch', T, async () => {
    const inits: RequestInit[] = [];
    const fake = async (_input: string, init: RequestInit) => {
      inits.push(init);
      return new Response(null, { status: 204 });
    };
    const plain = open('http://example.test/events', { fetch: fake });
    const credentialed = open('http://example.test/events', { fetch: fake, withCredentials: true });
    assert.equal(plain.withCredentials, false);
    assert.equal(credentialed.withCredentials, true);
    await settle();
    assert.deepEqual(
      inits.map((i) => [i.credentials, i.cache, i.redirect, i.mode, i.method]),
      [
        ['same-origin', 'no-store', 'follow', 'cors', 'GET'],
        ['include', 'no-store', 'follow', 'cors', 'GET'],
      ],
    );
  });

  test('close() while connecting aborts the request; nothing is dispatched', T, async () => {
    let abortedResolve: () => void = () => {};
    const aborted = new Promise<void>((resolve) => {
      abortedResolve = resolve;
    });
    const server = await serve((res) => {
      // Never answers; the client must give up on its own when closed.
      res.on('close', () => abortedResolve());
    });
    const source = open(server.url());
    const log = record(source);
    await server.requestCount(1);
    source.close();
    assert.equal(source.readyState, EventSource.CLOSED);
    await aborted;
    await settle();
    assert.deepEqual(log.entries, []);
  });

  test('close() in an error listener cancels the reconnect', T, async () => {
    const server = await serve((res) => stream(res, 'data: x\n\n'));
    const timers = instantTimers();
    const source = open(server.url(), timers);
    const log = record(source); // registered first, so it sees the state before the handler closes
    source.onerror = () => source.close();
    await log.until((e) => e.some((x) => x.kind === 'error'), 'the end of the stream');
    await settle();
    assert.equal(source.readyState, EventSource.CLOSED);
    assert.equal(server.requests.length, 1);
    assert.equal(timers.live(), 0);
    assert.deepEqual(transitions(log.entries), ['open:1', 'error:0']);
  });

  test('close() during the reconnect wait clears the timer', T, async () => {
    const server = await serve((res) => stream(res, 'retry: 60000\ndata: x\n\n'));
    const source = open(server.url());
    const log = record(source);
    await log.until((e) => e.some((x) => x.kind === 'error'), 'the end of the stream');
    assert.equal(source.readyState, EventSource.CONNECTING);
    source.close();
    assert.equal(source.readyState, EventSource.CLOSED);
    // That no timer is left armed is checked by a real process exit in shutdown.test.ts.
    assert.equal(server.requests.length, 1);
  });

  test('close() in a listener stops the rest of the chunk', T, async () => {
    const server = await serve((res) => stream(res, 'data: 1\n\ndata: 2\n\ndata: 3\n\n', 'open'));
    const source = open(server.url());
    const seen: string[] = [];
    source.onmessage = (event) => {
      seen.push(event.data);
      if (event.data === '2') source.close();
    };
    await server.requestCount(1);
    const log = record(source);
    await log.until(() => seen.length >= 2, 'two events');
    await settle();
    assert.deepEqual(seen, ['1', '2']);
  });

  test('an event larger than maxEventSize fails the connection', T, async () => {
    const server = await serve((res) => stream(res, `data: ${'x'.repeat(5000)}\n\n`, 'open'));
    const timers = instantTimers();
    const source = open(server.url(), { ...timers, maxEventSize: 1000 });
    const log = record(source);
    await log.until(closedByError, 'the failure');
    assert.deepEqual(transitions(log.entries), ['open:1', 'error:2']);
    assert.deepEqual(timers.delays, []);
  });
});
