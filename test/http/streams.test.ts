import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import {
  eventsUrl,
  httpRequest,
  type RawConnection,
  rawConnection,
  StreamReader,
  sleep,
  startHub,
} from '../support/hub.js';

describe('long-poll fallback', () => {
  it('ends the response after a burst, with the same event-stream text, and resumes from it', async () => {
    const hub = await startHub({ pollQuietMs: 150, pollTimeoutMs: 5000 });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await hub.publish('poll', `#${i}`));
      const started = Date.now();
      const first = await StreamReader.open(
        eventsUrl(hub, ['poll'], { transport: 'poll', lastEventId: ids[0]! }),
      );
      await first.ended;
      assert.deepEqual(
        first.events.map((e) => e.data),
        ['#1', '#2'],
      );
      assert.ok(Date.now() - started >= 140, 'waited for the quiet gap');
      // An XHR polyfill's poll: waits for the next burst, then ends.
      const second = await StreamReader.open(eventsUrl(hub, ['poll']), {
        'x-requested-with': 'XMLHttpRequest',
        'last-event-id': first.lastEventId,
      });
      await sleep(50);
      assert.equal(second.events.length, 0);
      await hub.publish('poll', '#3');
      await hub.publish('poll', '#4');
      await second.ended;
      assert.deepEqual(
        second.events.map((e) => e.data),
        ['#3', '#4'],
      );
    } finally {
      await hub.close();
    }
  });

  it('ends a poll with no events at the poll timeout', async () => {
    const hub = await startHub({ pollQuietMs: 50, pollTimeoutMs: 300 });
    try {
      const started = Date.now();
      const reader = await StreamReader.open(eventsUrl(hub, ['quiet'], { transport: 'poll' }));
      await reader.ended;
      assert.ok(Date.now() - started >= 290);
      assert.equal(reader.events.length, 0);
      assert.notEqual(reader.lastEventId, '', 'the poll still carries the resume point');
    } finally {
      await hub.close();
    }
  });
});

describe('load shedding and connection limits', () => {
  it('answers an EventSource past maxConnections with 200, a jittered retry and an end; others with 503', async () => {
    const hub = await startHub({ limits: { maxConnections: 2 }, shedRetryMs: 1000 });
    try {
      const a = await StreamReader.open(eventsUrl(hub, ['x']));
      const b = await StreamReader.open(eventsUrl(hub, ['x']));
      await a.ready();
      await b.ready();
      const retries: number[] = [];
      for (let i = 0; i < 5; i++) {
        const shed = await StreamReader.open(eventsUrl(hub, ['x']));
        await shed.ended;
        assert.equal(shed.status, 200);
        assert.equal(shed.headers['content-type'], 'text/event-stream; charset=utf-8');
        retries.push(...shed.retries);
      }
      assert.equal(retries.length, 5);
      for (const r of retries) assert.ok(r >= 1000 && r < 2000, `retry ${r} in [1000, 2000)`);
      const plain = await httpRequest(eventsUrl(hub, ['x']), { headers: { accept: '*/*' } });
      assert.equal(plain.status, 503);
      assert.match(plain.body, /connection limit/);
      assert.ok(Number(plain.headers['retry-after']) >= 1);
      a.close();
      await a.ended;
      await sleep(20);
      const c = await StreamReader.open(eventsUrl(hub, ['x']));
      await c.ready();
      assert.equal(c.status, 200);
      b.close();
      c.close();
    } finally {
      await hub.close();
    }
  });

  it('bounds streams per client address', async () => {
    const hub = await startHub({ limits: { maxConnectionsPerClient: 1 } });
    try {
      const a = await StreamReader.open(eventsUrl(hub, ['x']));
      await a.ready();
      const b = await httpRequest(eventsUrl(hub, ['x']));
      assert.equal(b.status, 429);
      assert.match(b.body, /maxConnectionsPerClient/);
      a.close();
    } finally {
      await hub.close();
    }
  });

  it('rate-limits publishes per client with 429 and Retry-After', async () => {
    const hub = await startHub({ limits: { maxPublishesPerSecondPerClient: 5 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await hub.post({ topic: 'r', data: String(i) })).status);
      assert.ok(statuses.slice(0, 5).every((s) => s === 200));
      assert.ok(statuses.includes(429));
      const limited = await hub.post({ topic: 'r', data: 'x' });
      if (limited.status === 429) assert.equal(limited.headers['retry-after'], '1');
    } finally {
      await hub.close();
    }
  });
});

