// Hardening found by probing the hub from outside: reasons that echo input, malformed requests
// that Node answers without a reason, deep JSON, aborted uploads, anonymous publish floods, the
// monitor's view of private subscriptions, and streams that outlive their token.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { HubLogger } from '../../src/http/http-counters.js';
import { SYS_TOPICS } from '../../src/monitor/collector.js';
import type { StatsSnapshot } from '../../src/monitor/snapshot.js';
import { eventsUrl, httpRequest, StreamReader, startHub, type TestHub, token } from '../support/hub.js';

/** A logger that keeps what it is told, to check what is logged at which level. */
function recordingLogger(): HubLogger & { errors: string[]; debugs: string[] } {
  const errors: string[] = [];
  const debugs: string[] = [];
  return {
    errors,
    debugs,
    error: (_object, message) => errors.push(message),
    debug: (_object, message) => debugs.push(message),
  };
}

/** Sends raw bytes on a fresh connection and returns everything the hub answered before closing. */
function rawExchange(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (data) => {
      received += data.toString('latin1');
    });
    socket.on('close', () => resolve(received));
    socket.on('error', () => resolve(received));
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close; got ${JSON.stringify(received)}`));
    }, 5000).unref();
  });
}

function bodyOf(response: string): string {
  return response.slice(response.indexOf('\r\n\r\n') + 4);
}

function oneLine(body: string): void {
  assert.match(body, /^[^\r\n]+\n$/, `one line: ${JSON.stringify(body)}`);
}

let hub: TestHub;
const logger = recordingLogger();
before(async () => {
  hub = await startHub({ logger });
});
after(() => hub.close());

describe('reasons quote input escaped, on one line', () => {
  it('a topic with CR and LF in a publish', async () => {
    const answer = await hub.post({ topic: 'a\r\nX-Forged: 1\n//b', data: 'x' });
    assert.equal(answer.status, 400);
    oneLine(answer.body);
    assert.match(answer.body, /"a\\r\\nX-Forged: 1\\n\/\/b"/);
  });

  it('a selector with control characters in a subscription', async () => {
    const answer = await httpRequest(`${hub.url}/events?topic=${encodeURIComponent('a\n//b\r')}`, {
      headers: { accept: 'text/event-stream' },
    });
    assert.equal(answer.status, 400);
    oneLine(answer.body);
  });

  it('a long input is cut', async () => {
    const answer = await hub.post({ topic: `${'x'.repeat(240)}//y`, data: 'x' });
    assert.equal(answer.status, 400);
    oneLine(answer.body);
    assert.ok(answer.body.length < 200, `${answer.body.length} characters`);
  });

  it('invalid JSON whose snippet spans lines', async () => {
    const answer = await hub.post('{"topic": "a",\n\r"data": nope\n}', {
      'content-type': 'application/json',
    });
    assert.equal(answer.status, 400);
    oneLine(answer.body);
  });
});

