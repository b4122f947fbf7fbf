// The hub over HTTPS with HTTP/2 (hub.listen with tls): many streams on one connection, HTTP/1.1 on
// the same port, and per stream: heartbeats, the slow-consumer cut-off (a reset of that stream
// alone) and the graceful close with a jittered retry:.
import assert from 'node:assert/strict';
import { type ClientHttp2Session, type ClientHttp2Stream, connect, constants } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { createHub, type HeraldHub, type HubOptions } from '../../src/create-hub.js';
import { createParser, type ServerSentEvent } from '../../src/protocol/parse.js';
import { rawConnection, sleep, TEST_KEY, token } from '../support/hub.js';
import { makeCertificate, opensslUnavailable, type TestCertificate } from '../support/tls.js';

/** One event stream on an HTTP/2 connection, parsed as a browser would. */
class H2Stream {
  readonly events: ServerSentEvent[] = [];
  readonly resumes: ServerSentEvent[] = [];
  readonly retries: number[] = [];
  readonly comments: string[] = [];
  raw = '';
  headers: Record<string, unknown> = {};
  ended = false;
  closed = false;
  readonly #parser = createParser({
    onEvent: (e) => (e.type === 'herald-resume' ? this.resumes : this.events).push(e),
    onRetry: (ms) => this.retries.push(ms),
    onComment: (c) => this.comments.push(c),
  });

  constructor(readonly stream: ClientHttp2Stream) {
    stream.on('response', (headers) => {
      this.headers = headers;
    });
    stream.on('data', (chunk: Buffer) => {
      this.raw += chunk.toString('utf8');
      this.#parser.feed(chunk);
    });
    stream.on('end', () => {
      this.ended = true;
    });
    stream.on('close', () => {
      this.closed = true;
    });
    stream.on('error', () => {});
  }
}