describe('slow consumers', () => {
  it('disconnects subscribers that stop reading, keeps memory bounded, and lets them resume from history', async () => {
    const hub = await startHub({
      limits: { maxUnsentBytesPerSession: 256 * 1024, maxEventBytes: 64 * 1024 },
      history: { maxEvents: 1000, maxBytes: 48 * 1024 * 1024 },
    });
    try {
      const stalled = await Promise.all(
        Array.from({ length: 5 }, () => StreamReader.open(eventsUrl(hub, ['firehose']), {}, true)),
      );
      const healthy = await StreamReader.open(eventsUrl(hub, ['firehose']));
      await healthy.ready();
      await sleep(50);
      const payload = 'z'.repeat(60 * 1024);
      const before = process.memoryUsage().arrayBuffers;
      // 600 events x 60 KiB = 36 MB: far more than the socket buffers and the per-session ceiling.
      // Published in bursts the reading subscriber keeps up with, so only the stalled ones fall behind.
      for (let i = 0; i < 600; i++) {
        await hub.hub.publish({ topics: 'firehose', data: `${i}:${payload}` });
        if (i % 4 === 3) await healthy.until(() => healthy.events.length > i, `event ${i}`, 10_000);
      }
      const grown = process.memoryUsage().arrayBuffers - before;
      const history = hub.hub.stats().history.bytes;
      assert.equal(hub.hub.stats().slowConsumerDisconnects, 5);
      assert.equal(hub.hub.stats().connections, 1, 'only the reading subscriber is left');
      // Buffers: the history's 36 MB, shared by every socket (no per-subscriber copies), and little else.
      const mib = (n: number) => `${Math.round(n / 1048576)} MiB`;
      assert.ok(grown < history + 16 * 1048576, `buffers grew ${mib(grown)} for ${mib(history)} of history`);
      assert.ok(healthy.events.every((e, i) => e.data.startsWith(`${i}:`)));
      // A stalled client wakes up: it reads what the network held, sees the end, and resumes.
      for (const reader of stalled) {
        reader.resume();
        await reader.ended;
        const got = reader.events.map((e) => Number(e.data.split(':')[0]));
        assert.deepEqual(
          got,
          got.map((_, i) => i),
          'a prefix of the events, in order',
        );
        assert.ok(got.length < 600);
        const resumed = await StreamReader.open(eventsUrl(hub, ['firehose']), {
          'last-event-id': reader.lastEventId,
        });
        await resumed.until(() => resumed.events.length >= 600 - got.length, 'the replay', 20_000);
        assert.equal(Number(resumed.events[0]!.data.split(':')[0]), got.length);
        assert.equal(Number(resumed.events.at(-1)!.data.split(':')[0]), 599);
        resumed.close();
      }
      healthy.close();
    } finally {
      await hub.close();
    }
  });
});

describe('streams live for hours', () => {
  it('does not cut a stream at the request timeout, but cuts a client that never finishes its headers', async () => {
    const hub = await startHub({
      serverTimeouts: { headersTimeoutMs: 300, requestTimeoutMs: 400 },
      heartbeatMs: 200,
    });
    try {
      const reader = await StreamReader.open(eventsUrl(hub, ['long']));
      await reader.ready();
      const socket = connect(hub.port, '127.0.0.1');
      socket.write('GET /events?topic=x HTTP/1.1\r\nHost: x\r\n'); // never finishes
      socket.resume();
      const cut = new Promise<number>((resolve) => {
        const started = Date.now();
        socket.on('close', () => resolve(Date.now() - started));
        socket.on('error', () => {});
      });
      await sleep(1500);
      const elapsed = await Promise.race([cut, sleep(3000).then(() => -1)]);
      assert.ok(elapsed > 0, 'the slow-headers client was disconnected');
      await hub.publish('long', 'still here');
      await reader.take(1);
      assert.ok(
        reader.comments.length >= 3,
        `heartbeat comments on the quiet stream: ${reader.comments.length}`,
      );
      reader.close();
    } finally {
      await hub.close();
    }
  });
});

