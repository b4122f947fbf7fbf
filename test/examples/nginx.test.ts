/**
 * examples/nginx/herald.conf in front of a real hub: a real nginx (Debian's package) run from a temp
 * prefix with its own pid file and logs, on free ports; the system nginx is never touched and only
 * the process started here is stopped, by its pid.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createHub, type HeraldHub } from '../../src/create-hub.js';
import { httpRequest, StreamReader, sleep, TEST_KEY, token } from '../support/hub.js';

const CONFIG = new URL('../../examples/nginx/herald.conf', import.meta.url);
const RETRY_MS = 100;
const SHED_RETRY_MS = 1000;

/** nginx on the PATH, else where Debian puts it (/usr/sbin is not on every user's PATH). */
function findNginx(): string | undefined {
  try {
    execFileSync('sh', ['-c', 'command -v nginx'], { stdio: 'ignore' });
    return 'nginx';
  } catch {
    return existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : undefined;
  }
}

const NGINX = findNginx();
if (NGINX === undefined && process.env.CI) throw new Error('nginx is not installed (.ci/run installs it)');

async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** herald.conf with its two addresses replaced; fails if the file no longer has them once each. */
function configFor(hubPort: number, nginxPort: number): string {
  let text = readFileSync(CONFIG, 'utf8');
  for (const [from, to] of [
    ['server 127.0.0.1:8080;', `server 127.0.0.1:${hubPort};`],
    ['listen 80;', `listen 127.0.0.1:${nginxPort};`],
  ] as const) {
    assert.equal(text.split(from).length, 2, `herald.conf should contain "${from}" once`);
    text = text.replace(from, to);
  }
  return text;
}

/** A minimal nginx.conf around herald.conf: every path inside `prefix`. */
function mainConfig(prefix: string): string {
  const temp = (name: string) => `${name}_temp_path ${join(prefix, 'temp', name)};`;
  return `worker_processes 1;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} warn;
events { worker_connections 256; }
http {
  access_log ${join(prefix, 'access.log')};
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  include ${join(prefix, 'herald.conf')};
}
`;
}

/** Bytes a stalled client's stream is fed: far more than socket buffers and nginx's own buffers hold. */
const FLOOD_BYTES = 48 * 2 ** 20;

/**
 * An event stream of the test server's own, outside /events, with or without X-Accel-Buffering: it
 * writes FLOOD_BYTES at once and resolves `drained` once all of it has left this server.
 */
function floodStream(res: ServerResponse, header: boolean, drained: () => void): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    ...(header ? { 'x-accel-buffering': 'no' } : {}),
  });
  const line = Buffer.from(`:${'x'.repeat(1021)}\n\n`);
  res.write(Buffer.concat(Array.from({ length: FLOOD_BYTES / line.length }, () => line)), () => drained());
}

