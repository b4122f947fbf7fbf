/** `herald bench` against a real hub on loopback (small numbers), and against a plain SSE server. */
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { httpRequest, StreamReader, startHub, type TestHub } from '../support/hub.js';
import { herald, Proc, stopAll } from './helpers.js';

after(stopAll);

interface Summary {
  subscribers: number;
  connected: number;
  failedToConnect: number;
  dropped: number;
  published: number;
  publishErrors: number;
  notSent: number;
  deliveries: number;
  deliveredPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  lost: number;
  duplicated: number;
  firstErrors: Record<string, string>;
}

const publishedTotal = async (hub: TestHub): Promise<number> =>
  Number(/^herald_events_published_total (\d+)$/m.exec((await httpRequest(`${hub.url}/metrics`)).body)?.[1]);

describe('herald bench', { timeout: 90_000 }, () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({ monitor: false });
  });
  after(() => hub.close());

  it('20 subscribers, 50 events/s, 2 s: every event reaches every subscriber once', async () => {
    const watcher = await StreamReader.open(`${hub.url}/events?topic=bench/a`);
    await watcher.ready();
    const before = await publishedTotal(hub);
    const run = await herald(
      [
        'bench',
        '--url',
        hub.url,
        '--token',
        hub.token,
        '--topic',
        'bench/a',
        '--subscribers',
        '20',
        '--rate',
        '50',
        '--duration',
        '2',
        '--json',
      ],
      { timeoutMs: 30_000 },
    );
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const summary = JSON.parse(run.stdout) as Summary;
    assert.equal(summary.connected, 20);
    assert.equal(summary.failedToConnect, 0);
    assert.equal(summary.published, 100);
    assert.equal(summary.publishErrors, 0);
    assert.equal(summary.notSent, 0);
    assert.equal(summary.deliveries, 2000);
    assert.equal(summary.lost, 0);
    assert.equal(summary.duplicated, 0);
    assert.equal(summary.dropped, 0);
    assert.ok(
      summary.latencyMs.p50 > 0 && summary.latencyMs.p50 <= summary.latencyMs.p99,
      JSON.stringify(summary),
    );
    assert.ok(summary.latencyMs.p99 <= summary.latencyMs.max);
    assert.ok(summary.deliveredPerSecond > 0);
    assert.deepEqual(summary.firstErrors, {});
    // The hub saw the 100 publishes, and a subscriber of its own got each, numbered 0 to 99 (publishes
    // overlap, so the hub may order them differently).
    assert.equal((await publishedTotal(hub)) - before, 100);
    const events = await watcher.take(100);
    assert.deepEqual(
      events.map((e) => (JSON.parse(e.data) as { seq: number }).seq).sort((a, b) => a - b),
      Array.from({ length: 100 }, (_, i) => i),
    );
    watcher.close();
  });

  it('prints a summary table on stdout; no progress bar on a stderr that is not a terminal', async () => {
    const run = await herald(
      ['bench', '--url', hub.url, '--subscribers', '5', '--rate', '10', '--duration', '1s'],
      { timeoutMs: 30_000, env: { HERALD_TOKEN: hub.token } },
    );
    assert.equal(run.code, 0, run.stderr + run.stdout);
    for (const row of [
      /^herald bench: 5 subscribers, 10 events\/s for 1 s$/m,
      /^ {2}connected {11}5 of 5$/m,
      /^ {2}published {11}10 events, [\d.]+\/s$/m,
      /^ {2}publish errors {6}0$/m,
      /^ {2}not sent {12}0$/m,
      /^ {2}delivered {11}50 events, [\d,]+\/s$/m,
      /^ {2}publish to receive {2}p50 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms$/m,
      /^ {2}lost {16}0$/m,
      /^ {2}duplicated {10}0$/m,
    ]) {
      assert.match(run.stdout, row);
    }
    assert.doesNotMatch(run.stderr, /\r/);
  });

  it('counts losses: subscribers on another topic than the publishes miss every event, exit 1', async () => {
    const run = await herald(
      [
        'bench',
        '--url',
        hub.url,
        '--token',
        hub.token,
        '--topic',
        'bench/published',
        '--stream-url',
        `${hub.url}/events?topic=bench/elsewhere`,
        '--subscribers',
        '3',
        '--rate',
        '10',
        '--duration',
        '1',
        '--json',
      ],
      { timeoutMs: 30_000 },
    );
    assert.equal(run.code, 1, run.stderr);
    const summary = JSON.parse(run.stdout) as Summary;
    assert.equal(summary.published, 10);
    assert.equal(summary.deliveries, 0);
    assert.equal(summary.lost, 30);
  });

  it('Ctrl-C stops publishing early, still counts what was sent and prints the summary', async () => {
    const proc = new Proc(
      [
        'bench',
        '--url',
        hub.url,
        '--token',
        hub.token,
        '--subscribers',
        '5',
        '--rate',
        '20',
        '--duration',
        '60',
        '--json',
      ],
      {},
    );
    await proc.waitFor('stderr', /herald bench: connecting/);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    proc.child.kill('SIGINT');
    const { code } = await proc.exit(15_000);
    assert.equal(code, 1, proc.stderr);
    const summary = JSON.parse(proc.stdout) as Summary;
    assert.ok(summary.published > 0 && summary.notSent > 0, proc.stdout);
    assert.equal(summary.published + summary.notSent + summary.publishErrors, 1200);
    assert.equal(summary.deliveries, summary.published * 5);
    assert.equal(summary.lost, 0);
  });

  it('a refused publish (401) stops the run at once with its reason, exit 1', async () => {
    const before = await publishedTotal(hub);
    const run = await herald(
      [
        'bench',
        '--url',
        hub.url,
        '--token',
        'not-a-token',
        '--subscribers',
        '2',
        '--rate',
        '5',
        '--duration',
        '30',
      ],
      { timeoutMs: 20_000 },
    );
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      /^herald: the hub refused the publish to http:\/\/127\.0\.0\.1:\d+\/publish: HTTP 401: the token is not a well-formed JWT/m,
    );
    assert.match(run.stderr, /--token or HERALD_TOKEN/);
    assert.equal(run.stdout, '', 'no summary of a run that could not publish');
    assert.equal((await publishedTotal(hub)) - before, 0);
  });

  it('without a token: stops at the first refusal, not after the whole duration', async () => {
    const run = await herald(
      ['bench', '--url', hub.url, '--subscribers', '1', '--rate', '2', '--duration', '1h'],
      {
        timeoutMs: 20_000,
      },
    );
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /the hub refused the publish to .*: HTTP 401: /);
  });

  it('streams the hub sheds over its per-client limit: said so with the fix, exit 1', async () => {
    const small = await startHub({ monitor: false, limits: { maxConnectionsPerClient: 3 } });
    try {
      const run = await herald(
        [
          'bench',
          '--url',
          small.url,
          '--token',
          small.token,
          '--subscribers',
          '5',
          '--rate',
          '5',
          '--duration',
          '1',
          '--json',
        ],
        { timeoutMs: 30_000 },
      );
      assert.equal(run.code, 1, run.stderr);
      const summary = JSON.parse(run.stdout) as Summary & { shed: number };
      assert.equal(summary.shed, 2);
      assert.equal(summary.connected, 3);
      assert.equal(summary.lost, 0);
      assert.match(
        run.stderr,
        /^herald bench: 2 of 5 streams were shed: the hub's per-client limit is 3 streams and this machine is one client; run with fewer --subscribers, or start the hub with a higher --max-connections-per-client$/m,
      );
    } finally {
      await small.close();
    }
  });

  const refused: [string, string[], RegExp][] = [
    [
      'a remote URL without --allow-remote',
      ['--url', 'http://example.com'],
      /^herald bench only drives servers on this machine \(loopback\), not example\.com: pass --allow-remote/,
    ],
    [
      'a remote --stream-url',
      ['--stream-url', 'http://192.0.2.1/events'],
      /not 192\.0\.2\.1: pass --allow-remote/,
    ],
    [
      'no subscribers',
      ['--subscribers', '0'],
      /--subscribers must be a whole number from 1 to 50000 \(got "0"\)/,
    ],
    ['too high a rate', ['--rate', '100000'], /--rate must be a whole number from 1 to 10000/],
    ['a zero duration', ['--duration', '0'], /--duration must be from 1 s to 60 min \(got "0"\)/],
    ['a duration that is not one', ['--duration', 'soon'], /--duration: "soon" is not a duration/],
    [
      'too many deliveries to track',
      ['--subscribers', '50000', '--rate', '10000', '--duration', '1h'],
      /deliveries to track; at most 2147483648/,
    ],
    ['a mistyped option', ['--subscriber', '5'], /unknown option --subscriber; did you mean --subscribers\?/],
  ];
  for (const [what, args, reason] of refused) {
    it(`refuses ${what}: one line, exit 2`, async () => {
      const run = await herald(['bench', ...args]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, reason);
      assert.equal(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
      assert.equal(run.stdout, '');
    });
  }

  it('no server at the URL: says so, exit 1', async () => {
    const run = await herald([
      'bench',
      '--url',
      'http://127.0.0.1:1',
      '--subscribers',
      '3',
      '--duration',
      '1',
    ]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /no subscriber could connect to http:\/\/127\.0\.0\.1:1\/events\?topic=bench%2F[0-9a-f]+: no hub is running/,
    );
  });

  it('--help names every option, --allow-remote among them', async () => {
    const run = await herald(['bench', '--help']);
    assert.equal(run.code, 0);
    for (const option of ['url', 'subscribers', 'rate', 'duration', 'token', 'topic', 'allow-remote', 'json'])
      assert.match(run.stdout, new RegExp(`--${option}\\b`));
    assert.match(run.stdout, /Only loopback addresses are driven unless --allow-remote/);
  });
});

describe('herald bench against any SSE server with a POST publish', { timeout: 30_000 }, () => {
  // A bare server that writes every published event twice: the bench must call that duplication.
  const streams = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': hello\n\n');
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return;
    }
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      const data = new URLSearchParams(body).get('data') ?? '';
      for (const stream of streams) stream.write(`data: ${data}\n\ndata: ${data}\n\n`);
      res.end('ok\n');
    });
  });
  let base = '';
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    for (const stream of streams) stream.destroy();
    server.close();
  });

  it('--stream-url and --publish-url drive it; each event received twice is a duplicate', async () => {
    const run = await herald(
      [
        'bench',
        '--stream-url',
        `${base}/stream`,
        '--publish-url',
        `${base}/pub`,
        '--subscribers',
        '4',
        '--rate',
        '10',
        '--duration',
        '1',
        '--json',
      ],
      { timeoutMs: 30_000 },
    );
    assert.equal(run.code, 1, run.stderr);
    const summary = JSON.parse(run.stdout) as Summary;
    assert.equal(summary.connected, 4);
    assert.equal(summary.published, 10);
    assert.equal(summary.deliveries, 40);
    assert.equal(summary.lost, 0);
    assert.equal(summary.duplicated, 40);
  });
});