describe('malformed requests get a status and a reason, and are not logged as errors', () => {
  const cases: Array<[string, string | Buffer, RegExp]> = [
    [
      'a too-long URL',
      `GET /events?topic=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      /^HTTP\/1\.1 431/,
    ],
    [
      'too-large headers',
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
      /^HTTP\/1\.1 431/,
    ],
    [
      'too many headers',
      `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\n\r\n`,
      /^HTTP\/1\.1 431/,
    ],
    ['a garbled request line', 'GET\u0001 / HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 400/],
    [
      'a bad Content-Length',
      'POST /publish HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
      /^HTTP\/1\.1 400/,
    ],
  ];
  for (const [name, bytes, status] of cases) {
    it(name, async () => {
      const errorsBefore = logger.errors.length;
      const response = await rawExchange(hub.port, bytes);
      assert.match(response, status);
      oneLine(bodyOf(response));
      assert.equal(logger.errors.length, errorsBefore, `not an error: ${logger.errors.slice(errorsBefore)}`);
    });
  }
});

describe('deeply nested JSON', () => {
  it('is refused with 400 and a reason, not a 500 and a stack trace', async () => {
    const errorsBefore = logger.errors.length;
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const answer = await hub.post(`{"topic":"a","data":${deep}}`, { 'content-type': 'application/json' });
    assert.equal(answer.status, 400);
    assert.match(answer.body, /nested more than 64 levels/);
    oneLine(answer.body);
    assert.equal(logger.errors.length, errorsBefore);
    // Moderate nesting is still data like any other.
    const fine = await hub.post({ topic: 'a', data: { a: [[[{ b: 1 }]]] } });
    assert.equal(fine.status, 200, fine.body);
  });
});

describe('aborted uploads', () => {
  it('are counted and logged at debug, not as errors', async () => {
    const errorsBefore = logger.errors.length;
    const debugsBefore = logger.debugs.length;
    await new Promise<void>((resolve) => {
      const socket = connect(hub.port, '127.0.0.1');
      socket.on('connect', () => {
        socket.write(
          `POST /publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${hub.token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"topic":`,
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 100);
      });
    });
    const deadline = Date.now() + 3000;
    const wentAway = () => logger.debugs.slice(debugsBefore).some((m) => /went away/.test(m));
    while (!wentAway() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(logger.errors.length, errorsBefore, `not an error: ${logger.errors.slice(errorsBefore)}`);
    assert.ok(
      wentAway(),
      `logged at debug: ${JSON.stringify(logger.debugs.slice(debugsBefore))} ${JSON.stringify(logger.errors)}`,
    );
    const metrics = await httpRequest(`${hub.url}/metrics`);
    assert.match(metrics.body, /herald_http_requests_aborted_total [1-9]/);
  });
});

describe('an anonymous publish flood', () => {
  it('does not spend the budget of the authenticated publisher on the same address', async () => {
    const limited = await startHub({
      limits: { maxPublishesPerSecondPerClient: 5, maxAuthFailuresPerSecondPerClient: 20 },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) {
        const bad = i % 2 === 0 ? {} : { authorization: 'Bearer not.a.token' };
        statuses.push(
          (await limited.post({ topic: 'flood', data: 'x' }, { authorization: '', ...bad })).status,
        );
      }
      assert.ok(statuses.includes(401), 'publishes without a valid token are refused');
      assert.ok(statuses.includes(429), 'and past their own budget, told to slow down');
      const answer = await limited.post({ topic: 'flood', data: 'real' });
      assert.equal(answer.status, 200, `the authenticated publisher still publishes: ${answer.body}`);
    } finally {
      await limited.close();
    }
  });
});

describe('the monitor and private subscriptions', () => {
  it('counts authenticated streams but never lists their topics in $SYS/stats', async () => {
    const monitored = await startHub({
      monitor: {
        intervalMs: 0,
        sample: () => ({
          load: [0, 0, 0],
          cpus: 1,
          cpu: { process: 0, system: 0 },
          memory: { rss: 1, heapUsed: 1, systemTotal: 1, systemFree: 1 },
        }),
      },
    });
    try {
      const secret = await token({ subscribe: ['users/42/**'] });
      const inbox = await StreamReader.open(eventsUrl(monitored, ['users/42/inbox']), {
        authorization: `Bearer ${secret}`,
      });
      await inbox.ready();
      const open = await StreamReader.open(eventsUrl(monitored, ['news']));
      await open.ready();
      const stats = await StreamReader.open(eventsUrl(monitored, [SYS_TOPICS.stats]));
      await stats.ready();
      await monitored.hub.monitor!.collector.tick();
      const [event] = await stats.take(1);
      const snapshot = JSON.parse(event!.data) as StatsSnapshot;
      assert.ok(!event!.data.includes('users/42'), 'no private topic in the snapshot');
      assert.deepEqual(snapshot.topics.top.map((t) => t.selector).sort(), ['$SYS/stats', 'news']);
      assert.equal(snapshot.connections.now, 3);
      assert.equal(snapshot.connections.authenticated, 1);
      assert.ok(![...monitored.hub.subscriberCounts().keys()].includes('users/42/inbox'));
      for (const reader of [inbox, open, stats]) reader.close();
    } finally {
      await monitored.close();
    }
  });
});

describe('a stream whose token expires', () => {
  it('gets herald-reauth, then ends; the same token is then refused', async () => {
    const shortLived = await token({ subscribe: ['users/7/**'], ttlSeconds: 2 });
    const url = eventsUrl(hub, ['users/7/inbox']);
    const stream = await StreamReader.open(url, { authorization: `Bearer ${shortLived}` });
    await stream.ready();
    await hub.publish('users/7/inbox', 'before expiry', { private: true });
    await stream.take(1);
    await stream.until(() => stream.events.some((e) => e.type === 'herald-reauth'), 'herald-reauth', 6000);
    await Promise.race([
      stream.ended,
      new Promise((_, reject) => setTimeout(() => reject(new Error('stream still open')), 3000)),
    ]);
    assert.deepEqual(
      stream.events.map((e) => e.type),
      ['message', 'herald-reauth'],
    );
    const again = await httpRequest(url, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${shortLived}` },
    });
    assert.equal(again.status, 401);
    assert.match(again.body, /expired/);
  });
});
