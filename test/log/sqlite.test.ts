import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Retention } from '../../src/log/event-log.js';
import { SqliteLog, type SqliteSynchronous } from '../../src/log/sqlite.js';
import { StoreOpenError } from '../../src/log/store-errors.js';
import { describeLogConformance, readAll } from './conformance.js';

const folders: string[] = [];
function freshFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'herald-sqlite-'));
  folders.push(folder);
  return folder;
}
after(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

const all = () => true;
const event = (data: string) => ({ topics: ['t'], data, private: false });
const seqOf = (id: string) => Number(id.slice(id.lastIndexOf('-') + 1));

for (const synchronous of ['NORMAL', 'FULL'] as SqliteSynchronous[]) {
  describeLogConformance(`sqlite (synchronous ${synchronous})`, {
    async open(retention?: Retention) {
      // A folder that does not exist yet: the log creates it.
      const path = join(freshFolder(), 'nested', 'herald.db');
      const open = () => new SqliteLog({ path, synchronous, ...retention });
      const log = open();
      const opened = [log];
      return {
        log,
        async reopen() {
          const again = open();
          opened.push(again);
          return again;
        },
        async cleanup() {
          for (const l of opened) await l.close();
        },
      };
    },
    futureId: (head) => `${head.slice(0, head.lastIndexOf('-'))}-${seqOf(head) + 1000}`,
  });
}

/** Spawns the appender child; resolves once it has the file open. */
async function startAppender(path: string): Promise<{ child: ChildProcess; ids: string[] }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'fixtures/sqlite-appender.ts'), path],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const ids: string[] = [];
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`appender exited early (${code})`)));
    lines.on('line', (line) => {
      if (line === 'ready') resolve();
      else ids.push(line);
    });
  });
  return { child, ids };
}

