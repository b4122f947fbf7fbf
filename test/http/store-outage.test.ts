// A store outage seen from outside: /healthz, herald_store_up, the hub's log lines and the
// monitor's figures, while a real redis-server is killed and started again, and while a SQLite
// log's disk is full (a small tmpfs of the test's own, filled up, then freed).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openHub } from '../../src/create-hub.js';
import { RedisLog } from '../../src/log/redis/redis-log.js';
import { SqliteLog } from '../../src/log/sqlite.js';
import { health, monitorHistory, recordingLogger, storeUp, until } from '../support/figures.js';
import { sleep, startHub, type TestHub } from '../support/hub.js';
import { redisUnavailable, startRedis, type TestRedis } from '../support/redis.js';

describe('a Redis outage', { skip: redisUnavailable }, () => {
  let redis: TestRedis;
  let hub: TestHub;
  const logger = recordingLogger();

  before(async () => {
    redis = await startRedis();
    const log = await RedisLog.open({ url: redis.url, timeoutMs: 1000, blockMs: 500, reconnectMaxMs: 300 });
    hub = await startHub({ store: log, logger, monitor: { intervalMs: 200 } });
  });

  after(async () => {
    await hub?.close();
    await redis?.stop();
  });

  it('is a degraded state: 503 degraded, herald_store_up 0, one line when it starts and one when it ends, the monitor ticking with a warning', async () => {
    const healthy = await health(hub);
    assert.equal(healthy.status, 200);
    assert.equal(healthy.body.store, 'up');
    assert.equal(await storeUp(hub), 1);
    await hub.publish('news', 'before');

    await redis.kill();
    const killedAt = Date.now();
    const degraded = await until('healthz 503', async () => {
      const answer = await health(hub);
      return answer.status === 503 ? answer : undefined;
    });
    assert.equal(degraded.body.status, 'degraded');
    assert.equal(degraded.body.store, 'unavailable');
    assert.match(String(degraded.body.storeDownSince), /^\d{4}-\d\d-\d\dT/);
    assert.equal(typeof degraded.body.head, 'string');
    assert.equal(await storeUp(hub), 0);
    const refused = await hub.post({ topic: 'news', data: 'during' });
    assert.equal(refused.status, 503);
    assert.ok(refused.headers['retry-after'], 'a refused publish says when to retry');

    // A few seconds of outage, with the monitor ticking 5 times a second: still one line.
    const ticksBefore = (await monitorHistory(hub)).snapshots.length;
    await sleep(3000);
    const during = await monitorHistory(hub);
    const outageTicks = during.snapshots.filter((s) => s.t > killedAt + 1000);
    assert.ok(
      during.snapshots.length > ticksBefore && outageTicks.length >= 5,
      `the monitor keeps ticking (${outageTicks.length} snapshots in the outage)`,
    );
    const last = during.snapshots.at(-1)!;
    assert.equal(last.store.up, false);
    assert.ok(last.warnings.includes('store'), 'the snapshot lists the store warning');
    const warning = during.warnings.find((w) => w.rule === 'store' && w.kind === 'warning');
    assert.match(warning?.message ?? '', /^store unavailable since \d{4}-\d\d-\d\dT/);
    const lines = logger.lines.map((l) => `${l.level}: ${l.message}`);
    assert.equal(
      lines.length,
      1,
      `one log line for the outage so far, not one per tick:\n${lines.join('\n')}`,
    );
    assert.match(lines[0]!, /^error: event store unavailable: /);
    assert.doesNotMatch(lines[0]!, /(.{12,}): \1/, 'no doubled message');

    await redis.restartEmpty();
    const back = await until('healthz 200', async () => {
      const answer = await health(hub);
      return answer.status === 200 ? answer : undefined;
    });
    assert.equal(back.body.status, 'ok');
    assert.equal(back.body.store, 'up');
    assert.equal(await storeUp(hub), 1);
    await hub.publish('news', 'after');
    const final = logger.lines.map((l) => `${l.level}: ${l.message}`);
    assert.equal(final.length, 2, `one line when it ends:\n${final.join('\n')}`);
    assert.match(final[1]!, /^info: event store back after \d+\.\d s$/);
    const downForMs = (logger.lines[1]!.object as { downForMs: number }).downForMs;
    assert.ok(downForMs >= 3000, `the outage's duration (${downForMs} ms)`);
    const recovered = await until('the monitor recovered', async () =>
      (await monitorHistory(hub)).warnings.find((w) => w.rule === 'store' && w.kind === 'recovered'),
    );
    assert.match(recovered.message, /^store back after/);
  });
});