describe('graceful close', () => {
  it('sends every stream a jittered retry, ends it, and refuses new streams with a retry', async () => {
    const hub = await startHub({ shedRetryMs: 2000 });
    const readers = await Promise.all([1, 2, 3].map(() => StreamReader.open(eventsUrl(hub, ['bye']))));
    for (const r of readers) await r.ready();
    await hub.close();
    for (const r of readers) {
      await r.ended;
      const last = r.retries.at(-1)!;
      assert.equal(r.retries.length, 2);
      assert.ok(last >= 2000 && last < 4000, `retry ${last}`);
    }
  });

  it('ends a kept-alive connection after the answer it carried when the hub closed, so that nothing keeps talking to a closed hub', async () => {
    const hub = await startHub();
    const body = JSON.stringify({ topic: 'bye', data: 'late' });
    const request = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
    // Two kept-alive connections: one busy with a publish whose body is still arriving while the hub
    // closes, one idle then.
    const busy = await plainConnection(hub.port);
    busy.socket.write(
      `POST /publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${hub.token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    const late = await plainConnection(hub.port);
    late.socket.write(request('/healthz'));
    await late.answers(1);
    await sleep(100);
    await hub.close();
    // The late one was idle at close: closed with the server. The busy one gets its answer...
    await late.ended;
    busy.socket.write(body.slice(5));
    await busy.answers(1);
    assert.match(busy.text(), /^HTTP\/1\.1 503 /, busy.text());
    // ...and a client asking again on that connection (an EventSource's retry does, a few hundred ms
    // later) is told that it ends there: it must not keep finding the closed hub on it, while a new
    // hub may be listening on the port.
    await sleep(200);
    busy.socket.write(request('/healthz'));
    await busy.ended;
    const answers = busy.text().split(/(?=HTTP\/1\.1 \d{3} )/);
    assert.equal(answers.length, 2, busy.text());
    assert.match(answers[1]!, /\r\nconnection: close\r\n/i, answers[1]);
  });
});

/** A plain TCP connection to the hub, watched. */
async function plainConnection(port: number): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  return rawConnection(socket);
}

describe('the Fetch adapter', () => {
  it('serves the same API through hub.fetch', async () => {
    const hub = await startHub();
    try {
      const response = await hub.hub.fetch(
        new Request('http://hub.test/events?topic=fetch/*', { headers: { accept: 'text/event-stream' } }),
        { client: '10.0.0.1' },
      );
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = decoder.decode((await reader.read()).value);
      assert.match(text, /^event: herald-resume\nid: \S+\nretry: 3000\ndata: \{"lastEventId":"\S+"\}\n\n$/);
      const published = await hub.hub.fetch(
        new Request('http://hub.test/publish', {
          method: 'POST',
          headers: {
            authorization: `Bearer ${hub.token}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: 'topic=fetch/a&data=hi',
        }),
      );
      assert.equal(published.status, 200);
      const id = (await published.text()).trimEnd();
      text = decoder.decode((await reader.read()).value);
      assert.equal(text, `id: ${id}\ndata: hi\n\n`);
      await reader.cancel();
      await sleep(10);
      assert.equal(hub.hub.stats().connections, 0, 'cancelling the body closes the session');
      const missing = await hub.hub.fetch(new Request('http://hub.test/events'));
      assert.equal(missing.status, 400);
      assert.match(await missing.text(), /topic/);
    } finally {
      await hub.close();
    }
  });
});
