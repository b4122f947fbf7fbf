import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createClient } from '@redis/client';
import { MemoryLog } from '../../src/log/memory.js';
import { openStore, parseStoreUrl, StoreOpenError, StoreUrlError } from '../../src/log/open-store.js';
import { RedisLog } from '../../src/log/redis/redis-log.js';
import { SqliteLog } from '../../src/log/sqlite.js';
import { freePort, redisUnavailable, startRedis } from '../support/redis.js';

const event = (data: string) => ({ topics: ['t'], data, private: false });
const folders: string[] = [];
after(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function assertOneLine(
  error: unknown,
  type: typeof StoreOpenError | typeof StoreUrlError,
  pattern: RegExp,
): true {
  assert.ok(error instanceof type, `${String(error)} is a ${type.name}`);
  assert.match(error.message, pattern);
  assert.equal(error.message.includes('\n'), false, 'one line');
  return true;
}

describe('store URLs', () => {
  it('parses the accepted forms', () => {
    assert.deepEqual(parseStoreUrl('memory'), { kind: 'memory' });
    assert.deepEqual(parseStoreUrl('sqlite:./herald.db'), {
      kind: 'sqlite',
      path: './herald.db',
      synchronous: 'NORMAL',
    });
    assert.deepEqual(parseStoreUrl('sqlite:/var/lib/herald.db'), {
      kind: 'sqlite',
      path: '/var/lib/herald.db',
      synchronous: 'NORMAL',
    });
    assert.deepEqual(parseStoreUrl('sqlite:///var/lib/herald.db?synchronous=full'), {
      kind: 'sqlite',
      path: '/var/lib/herald.db',
      synchronous: 'FULL',
    });
    assert.deepEqual(parseStoreUrl('redis://127.0.0.1:6380'), {
      kind: 'redis',
      url: 'redis://127.0.0.1:6380',
      stream: 'herald',
    });
    assert.deepEqual(parseStoreUrl('rediss://u:p@cache.example:6380/2?stream=news'), {
      kind: 'redis',
      url: 'rediss://u:p@cache.example:6380/2?stream=news',
      stream: 'news',
    });
  });

  it('refuses malformed URLs with a one-line reason naming the accepted forms', () => {
    const cases: [string, RegExp][] = [
      [
        'postgres://db/herald',
        /unknown store "postgres:\/\/db\/herald" \(accepted: memory, sqlite:PATH\[\?synchronous=full\], redis:\/\//,
      ],
      ['', /unknown store ""/],
      ['sqlite:', /the SQLite path is empty/],
      ['sqlite://host/file.db', /use sqlite:PATH/],
      ['sqlite:./h.db?synchronous=off', /the only SQLite option is synchronous=normal or synchronous=full/],
      ['sqlite:./h.db?mode=wal', /the only SQLite option/],
      ['redis://', /not a valid Redis URL|no host/],
      ['redis://host:99999', /not a valid Redis URL/],
      ['redis://host:6379/zero', /database must be a number/],
      ['redis://host:6379?db=1', /unknown Redis URL parameter "db" \(only stream=NAME\)/],
      ['redis://host:6379?stream=', /stream name in the Redis URL is empty/],
    ];
    for (const [url, reason] of cases)
      assert.throws(
        () => parseStoreUrl(url),
        (error) => assertOneLine(error, StoreUrlError, reason),
        url,
      );
  });

  it('openStore refuses a malformed URL before opening anything', async () => {
    await assert.rejects(openStore('mysql://x'), StoreUrlError);
  });

  it('opens memory, and sqlite relative to the working directory', async () => {
    const memory = await openStore('memory', { maxEvents: 2 });
    assert.ok(memory instanceof MemoryLog);
    for (let i = 0; i < 3; i++) await memory.append(event(String(i)));
    assert.equal(memory.size().events, 2, 'the retention given applies');
    await memory.close();

    const folder = mkdtempSync(join(tmpdir(), 'herald-open-'));
    folders.push(folder);
    const cwd = process.cwd();
    process.chdir(folder);
    try {
      const log = await openStore('sqlite:data/herald.db', { maxEvents: 5 });
      assert.ok(log instanceof SqliteLog);
      await log.append(event('x'));
      await log.close();
    } finally {
      process.chdir(cwd);
    }
    assert.ok(existsSync(join(folder, 'data', 'herald.db')));
  });

  it('loads better-sqlite3 or the Redis client only when a store of theirs is opened', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'herald-lazy-'));
    folders.push(folder);
    // A process of its own: this one has loaded both drivers already.
    const script = `
      import { createRequire } from 'node:module';
      const drivers = () => Object.keys(createRequire(import.meta.url).cache)
        .map((path) => /node_modules\\/(better-sqlite3|@redis\\/client)\\//.exec(path)?.[1])
        .filter((name, i, all) => name !== undefined && all.indexOf(name) === i);
      const { createHub, openStore } = await import(${JSON.stringify(new URL('../../src/index.ts', import.meta.url).href)});
      await createHub().close();
      const loaded = [drivers()];
      await (await openStore(${JSON.stringify(`sqlite:${join(folder, 'lazy.db')}`)})).close();
      loaded.push(drivers());
      console.log(JSON.stringify(loaded));`;
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      script,
    ]);
    assert.deepEqual(JSON.parse(stdout), [[], ['better-sqlite3']]);
  });

  it('a SQLite file that cannot be opened is a StoreOpenError', async () => {
    await assert.rejects(openStore('sqlite:/proc/herald/x.db'), (error) =>
      assertOneLine(error, StoreOpenError, /cannot create its folder/),
    );
  });
});