describe('the SQLite log', () => {
  it('keeps every acknowledged event through kill -9 of the process appending, and ids keep increasing', async () => {
    const path = join(freshFolder(), 'crash.db');
    const { child, ids } = await startAppender(path);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 10_000;
      while (ids.length < 2000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.ok(ids.length >= 2000, `the child acknowledged ${ids.length} appends`);
      // While it runs, the file is locked against a second herald.
      assert.throws(
        () => new SqliteLog({ path }),
        (error: Error) => error instanceof StoreOpenError && /locked by another process/.test(error.message),
      );
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    // A line cut by the kill is not a complete id; every complete one was acknowledged.
    const acknowledged = ids.filter((id) => /^[0-9a-z]+-\d+$/.test(id));
    const log = new SqliteLog({ path, maxEvents: 1_000_000 });
    try {
      const { events } = await readAll(log, '', all, 1000);
      const stored = new Set(events.map((e) => e.id));
      const missing = acknowledged.filter((id) => !stored.has(id));
      assert.deepEqual(missing, [], 'no acknowledged event is lost');
      assert.ok(events.length >= acknowledged.length);
      for (let i = 1; i < events.length; i++)
        assert.equal(Number(events[i]!.data), Number(events[i - 1]!.data) + 1);
      const last = acknowledged.at(-1)!;
      const resumed = await log.readAfter(last, all, 10_000);
      assert.equal(resumed.gap, false, 'an id from before the crash resumes without a gap');
      const next = await log.append(event('after the crash'));
      assert.ok(log.compareIds(next.id, events.at(-1)!.id) > 0);
      // The file was not closed cleanly, so the sequence skipped ahead past anything a power loss
      // could have rolled back.
      assert.ok(seqOf(next.id) > seqOf(events.at(-1)!.id) + 999_000_000, next.id);
      assert.deepEqual(
        (await log.readAfter(events.at(-1)!.id, all, 10)).events.map((e) => e.data),
        ['after the crash'],
      );
    } finally {
      await log.close();
    }
  });

  it('after a clean close the sequence goes on by one', async () => {
    const path = join(freshFolder(), 'clean.db');
    const first = new SqliteLog({ path });
    const a = await first.append(event('a'));
    await first.close();
    const second = new SqliteLog({ path });
    const b = await second.append(event('b'));
    await second.close();
    assert.equal(seqOf(b.id), seqOf(a.id) + 1);
  });

  it('appends of one event-loop turn share one transaction', async () => {
    const path = join(freshFolder(), 'group.db');
    const log = new SqliteLog({ path });
    try {
      const before = log.commits;
      const turn = await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(event(String(i)))));
      assert.equal(log.commits, before + 1, 'one transaction for 200 appends of one turn');
      assert.equal(new Set(turn.map((e) => e.time)).size, 1, 'one commit time for the whole turn');
      const later = await log.append(event('later'));
      await new Promise((resolve) => setImmediate(resolve));
      const later2 = await log.append(event('later still'));
      assert.equal(log.commits, before + 3, 'appends of later turns commit on their own');
      assert.equal(seqOf(later.id), seqOf(turn.at(-1)!.id) + 1);
      assert.equal(seqOf(later2.id), seqOf(later.id) + 1);
    } finally {
      await log.close();
    }
    const db = new Database(path, { readonly: true });
    try {
      assert.equal((db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, 202);
    } finally {
      db.close();
    }
  });

  it('trims in bounded batches after the commit, not inside it', async () => {
    const path = join(freshFolder(), 'trim.db');
    const log = new SqliteLog({ path, maxEvents: 5, trimBatch: 100 });
    try {
      await Promise.all(Array.from({ length: 1000 }, (_, i) => log.append(event(String(i)))));
      assert.equal(log.size().events, 1000, 'the append resolved before any trimming');
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(log.size().events, 900, 'one batch per turn');
      const deadline = Date.now() + 3000;
      while (log.size().events > 5 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
      assert.equal(log.size().events, 5);
      const { events } = await readAll(log, '');
      assert.deepEqual(
        events.map((e) => e.data),
        ['995', '996', '997', '998', '999'],
      );
    } finally {
      await log.close();
    }
    // Retention state survives a reopen: the oldest kept event's predecessor is still no gap.
    const again = new SqliteLog({ path, maxEvents: 5 });
    try {
      const first = (await readAll(again, '')).events[0]!;
      const predecessor = `${first.id.slice(0, first.id.lastIndexOf('-'))}-${seqOf(first.id) - 1}`;
      assert.equal((await again.readAfter(predecessor, all, 10)).gap, false);
      const older = `${first.id.slice(0, first.id.lastIndexOf('-'))}-${seqOf(first.id) - 2}`;
      assert.equal((await again.readAfter(older, all, 10)).gap, true);
    } finally {
      await again.close();
    }
  });

  it('a read that retention overtakes while it yields reports the gap', async () => {
    const path = join(freshFolder(), 'overtaken.db');
    const log = new SqliteLog({ path, maxEvents: 300, trimBatch: 10_000 });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 300; i++) ids.push((await log.append(event(String(i)))).id);
      // The read takes slices of rows with the event loop running in between; meanwhile 600 more
      // events are committed and retention removes the 600 oldest, some of them not read yet.
      const reading = log.readAfter(ids[0]!, () => false, 10_000);
      const appends = Array.from({ length: 600 }, (_, i) => log.append(event(`more${i}`)));
      const result = await reading;
      await Promise.all(appends);
      assert.equal(result.gap, true, 'events the read had not reached were removed');
      assert.equal(result.cursor, await log.head());
    } finally {
      await log.close();
    }
  });

  it('examines a bounded number of rows per read and says there is more', async () => {
    const path = join(freshFolder(), 'scan.db');
    const log = new SqliteLog({ path, scanBudget: 10 });
    try {
      const start = await log.head();
      for (let i = 0; i < 25; i++) await log.append(event(String(i)));
      const first = await log.readAfter(start, () => false, 100);
      assert.deepEqual(first.events, []);
      assert.equal(first.more, true);
      assert.equal(seqOf(first.cursor), seqOf(start) + 10);
      const { events, pages } = await readAll(log, start, (e) => e.data === '24', 100);
      assert.deepEqual(
        events.map((e) => e.data),
        ['24'],
      );
      assert.equal(pages, 3);
    } finally {
      await log.close();
    }
  });

  it('a file whose keys predate batches gets their count column, each old key covering one event', async () => {
    const path = join(freshFolder(), 'old-keys.db');
    const rule = (key: string) => ({ idempotency: { key, windowMs: 60_000, maxKeys: 100 } });
    const first = new SqliteLog({ path });
    const old = await first.append(event('old'), rule('old'));
    await first.close();
    const db = new Database(path);
    db.exec('ALTER TABLE idempotency DROP COLUMN count');
    db.close();
    const log = new SqliteLog({ path });
    try {
      assert.deepEqual(await log.appendMany([event('old')], rule('old')), { ids: [old.id], replayed: true });
      const batch = await log.appendMany([event('a'), event('b')], rule('new'));
      assert.deepEqual(await log.appendMany([event('a'), event('b')], rule('new')), {
        ids: batch.ids,
        replayed: true,
      });
    } finally {
      await log.close();
    }
  });

  it('creates the folder and file when missing', async () => {
    const path = join(freshFolder(), 'a', 'b', 'c', 'new.db');
    const log = new SqliteLog({ path });
    await log.append(event('x'));
    await log.close();
  });

  it('refuses a second open of the same file in this process too', async () => {
    const path = join(freshFolder(), 'twice.db');
    const log = new SqliteLog({ path });
    try {
      assert.throws(() => new SqliteLog({ path }), /locked by another process/);
    } finally {
      await log.close();
    }
    const again = new SqliteLog({ path });
    await again.close();
  });

  it('startup errors are one line: a corrupt file, a foreign database, an unwritable place', () => {
    const folder = freshFolder();
    const garbage = join(folder, 'garbage.db');
    writeFileSync(garbage, Buffer.alloc(8192, 'this is not a database. '));
    const cases: [string, RegExp][] = [
      [garbage, /garbage\.db: not a SQLite database, or corrupt$/],
      [join(garbage, 'inside.db'), /cannot create its folder .*garbage\.db/],
      ['/proc/herald-test/log.db', /cannot create its folder \/proc\/herald-test/],
    ];
    const foreign = join(folder, 'foreign.db');
    const other = new Database(foreign);
    other.exec('CREATE TABLE users (name TEXT)');
    other.close();
    cases.push([foreign, /not a Herald log \(it holds other tables: users\)/]);
    for (const [path, reason] of cases) {
      assert.throws(
        () => new SqliteLog({ path }),
        (error: Error) => {
          assert.ok(error instanceof StoreOpenError, `${path}: ${error.name}`);
          assert.match(error.message, reason);
          assert.equal(error.message.includes('\n'), false, 'one line');
          return true;
        },
      );
    }
  });

  it('an unwritable folder fails with a reason (when not running as root)', (t) => {
    if (process.getuid?.() === 0) {
      t.skip('root writes anywhere; the /proc case above covers an unwritable place');
      return;
    }
    const folder = freshFolder();
    const locked = join(folder, 'locked');
    mkdirSync(locked, { mode: 0o555 });
    assert.throws(() => new SqliteLog({ path: join(locked, 'x.db') }), StoreOpenError);
  });
});