/** A tmpfs of `size` at a fresh folder; mounting needs root (CAP_SYS_ADMIN): else why not. */
function mountTmpfs(size: string): { dir: string; unmount(): void } | string {
  const dir = mkdtempSync(join(tmpdir(), 'herald-full-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], {
    stdio: 'ignore',
  });
  if (mounted.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return 'cannot mount a tmpfs here (needs root): no small disk to fill';
  }
  let mountedNow = true;
  const unmount = () => {
    if (!mountedNow) return;
    mountedNow = false;
    process.off('exit', unmount);
    // Lazily: a hub that failed mid-test may still hold the file; the mount goes once it lets go.
    spawnSync('umount', ['-l', dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  // Should the test process end first, the mount goes with it.
  process.on('exit', unmount);
  return { dir, unmount };
}

/** Writes a file until the disk is full. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    assert.equal((error as { code?: string }).code, 'ENOSPC');
  } finally {
    closeSync(fd);
  }
}

/** Why no tmpfs can be mounted here, or undefined (tried once, at once unmounted). */
function cannotMount(): string | undefined {
  const trial = mountTmpfs('64k');
  if (typeof trial === 'string') return trial;
  trial.unmount();
  return undefined;
}

describe('a SQLite outage (disk full)', { skip: cannotMount() }, () => {
  let dir = '';
  let unmount = () => {};
  let path = '';
  let filler = '';
  const logger = recordingLogger();
  let hub: TestHub | undefined;

  before(() => {
    const disk = mountTmpfs('2m');
    assert.ok(typeof disk !== 'string', disk as string);
    ({ dir, unmount } = disk);
    path = join(dir, 'herald.db');
    filler = join(dir, 'filler');
  });

  after(async () => {
    if (filler !== '') rmSync(filler, { force: true });
    await hub?.close().catch(() => {});
    unmount();
  });

  it('is a degraded state until the disk has room again, in two log lines', async () => {
    hub = await startHub({ store: new SqliteLog({ path }), logger, monitor: { intervalMs: 200 } });
    await hub.publish('news', 'before');
    assert.equal((await health(hub)).status, 200);

    fillDisk(filler);
    const big = 'x'.repeat(50_000);
    for (let i = 0; i < 5; i++) {
      const refused = await hub.post({ topic: 'news', data: big });
      assert.equal(refused.status, 503, refused.body);
      assert.match(refused.body, /full/);
    }
    const degraded = await health(hub);
    assert.equal(degraded.status, 503);
    assert.equal(degraded.body.status, 'degraded');
    assert.equal(degraded.body.store, 'unavailable');
    assert.match(String(degraded.body.storeReason), /disk is full/);
    assert.equal(await storeUp(hub), 0);
    await sleep(1500);
    const last = (await monitorHistory(hub)).snapshots.at(-1)!;
    assert.equal(last.store.up, false);
    assert.ok(last.warnings.includes('store'));
    assert.deepEqual(
      logger.lines.map((l) => l.level),
      ['error'],
      `one line, however many publishes were refused: ${logger.lines.map((l) => l.message).join(' | ')}`,
    );

    rmSync(filler);
    await until('healthz 200', async () => ((await health(hub!)).status === 200 ? true : undefined));
    assert.equal(await storeUp(hub), 1);
    await hub.publish('news', 'after');
    assert.deepEqual(
      logger.lines.map((l) => l.level),
      ['error', 'info'],
    );
    assert.match(logger.lines[1]!.message, /^event store back after \d+\.\d s$/);
  });

  it('a read-only database file stops the hub with a reason that says so', async () => {
    await hub?.close();
    hub = undefined;
    execFileSync('mount', ['-o', 'remount,ro', dir]);
    await assert.rejects(openHub({ store: `sqlite:${path}`, monitor: false }), (error: Error) => {
      assert.match(error.message, /is read-only \(on a read-only file system\)/);
      assert.doesNotMatch(error.message, /disk I\/O error/);
      return true;
    });
  });
});