async function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('HTTP/2', { skip: opensslUnavailable, timeout: 60_000 }, () => {
  let certificate: TestCertificate;
  let hub: HeraldHub;
  let origin: string;
  let session: ClientHttp2Session;
  let publisher: string;

  before(async () => {
    certificate = makeCertificate();
    publisher = await token({ publish: ['**'] });
  });
  after(() => certificate?.remove());

  async function start(options: HubOptions = {}): Promise<void> {
    hub = createHub({ jwtKey: TEST_KEY, monitor: false, ...options });
    const server = await hub.listen(0, '127.0.0.1', {
      tls: { cert: certificate.cert, key: certificate.key },
    });
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    session = connect(origin, { ca: certificate.cert });
    session.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      session.once('connect', () => resolve());
      session.once('error', reject);
    });
    // A roomy connection window, so that one stream that stops reading cannot stall the others:
    // each stream keeps its own (default) window, which is what the hub's backpressure sees.
    session.setLocalWindowSize(32 * 1024 * 1024);
  }

  afterEach(async () => {
    session?.destroy();
    await hub?.close();
  });

  function subscribe(topic: string, paused = false): H2Stream {
    const stream = session.request({
      ':path': `/events?topic=${encodeURIComponent(topic)}`,
      accept: 'text/event-stream',
    });
    if (paused) stream.pause();
    return new H2Stream(stream);
  }

  /** POST /publish on the same HTTP/2 connection; resolves with status and body. */
  function publish(topic: string, data: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const stream = session.request({
        ':method': 'POST',
        ':path': '/publish',
        authorization: `Bearer ${publisher}`,
        'content-type': 'application/x-www-form-urlencoded',
      });
      let status = 0;
      let body = '';
      stream.on('response', (headers) => {
        status = Number(headers[':status']);
      });
      stream.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      stream.on('end', () => resolve({ status, body }));
      stream.on('error', reject);
      stream.end(new URLSearchParams({ topic, data }).toString());
    });
  }

  it('carries ten event streams and the publishes on one connection', async () => {
    await start();
    const streams = Array.from({ length: 10 }, (_, i) => subscribe(`h2/${i}`));
    await until(() => streams.every((s) => s.resumes.length === 1), 'ten herald-resume events');
    for (const s of streams) {
      assert.equal(s.headers[':status'], 200);
      assert.equal(s.headers['content-type'], 'text/event-stream; charset=utf-8');
      assert.equal(s.headers['x-accel-buffering'], 'no');
    }
    assert.equal(hub.stats().connections, 10);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const answer = await publish(`h2/${i}`, `for ${i}`);
      assert.equal(answer.status, 200);
      assert.match(answer.body, /^\S+\n$/);
      ids.push(answer.body.trimEnd());
    }
    await until(() => streams.every((s) => s.events.length === 1), 'one event on each stream');
    streams.forEach((s, i) => {
      assert.deepEqual(
        s.events.map((e) => [e.data, e.lastEventId]),
        [[`for ${i}`, ids[i]]],
      );
    });
  });

  it('serves HTTP/1.1 clients on the same port', async () => {
    await start();
    const answer = await new Promise<{ status: number; alpn: string | false; body: string }>(
      (resolve, reject) => {
        const req = httpsRequest(`${origin}/healthz`, { ca: certificate.cert, agent: false }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              alpn: (res.socket as import('node:tls').TLSSocket).alpnProtocol ?? false,
              body,
            }),
          );
        });
        req.on('error', reject);
        req.end();
      },
    );
    assert.equal(answer.status, 200);
    assert.notEqual(answer.alpn, 'h2', 'an HTTP/1.1 client');
    assert.equal((JSON.parse(answer.body) as { status: string }).status, 'ok');
  });

  it('writes heartbeats to a quiet stream', async () => {
    await start({ heartbeatMs: 200 });
    const stream = subscribe('h2/quiet');
    await until(() => stream.comments.length >= 2, 'two heartbeats', 3000);
    assert.equal(stream.events.length, 0);
    assert.equal(stream.closed, false);
  });

  it('resets only the stream of a consumer that stopped reading; the others on the connection go on', async () => {
    await start({ limits: { maxUnsentBytesPerSession: 64 * 1024 } });
    const fast = subscribe('h2/load');
    const slow = subscribe('h2/load', true);
    await until(() => fast.resumes.length === 1 && hub.stats().connections === 2, 'both streams open');
    const big = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 24; i++) {
      await hub.publish({ topics: 'h2/load', data: `${i} ${big}` });
      await sleep(5);
    }
    await until(() => fast.events.length === 24, 'every event on the reading stream');
    await until(() => slow.closed, 'the stalled stream to be reset');
    assert.equal(slow.stream.rstCode, constants.NGHTTP2_CANCEL);
    assert.equal(hub.stats().slowConsumerDisconnects, 1);
    assert.equal(hub.stats().connections, 1);
    assert.equal(session.closed || session.destroyed, false, 'the connection itself stays');
    assert.equal((await publish('h2/load', 'after')).status, 200);
    await until(() => fast.events.length === 25, 'the stream goes on');
  });

  it('closes gracefully: each stream gets a jittered retry: and a clean end, the connection a GOAWAY', async () => {
    await start({ shedRetryMs: 1000 });
    const streams = [subscribe('h2/a'), subscribe('h2/b'), subscribe('h2/c')];
    await until(() => streams.every((s) => s.resumes.length === 1), 'three streams open');
    let goaway = false;
    session.once('goaway', () => {
      goaway = true;
    });
    await hub.close();
    await until(() => streams.every((s) => s.ended), 'every stream to end');
    for (const s of streams) {
      const retry = s.retries.at(-1)!;
      assert.ok(retry >= 1000 && retry < 2000, `jittered retry ${retry}`);
      assert.match(s.raw, /retry: \d+\n\n$/);
      assert.equal(s.stream.rstCode, constants.NGHTTP2_NO_ERROR);
    }
    await until(() => goaway, 'a GOAWAY');
  });

  it('ends an HTTP/1.1 connection after the answer it carried when the hub closed', async () => {
    await start();
    const port = Number(new URL(origin).port);
    const body = new URLSearchParams({ topic: 'h2/late', data: 'x' }).toString();
    const socket = tlsConnect({ host: '127.0.0.1', port, ca: certificate.cert, ALPNProtocols: ['http/1.1'] });
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    const connection = rawConnection(socket);
    // A publish whose body is still arriving while the hub closes: its connection is busy, not idle.
    socket.write(
      `POST /publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${publisher}\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 3)}`,
    );
    await sleep(100);
    await hub.close();
    socket.write(body.slice(3));
    await until(
      () => /\r\n\r\nthe hub is shutting down\n$/.test(connection.text()),
      'the answer to the publish',
    );
    assert.match(connection.text(), /^HTTP\/1\.1 503 /, connection.text());
    // A client asking again on that connection must not find the closed hub there.
    await sleep(200);
    if (!socket.destroyed) socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const gone = await Promise.race([connection.ended.then(() => true), sleep(2000).then(() => false)]);
    socket.destroy();
    assert.equal(connection.text().match(/HTTP\/1\.1 \d{3} /g)?.length, 1, connection.text());
    assert.ok(gone, 'the connection ended after its answer');
  });

  it('answers a refused publish whose body never ends, and resets only its stream', async () => {
    await start();
    const answer = await new Promise<{ status: number; body: string; rst: number | undefined }>((resolve) => {
      const stream = session.request({
        ':method': 'POST',
        ':path': '/publish',
        'content-type': 'application/x-www-form-urlencoded',
      });
      let status = 0;
      let body = '';
      stream.on('response', (headers) => {
        status = Number(headers[':status']);
      });
      stream.on('data', (c: Buffer) => {
        body += c.toString();
      });
      stream.on('close', () => resolve({ status, body, rst: stream.rstCode }));
      stream.on('error', () => {});
      stream.write('topic=a&data=');
      // ...and the body never ends.
    });
    assert.equal(answer.status, 401);
    assert.match(answer.body, /token/);
    assert.ok(answer.body.endsWith('\n'));
    assert.equal(answer.rst, constants.NGHTTP2_NO_ERROR);
    assert.equal((await publish('a', 'next')).status, 200, 'the connection still serves');
  });
});