describe('store URLs for Redis', { skip: redisUnavailable }, () => {
  it('opens a Redis store with its database and stream', async () => {
    const redis = await startRedis();
    const admin = createClient({ url: redis.url, RESP: 2 });
    admin.on('error', () => {});
    try {
      const log = await openStore(`${redis.url}/3?stream=news`, { maxEvents: 100 });
      assert.ok(log instanceof RedisLog);
      const stored = await log.append(event('in db 3'));
      await log.close();
      await admin.connect();
      await admin.sendCommand(['SELECT', '3']);
      const entries = await admin.sendCommand<[string, string[]][]>(['XRANGE', 'news', '-', '+']);
      assert.deepEqual(
        entries.map(([id]) => id),
        [stored.id],
      );
      await admin.sendCommand(['SELECT', '0']);
      assert.equal(await admin.sendCommand(['EXISTS', 'news']), 0);
    } finally {
      admin.destroy();
      await redis.stop();
    }
  });

  it('passes a password (and a user), and says so when it is wrong', async () => {
    const redis = await startRedis({ args: ['--requirepass', 's3cret/pw'] });
    try {
      for (const url of [
        `redis://:${encodeURIComponent('s3cret/pw')}@127.0.0.1:${redis.port}`,
        `redis://default:${encodeURIComponent('s3cret/pw')}@127.0.0.1:${redis.port}`,
      ]) {
        const log = await openStore(url, {});
        await log.append(event('authenticated'));
        await log.close();
      }
      await assert.rejects(openStore(`redis://:wrong@127.0.0.1:${redis.port}`, {}), (error) =>
        assertOneLine(
          error,
          StoreOpenError,
          /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ .*(WRONGPASS|invalid)/i,
        ),
      );
      await assert.rejects(
        openStore(`redis://127.0.0.1:${redis.port}`, {}),
        (error) => assertOneLine(error, StoreOpenError, /NOAUTH|Authentication required/i),
        'no password',
      );
    } finally {
      await redis.stop();
    }
  });

  it('speaks TLS with rediss:// and checks the certificate', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'herald-tls-'));
    folders.push(folder);
    const cert = join(folder, 'cert.pem');
    const key = join(folder, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const tlsPort = await freePort();
    const redis = await startRedis({
      args: [
        '--tls-port',
        String(tlsPort),
        '--tls-cert-file',
        cert,
        '--tls-key-file',
        key,
        '--tls-ca-cert-file',
        cert,
        '--tls-auth-clients',
        'no',
      ],
    });
    try {
      const url = `rediss://127.0.0.1:${tlsPort}?stream=secure`;
      const log = await RedisLog.open({ url, tls: { ca: readFileSync(cert) }, timeoutMs: 2000 });
      const stored = await log.append(event('over TLS'));
      assert.deepEqual(
        (await log.readAfter('0-0', () => true, 10)).events.map((e) => e.id),
        [stored.id],
      );
      await log.close();
      // Without the private CA, the self-signed certificate is refused.
      await assert.rejects(openStore(url, {}, { timeoutMs: 1000 }), (error) =>
        assertOneLine(
          error,
          StoreOpenError,
          /cannot reach Redis at rediss:\/\/127\.0\.0\.1:\d+ .*(self.signed|certificate)/i,
        ),
      );
    } finally {
      await redis.stop();
    }
  });

  it('an unreachable Redis is a StoreOpenError within the bound', async () => {
    const port = await freePort(); // Nothing listens there.
    const started = performance.now();
    await assert.rejects(openStore(`redis://127.0.0.1:${port}`, {}, { timeoutMs: 500 }), (error) =>
      assertOneLine(
        error,
        StoreOpenError,
        new RegExp(`cannot reach Redis at redis://127\\.0\\.0\\.1:${port} .*ECONNREFUSED`),
      ),
    );
    assert.ok(performance.now() - started < 1500, 'refused within the bound');
  });

  it('a Redis that accepts connections but answers nothing is a StoreOpenError within the bound', async () => {
    const redis = await startRedis();
    redis.pause();
    try {
      const started = performance.now();
      await assert.rejects(openStore(redis.url, {}, { timeoutMs: 500 }), (error) =>
        assertOneLine(error, StoreOpenError, /cannot reach Redis at .*did not answer/),
      );
      assert.ok(performance.now() - started < 1500, 'refused within the bound');
    } finally {
      redis.resume();
      await redis.stop();
    }
  });
});