describe('examples/nginx/herald.conf: Herald behind a real nginx', {
  skip: NGINX === undefined ? 'nginx is not installed' : undefined,
  timeout: 60_000,
}, () => {
  let prefix = '';
  let hub: HeraldHub;
  let server: Server;
  let nginx: ChildProcess | undefined;
  let nginxExited: Promise<void> = Promise.resolve();
  let base = '';
  let publisher = '';
  let hubConnections = 0;
  const probes = new Set<ServerResponse>();
  const drained = new Set<string>();

  const publish = async (topic: string, data: string): Promise<string> => {
    const answer = await httpRequest(`${base}/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${publisher}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ topic, data }).toString(),
    });
    assert.equal(answer.status, 200, answer.body);
    return answer.body.trim();
  };

  before(async () => {
    publisher = await token({ publish: ['**'] });
    hub = createHub({ jwtKey: TEST_KEY, retryMs: RETRY_MS, shedRetryMs: SHED_RETRY_MS, monitor: false });
    server = createServer((req, res) => {
      if (req.url === '/probe/unbuffered' || req.url === '/probe/buffered') {
        const url = req.url;
        probes.add(res);
        floodStream(res, url === '/probe/unbuffered', () => drained.add(url));
      } else hub.handler(req, res);
    });
    server.on('connection', () => hubConnections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const hubPort = (server.address() as AddressInfo).port;

    prefix = mkdtempSync(join(tmpdir(), 'herald-nginx-'));
    chmodSync(prefix, 0o755); // nginx's workers run as an unprivileged user
    mkdirSync(join(prefix, 'temp'));
    const nginxPort = await freePort();
    writeFileSync(join(prefix, 'herald.conf'), configFor(hubPort, nginxPort));
    writeFileSync(join(prefix, 'nginx.conf'), mainConfig(prefix));
    const args = ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')];
    await promisify(execFile)(NGINX!, [...args, '-t', '-q'], { timeout: 10_000 }).catch((error: Error) => {
      throw new Error(`nginx -t refused the config: ${error.message}`);
    });
    const child = spawn(NGINX!, [...args, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
    nginx = child;
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    nginxExited = new Promise((resolve) => child.once('exit', () => resolve()));
    base = `http://127.0.0.1:${nginxPort}`;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const up = await httpRequest(`${base}/healthz`).then(
        (answer) => answer.status === 200,
        () => false,
      );
      if (up) break;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`nginx did not start: ${stderr}`);
      await sleep(50);
    }
  });

  after(async () => {
    for (const res of probes) res.destroy();
    await hub?.close();
    server?.closeAllConnections();
    server?.close();
    if (nginx?.pid !== undefined && nginx.exitCode === null) {
      nginx.kill('SIGTERM'); // the master we started; it stops its own worker
      const stopped = await Promise.race([nginxExited.then(() => true), sleep(5000).then(() => false)]);
      if (!stopped) nginx.kill('SIGKILL');
    }
    if (prefix !== '') rmSync(prefix, { recursive: true, force: true });
  });

  it('a published event reaches a subscriber through nginx at once (nothing buffered)', async () => {
    const reader = await StreamReader.open(`${base}/events?topic=live`);
    assert.equal(reader.status, 200);
    assert.match(String(reader.headers['content-type']), /^text\/event-stream/);
    await reader.ready(2000);
    const id = await publish('live', 'hello through nginx');
    // A small event stuck in a proxy buffer would not arrive at all: 2 s is far more than enough.
    const [event] = await reader.take(1, 2000);
    assert.deepEqual(event, { type: 'message', data: 'hello through nginx', lastEventId: id });
    reader.close();
  });

  it('outside /events, X-Accel-Buffering: no is honoured: a stalled client holds the server back', async () => {
    // Backpressure is what lets the hub cut off a slow consumer. A buffering proxy hides it by
    // soaking up the stream (here into a temp file); the header makes nginx pass it on unbuffered.
    const control = await StreamReader.open(`${base}/probe/buffered`, {}, true);
    const deadline = Date.now() + 10_000;
    while (!drained.has('/probe/buffered') && Date.now() < deadline) await sleep(50);
    assert.ok(drained.has('/probe/buffered'), 'without the header nginx should have buffered the stream');
    control.close();

    const stalled = await StreamReader.open(`${base}/probe/unbuffered`, {}, true);
    await sleep(1500);
    assert.equal(
      drained.has('/probe/unbuffered'),
      false,
      'nginx buffered a stream marked X-Accel-Buffering: no',
    );
    stalled.close();
  });

  it('a stalled subscriber behind nginx is still cut off by the hub (backpressure reaches it)', async () => {
    const stalled = await StreamReader.open(`${base}/events?topic=flood`, {}, true);
    const cutOff = async (): Promise<number> => {
      const metrics = await httpRequest(`${base}/metrics`);
      return Number(/^herald_slow_consumer_disconnects_total (\d+)$/m.exec(metrics.body)?.[1]);
    };
    const before = await cutOff();
    assert.ok(Number.isInteger(before), 'herald_slow_consumer_disconnects_total in /metrics');
    const chunk = 'y'.repeat(200 * 1024);
    // Up to 40 MiB: more than nginx and both sockets hold, so the rest waits in the hub's session.
    for (let i = 0; i < 200 && (i % 10 !== 0 || (await cutOff()) === before); i++) {
      await hub.publish({ topics: 'flood', data: chunk });
    }
    assert.equal(await cutOff(), before + 1);
    stalled.close();
  });

  it('resumes through nginx: Last-Event-ID header and lastEventId query replay exactly what was missed', async () => {
    const ids: string[] = [];
    for (const data of ['one', 'two', 'three']) ids.push(await publish('resume', data));
    const byHeader = await StreamReader.open(`${base}/events?topic=resume`, { 'last-event-id': ids[0]! });
    assert.deepEqual(
      (await byHeader.take(2, 2000)).map((e) => [e.lastEventId, e.data]),
      [
        [ids[1], 'two'],
        [ids[2], 'three'],
      ],
    );
    const byQuery = await StreamReader.open(
      `${base}/events?topic=resume&lastEventId=${encodeURIComponent(ids[1]!)}`,
    );
    assert.deepEqual(
      (await byQuery.take(1, 2000)).map((e) => [e.lastEventId, e.data]),
      [[ids[2], 'three']],
    );
    await sleep(200);
    assert.equal(byHeader.events.length, 2, 'no more than the missed events');
    assert.equal(byQuery.events.length, 1);
    byHeader.close();
    byQuery.close();
  });

  it('publishes reuse kept-alive connections to the hub (HTTP/1.1, Connection cleared)', async () => {
    await publish('keepalive', 'warm'); // opens (or reuses) an idle upstream connection
    const before = hubConnections;
    for (let i = 0; i < 5; i++) await publish('keepalive', `n${i}`);
    assert.equal(hubConnections - before, 0, 'each publish opened a new connection to the hub');
  });

  it("shutdown: the hub's jittered retry: reaches the client through nginx, then the stream ends", async () => {
    const reader = await StreamReader.open(`${base}/events?topic=bye`);
    await reader.ready(2000);
    await hub.close();
    await Promise.race([reader.ended, sleep(5000).then(() => assert.fail('the stream did not end'))]);
    assert.equal(reader.retries[0], RETRY_MS);
    const last = reader.retries[1];
    assert.equal(reader.retries.length, 2, reader.raw);
    assert.ok(last !== undefined && last >= SHED_RETRY_MS && last < 2 * SHED_RETRY_MS, `retry ${last}`);
  });
});
