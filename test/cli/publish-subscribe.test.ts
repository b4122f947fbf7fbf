import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, herald, Proc, type RunningHub, startHub, stopAll } from './helpers.js';

const KEY = 'a-test-key-that-is-long-enough-for-hs256!';

after(stopAll);

/** `herald subscribe` against `hub`, resolved once it is connected. */
async function subscriber(
  hub: RunningHub,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<Proc> {
  const proc = new Proc(['subscribe', '--url', hub.url, ...args], { env });
  await proc.waitFor('stderr', /subscribed to /);
  return proc;
}

describe('herald serve without a key, publish and subscribe', { timeout: 30_000 }, () => {
  let hub: RunningHub;
  before(async () => {
    hub = await startHub();
  });
  after(async () => {
    hub.proc.child.kill('SIGTERM');
    await hub.proc.exit();
  });

  it('the printed token publishes; subscribe --json --count receives the event and exits 0', async () => {
    assert.ok(hub.token);
    const sub = await subscriber(hub, ['--json', '--count', '1', 'demo/**']);
    const pub = await herald([
      'publish',
      '--url',
      hub.url,
      '--token',
      hub.token,
      'demo/greeting',
      'hello, world',
    ]);
    assert.equal(pub.code, 0, pub.stderr);
    assert.match(pub.stdout, /^\S+\n$/, 'the id on a line of its own, once');
    const id = pub.stdout.trimEnd();
    assert.equal((await sub.exit()).code, 0, sub.stderr);
    assert.deepEqual(sub.jsonLines(), [{ type: 'message', id, data: 'hello, world' }]);
  });

  it('publish: --type, extra --topic, data from stdin (HERALD_TOKEN); human output of subscribe', async () => {
    const sub = await subscriber(hub, ['--count', '2', 'multi/a', 'multi/b']);
    const env = { HERALD_TOKEN: hub.token!, HERALD_URL: hub.url };
    const one = await herald(['publish', '--type', 'note', '--topic', 'multi/b', 'multi/a', '-'], {
      env,
      input: 'line one\nline two\n',
    });
    assert.equal(one.code, 0, one.stderr);
    const two = await herald(['publish', '--topic', 'multi/b', 'second'], { env });
    assert.equal(two.code, 0, two.stderr);
    assert.equal((await sub.exit()).code, 0, sub.stderr);
    // Published to both topics, the first event still arrives once.
    assert.equal(
      sub.stdout,
      `[note] ${one.stdout.trim()} line one\n  line two\n[message] ${two.stdout.trim()} second\n`,
    );
  });

  it('publish --idempotency-key: the same key again prints the first id and publishes nothing', async () => {
    const sub = await subscriber(hub, ['--json', '--count', '2', 'keyed']);
    const env = { HERALD_TOKEN: hub.token!, HERALD_URL: hub.url };
    const run = (data: string) =>
      herald(['publish', '--idempotency-key', `cli-${data}`, 'keyed', data], { env });
    const first = await run('one');
    const again = await run('one');
    const other = await run('two');
    for (const r of [first, again, other]) assert.equal(r.code, 0, r.stderr);
    assert.equal(again.stdout, first.stdout, 'the first id');
    assert.equal((await sub.exit()).code, 0, sub.stderr);
    assert.deepEqual(
      sub.jsonLines().map((e) => [e.id, e.data]),
      [
        [first.stdout.trim(), 'one'],
        [other.stdout.trim(), 'two'],
      ],
      'the retry delivered nothing',
    );
  });

  it('subscribe --last-event-id replays what came after it', async () => {
    const env = { HERALD_TOKEN: hub.token!, HERALD_URL: hub.url };
    const first = await herald(['publish', 'replay/x', 'first'], { env });
    const second = await herald(['publish', 'replay/x', 'second'], { env });
    const sub = new Proc(
      ['subscribe', '--json', '--count', '1', '--last-event-id', first.stdout.trim(), 'replay/x'],
      {
        env,
      },
    );
    assert.equal((await sub.exit()).code, 0, sub.stderr);
    assert.deepEqual(sub.jsonLines(), [{ type: 'message', id: second.stdout.trim(), data: 'second' }]);
  });

  it('a subscription the hub refuses: its reason, exit 1', async () => {
    const { code, stderr } = await herald(['subscribe', '--url', hub.url, 'a//b']);
    assert.equal(code, 1);
    assert.match(stderr, /the hub refused the subscription \(400\): .*empty segment/);
  });

  it('subscribe stops cleanly on SIGINT', async () => {
    const sub = await subscriber(hub, ['quiet/topic']);
    sub.child.kill('SIGINT');
    assert.equal((await sub.exit()).code, 0);
  });

  it('publish without a token: the reason (401) and a hint to mint one', async () => {
    const { code, stderr, stdout } = await herald(['publish', '--url', hub.url, 'demo/x', 'data']);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(stderr, /^herald: publish refused \(401\): missing publisher token/);
    assert.match(stderr, /\nhint: mint a token with: herald token --publish/);
  });

  it('publish to a reserved topic: the hub says why', async () => {
    const { code, stderr } = await herald([
      'publish',
      '--url',
      hub.url,
      '--token',
      hub.token!,
      '$SYS/x',
      'data',
    ]);
    assert.equal(code, 1);
    assert.match(stderr, /publish refused \(403\): topic "\$SYS\/x" is reserved/);
  });
});

describe('herald token', { timeout: 30_000 }, () => {
  let hub: RunningHub;
  before(async () => {
    hub = await startHub(['--jwt-key', KEY]);
  });
  after(async () => {
    hub.proc.child.kill('SIGTERM');
    await hub.proc.exit();
  });

  it('mints a publisher token the hub accepts', async () => {
    const minted = await herald(['token', '--publish', 'news/**', '--ttl', '1h', '--subject', 'test'], {
      env: { HERALD_JWT_KEY: KEY },
    });
    assert.equal(minted.code, 0, minted.stderr);
    const token = minted.stdout.trim();
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    assert.deepEqual(payload.herald, { publish: ['news/**'] });
    assert.equal(payload.sub, 'test');
    assert.equal((payload.exp as number) - (payload.iat as number), 3600);
    const pub = await herald(['publish', '--url', hub.url, '--token', token, 'news/world', 'hi']);
    assert.equal(pub.code, 0, pub.stderr);
  });

  it("a topic outside the token's publish claim: the reason (403) and a hint", async () => {
    const token = (await herald(['token', '--publish', 'news/**', '--jwt-key', KEY])).stdout.trim();
    const { code, stderr } = await herald(['publish', '--url', hub.url, '--token', token, 'sports/x', 'hi']);
    assert.equal(code, 1);
    assert.match(stderr, /^herald: publish refused \(403\): the token may not publish to "sports\/x"/);
    assert.match(stderr, /\nhint: the token's publish claim does not cover the topic/);
  });

  it('a token signed with another key: the reason (401) and a hint', async () => {
    const token = (await herald(['token', '--publish', '**', '--jwt-key', `${KEY}-other`])).stdout.trim();
    const { code, stderr } = await herald(['publish', '--url', hub.url, '--token', token, 'news/x', 'hi']);
    assert.equal(code, 1);
    assert.match(stderr, /publish refused \(401\): the token's signature does not match this hub's key/);
    assert.match(stderr, /\nhint: mint a token with: herald token/);
    assert.match(stderr, /a hub started without --jwt-key signs with a random key.*HERALD_JWT_KEY=/);
  });

  it('a subscriber token admits private events', async () => {
    const env = { HERALD_JWT_KEY: KEY };
    const reader = (await herald(['token', '--subscribe', 'inbox/42/**'], { env })).stdout.trim();
    const writer = (await herald(['token', '--publish', 'inbox/**'], { env })).stdout.trim();
    const allowed = await subscriber(hub, ['--json', '--count', '1', '--token', reader, 'inbox/42/**']);
    const outsider = await subscriber(hub, ['--json', 'inbox/42/**']);
    const secret = await herald([
      'publish',
      '--url',
      hub.url,
      '--token',
      writer,
      '--private',
      'inbox/42/a',
      'secret',
    ]);
    assert.equal(secret.code, 0, secret.stderr);
    const open = await herald(['publish', '--url', hub.url, '--token', writer, 'inbox/42/b', 'public']);
    assert.equal((await allowed.exit()).code, 0);
    assert.deepEqual(allowed.jsonLines(), [{ type: 'message', id: secret.stdout.trim(), data: 'secret' }]);
    await outsider.waitFor('stdout', /public/);
    outsider.child.kill('SIGINT');
    await outsider.exit();
    assert.deepEqual(outsider.jsonLines(), [{ type: 'message', id: open.stdout.trim(), data: 'public' }]);
  });

  const bad: [string, string[], Record<string, string>, RegExp][] = [
    ['no key', ['--publish', 'a'], {}, /needs the hub's key: pass --jwt-key KEY or set HERALD_JWT_KEY/],
    ['a short key', ['--publish', 'a', '--jwt-key', 'short'], {}, /--jwt-key must be at least 32 bytes/],
    ['no claims', [], { HERALD_JWT_KEY: KEY }, /pass --publish 'TOPIC' and\/or --subscribe 'TOPIC'/],
    [
      'a bad selector',
      ['--subscribe', 'a/**/b'],
      { HERALD_JWT_KEY: KEY },
      /--subscribe: "\*\*" may only be the last/,
    ],
    [
      'a bad ttl',
      ['--publish', 'a', '--ttl', 'soon'],
      { HERALD_JWT_KEY: KEY },
      /--ttl: "soon" is not a duration/,
    ],
  ];
  it('without a key: says how to get one the hub and herald token share', async () => {
    const { code, stderr } = await herald(['token', '--publish', 'a']);
    assert.equal(code, 2);
    const [reason, hint, ...more] = stderr.trimEnd().split('\n');
    assert.match(reason!, /^herald token needs the hub's key/);
    assert.match(hint!, /^hint: a hub started without --jwt-key signs with a random key it never shows/);
    assert.match(hint!, /start the hub with one and give herald token the same: export HERALD_JWT_KEY=/);
    assert.deepEqual(more, []);
  });

  for (const [what, args, env, reason] of bad) {
    it(`exits 2 with the reason: ${what}`, async () => {
      const { code, stderr, stdout } = await herald(['token', ...args], { env });
      assert.equal(code, 2);
      assert.equal(stdout, '');
      assert.match(stderr, reason);
    });
  }
});

describe('the client commands without a hub', { timeout: 10_000 }, () => {
  it('publish: says no hub is running at that URL, exit 1', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { code, stderr } = await herald(['publish', '--url', url, '--token', 'x', 'a', 'b']);
    assert.equal(code, 1);
    assert.match(
      stderr,
      new RegExp(`^herald: no hub is running at ${url} \\(connection refused\\)\\nhint: start one`),
    );
  });

  it('publish: a bad --url or a missing argument exits 2', async () => {
    const url = await herald(['publish', '--url', 'localhost:8080', 'a', 'b']);
    assert.equal(url.code, 2);
    assert.match(url.stderr, /--url must be an http:\/\/ or https:\/\/ URL/);
    const args = await herald(['publish', 'only-topic']);
    assert.equal(args.code, 2);
    assert.match(args.stderr, /herald publish takes <topic> <data>/);
    const retry = await herald(['publish', '--retry', 'soon', 'a', 'b']);
    assert.equal(retry.code, 2);
    assert.match(retry.stderr, /--retry must be a whole number >= 0/);
  });

  it('subscribe: keeps retrying and says why; no topic exits 2', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const sub = new Proc(['subscribe', '--url', url, 'a']);
    await sub.waitFor(
      'stderr',
      new RegExp(`no hub is running at ${url} \\(connection refused\\); reconnecting in`),
    );
    sub.child.kill('SIGINT');
    assert.equal((await sub.exit()).code, 0);
    const none = await herald(['subscribe', '--json']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /name at least one topic/);
  });
});
