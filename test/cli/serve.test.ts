import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { HUB_DEFAULTS } from '../../src/create-hub.js';
import { DEFAULT_LIMITS } from '../../src/hub/limits.js';
import type { StatsSnapshot } from '../../src/monitor/snapshot.js';
import { StreamReader } from '../support/hub.js';
import { herald, type RunningHub, startHub, stopAll } from './helpers.js';

const KEY = 'k'.repeat(40);

after(stopAll);

describe('herald serve', { timeout: 60_000 }, () => {
  it('listens on the port 0 picked, says where, and serves /healthz and the monitor page', async () => {
    const hub = await startHub();
    const started = hub.proc.jsonLines()[0]!;
    assert.equal(started.url, `http://127.0.0.1:${hub.port}/`);
    assert.ok(hub.port > 0);
    const health = await fetch(`${hub.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    const page = await fetch(`${hub.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    await page.text();
    // The seed article's stream, from the monitor's snapshots.
    const stats = await fetch(`${hub.url}/stats`, { headers: { accept: 'text/event-stream' } });
    assert.equal(stats.status, 200);
    const reader = stats.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const deadline = Date.now() + 5000;
    while (!/event: uptime\ndata: \d+\n/.test(text) && Date.now() < deadline)
      text += (await reader.read()).value ?? '';
    assert.match(text, /event: connections\ndata: [1-9]\d*\n/);
    await reader.cancel();
    hub.proc.child.kill('SIGTERM');
    assert.equal((await hub.proc.exit()).code, 0);
  });

  it('with no key, prints a publisher token and ready curl commands for this hub', async () => {
    const hub = await startHub();
    const notice = hub.proc.jsonLines().find((line) => line.token !== undefined)!;
    assert.match(String(notice.token), /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.match(String(notice.curlPublish), new RegExp(`Bearer ${notice.token}.*${hub.url}/publish`));
    assert.match(String(notice.curlSubscribe), new RegExp(`${hub.url}/events\\?topic=`));
    hub.proc.child.kill('SIGTERM');
    assert.equal((await hub.proc.exit()).code, 0);
  });

  it("with no key, prints export lines on stderr that make the README's curl publish work as is", async () => {
    const hub = await startHub();
    await hub.proc.waitFor('stderr', /^export HERALD_URL=/m);
    const lines = hub.proc.stderr.trimEnd().split('\n');
    assert.deepEqual(lines, [`export HERALD_TOKEN=${hub.token}`, `export HERALD_URL=${hub.url}`]);
    assert.doesNotMatch(hub.proc.stdout, /^export/m, 'stdout stays JSON lines');
    // The README's publish command, pointed at this hub, after pasting the lines into a shell.
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const curl = /^curl -d [^\n]*\$HERALD_TOKEN[^\n]*\\\n\s*http:\/\/127\.0\.0\.1:8080\/publish$/m.exec(
      readme,
    )?.[0];
    assert.ok(curl, "the README's curl publish command");
    const script = `${lines.join('\n')}\n${curl.replace('http://127.0.0.1:8080', '"$HERALD_URL"')}\n`;
    const reader = await fetch(`${hub.url}/events?topic=news/world`, {
      headers: { accept: 'text/event-stream' },
    });
    const published = spawnSync('sh', ['-c', script], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(published.status, 0, published.stderr);
    const id = published.stdout.trim();
    assert.match(id, /^\S+$/);
    const stream = reader.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('data: Hello\n')) text += (await stream.read()).value ?? '';
    assert.match(text, new RegExp(`id: ${id}\ndata: Hello\n`));
    await stream.cancel();
    hub.proc.child.kill('SIGTERM');
    assert.equal((await hub.proc.exit()).code, 0);
  });

  it('with a key from HERALD_JWT_KEY, prints no token; --port wins over HERALD_PORT', async () => {
    const hub = await startHub([], { HERALD_JWT_KEY: KEY, HERALD_PORT: '1' });
    assert.equal(hub.token, undefined);
    assert.doesNotMatch(hub.proc.stdout, /"token"/);
    assert.doesNotMatch(hub.proc.stderr, /export/);
    hub.proc.child.kill('SIGINT');
    assert.equal((await hub.proc.exit()).code, 0);
  });

  it('limits and CORS origins from flags and HERALD_CORS_ORIGINS reach the hub', async () => {
    const hub = await startHub(['--max-topics-per-subscription', '1', '--cors-origin', 'https://a.example'], {
      HERALD_CORS_ORIGINS: 'https://ignored.example',
    });
    const two = await fetch(`${hub.url}/events?topic=a&topic=b`, {
      headers: { accept: 'text/event-stream' },
    });
    assert.equal(two.status, 400);
    assert.match(await two.text(), /at most 1 topics per subscription/);
    const cors = async (url: string, origin: string) =>
      (await fetch(`${url}/healthz`, { headers: { origin } })).headers.get('access-control-allow-origin');
    assert.equal(await cors(hub.url, 'https://a.example'), 'https://a.example');
    assert.equal(await cors(hub.url, 'https://ignored.example'), null); // the flag wins over the variable
    hub.proc.child.kill('SIGTERM');
    assert.equal((await hub.proc.exit()).code, 0);

    const fromEnv = await startHub([], { HERALD_CORS_ORIGINS: 'https://b.example, https://c.example' });
    assert.equal(await cors(fromEnv.url, 'https://c.example'), 'https://c.example');
    assert.equal(await cors(fromEnv.url, 'https://a.example'), null);
    fromEnv.proc.child.kill('SIGTERM');
    assert.equal((await fromEnv.proc.exit()).code, 0);
  });

  it('--help lists every option with its default', async () => {
    const { code, stdout } = await herald(['serve', '--help']);
    assert.equal(code, 0);
    const flat = stdout.replace(/\n\s+/g, ' ');
    const expect = (option: string, value: number | string): void => {
      assert.match(flat, new RegExp(`--${option} [A-Z]+ [^\\n]*\\[default: ${value}[\\] ]`), `--${option}`);
    };
    expect('port', 8080);
    expect('host', '127\\.0\\.0\\.1');
    expect('history-events', HUB_DEFAULTS.history.maxEvents);
    expect('history-bytes', HUB_DEFAULTS.history.maxBytes);
    for (const [name, value] of Object.entries(DEFAULT_LIMITS)) {
      expect(
        name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
        value,
      );
    }
    expect('retry', HUB_DEFAULTS.retryMs);
    expect('heartbeat', HUB_DEFAULTS.heartbeatMs);
    expect('log-level', 'info');
    assert.match(flat, /--jwt-key KEY .*HERALD_JWT_KEY/);
    assert.match(flat, /--cors-origin ORIGIN .*HERALD_CORS_ORIGINS.*repeatable/);
    assert.match(flat, /--private-topics SELECTOR .*HERALD_PRIVATE_TOPICS.*repeatable/);
    assert.match(flat, /--monitor-processes .*\[env: HERALD_MONITOR_PROCESSES\]/);
  });

  it("lists this machine's processes in the public monitor of a hub on 0.0.0.0 only with --monitor-processes or HERALD_MONITOR_PROCESSES", async () => {
    const hubs = await Promise.all([
      startHub(['--host', '0.0.0.0', '--jwt-key', KEY]),
      startHub(['--host', '0.0.0.0', '--jwt-key', KEY, '--monitor-processes']),
      startHub(['--host', '0.0.0.0', '--jwt-key', KEY], { HERALD_MONITOR_PROCESSES: 'true' }),
    ]);
    // The list needs two readings of /proc (CPU is a difference): three snapshots are enough.
    const snapshots = async (hub: RunningHub): Promise<StatsSnapshot[]> => {
      const reader = await StreamReader.open(`${hub.url}/events?topic=${encodeURIComponent('$SYS/stats')}`);
      await reader.take(3, 10_000);
      reader.close();
      return reader.events.map((e) => JSON.parse(e.data) as StatsSnapshot);
    };
    const [hidden, flagged, fromEnv] = await Promise.all(hubs.map(snapshots));
    assert.ok(
      hidden!.every((s) => s.top === undefined),
      'no process list for anonymous viewers beyond loopback',
    );
    assert.ok(flagged!.some((s) => (s.top?.length ?? 0) > 0));
    assert.ok(fromEnv!.some((s) => (s.top?.length ?? 0) > 0));
    for (const hub of hubs) hub.proc.child.kill('SIGTERM');
    for (const hub of hubs) assert.equal((await hub.proc.exit()).code, 0);
  });

  it('a port in use: says so and what to do, exit 1', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const { code, stderr, stdout } = await herald(['serve', '--port', String(port)]);
      assert.equal(code, 1, stdout + stderr);
      assert.equal(stderr, `herald: port ${port} is in use: stop the other process or pass --port N\n`);
    } finally {
      blocker.close();
    }
  });

  const bad: [string, string[], Record<string, string>, RegExp][] = [
    [
      'a port that is not a number',
      ['--port', 'abc'],
      {},
      /--port must be a whole number from 0 to 65535 \(got "abc"\)/,
    ],
    ['a port out of range', ['--port', '70000'], {}, /--port must be/],
    ['a bad port in the environment', [], { HERALD_PORT: 'x' }, /HERALD_PORT must be/],
    [
      'a negative limit',
      ['--max-connections=-5'],
      {},
      /--max-connections must be a whole number >= 1 \(got "-5"\)/,
    ],
    ['a negative limit without =', ['--max-event-bytes', '-5'], {}, /--max-event-bytes needs a value/],
    ['a fractional history', ['--history-events', '1.5'], {}, /--history-events must be/],
    ['a short key', ['--jwt-key', 'short'], {}, /--jwt-key must be at least 32 bytes \(got 5\)/],
    [
      'a short key in the environment',
      [],
      { HERALD_JWT_KEY: 'short' },
      /HERALD_JWT_KEY must be at least 32 bytes/,
    ],
    [
      'a public host without a key',
      ['--host', '0.0.0.0'],
      {},
      /--host 0\.0\.0\.0 needs an explicit --jwt-key/,
    ],
    ['an unknown log level', ['--log-level', 'loud'], {}, /--log-level must be one of fatal, error/],
    [
      'a flag variable that is no yes or no',
      [],
      { HERALD_MONITOR_PROCESSES: 'maybe' },
      /^herald: HERALD_MONITOR_PROCESSES must be 1, true or yes, or 0, false or no \(got "maybe"\)\n$/,
    ],
    ['an unknown option', ['--bogus'], {}, /unknown option --bogus.*herald serve --help/],
    [
      'a mistyped option',
      ['--prot', '1'],
      {},
      /^herald serve: unknown option --prot; did you mean --port\?\n$/,
    ],
    [
      'a mistyped option with =',
      ['--prot=1'],
      {},
      /^herald serve: unknown option --prot; did you mean --port\?\n$/,
    ],
    ['a swapped letter', ['--hsot', 'x'], {}, /did you mean --host\?/],
    ['a dropped letter', ['--max-conections', '5'], {}, /did you mean --max-connections\?/],
    ['the start of a long option', ['--history-e', '5'], {}, /did you mean --history-events\?/],
    [
      'an ambiguous start',
      ['--max-conn', '5'],
      {},
      /unknown option --max-conn \(a value that starts with "-"/,
    ],
    ['a missing value', ['--port'], {}, /--port needs a value/],
    ['a certificate without its key', ['--tls-cert', 'cert.pem'], {}, /--tls-cert needs --tls-key too/],
    [
      'a certificate file that is not there',
      ['--tls-cert', '/nonexistent/cert.pem', '--tls-key', '/nonexistent/key.pem'],
      {},
      /--tls-cert \/nonexistent\/cert\.pem: no such file/,
    ],
    [
      'a malformed private namespace',
      ['--private-topics', 'a/**/b'],
      {},
      /--private-topics: "\*\*" may only be the last segment/,
    ],
    ['an argument', ['extra'], {}, /takes no arguments/],
  ];
  for (const [what, args, env, reason] of bad) {
    it(`exits 2 with one line naming the option: ${what}`, async () => {
      const { code, stderr, stdout } = await herald(['serve', ...args], { env });
      assert.equal(code, 2, stdout + stderr);
      assert.match(stderr, reason);
      assert.equal(stderr.trimEnd().split('\n').length, 1, stderr);
      assert.equal(stdout, '');
    });
  }
});

describe('herald', { timeout: 10_000 }, () => {
  it('--help lists the commands', async () => {
    const { code, stdout } = await herald(['--help']);
    assert.equal(code, 0);
    for (const command of ['serve', 'publish', 'subscribe', 'token', 'bench'])
      assert.match(stdout, new RegExp(`\\n  ${command} `));
  });

  it('help <command> is <command> --help', async () => {
    const a = await herald(['help', 'publish']);
    const b = await herald(['publish', '--help']);
    assert.equal(a.code, 0);
    assert.equal(a.stdout, b.stdout);
    assert.match(a.stdout, /Usage: herald publish <topic> <data>/);
  });

  it('--version prints the package version', async () => {
    const { code, stdout } = await herald(['--version']);
    assert.equal(code, 0);
    assert.match(stdout, /^\d+\.\d+\.\d+/);
  });

  it('an unknown command: one line, exit 2', async () => {
    const { code, stderr } = await herald(['frobnicate']);
    assert.equal(code, 2);
    assert.equal(
      stderr,
      'herald: unknown command "frobnicate": the commands are serve, publish, subscribe, token, bench; see: herald --help\n',
    );
  });

  it('a mistyped command: suggests the nearest one, exit 2', async () => {
    const { code, stderr } = await herald(['serv']);
    assert.equal(code, 2);
    assert.equal(stderr, 'herald: unknown command "serv"; did you mean serve? (see: herald --help)\n');
    assert.match((await herald(['pubilsh'])).stderr, /did you mean publish\?/);
  });

  it('no command: the help, exit 2', async () => {
    const { code, stdout } = await herald([]);
    assert.equal(code, 2);
    assert.match(stdout, /Usage: herald <command>/);
  });
});
