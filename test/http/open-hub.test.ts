// createHub({ store }) and openHub({ store }): which stores each takes, retention from `history`,
// and history that survives a reopen on the same SQLite file.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createHub, openHub, StoreUrlError } from '../../src/index.js';
import { MemoryLog } from '../../src/log/memory.js';
import { SqliteLog } from '../../src/log/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-open-hub-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('createHub and openHub with a store', () => {
  it('createHub takes memory or an EventLog, and points to openHub for any other URL', async () => {
    const memory = createHub({ store: 'memory', monitor: false });
    await memory.publish({ topics: ['a'], data: '1' });
    assert.equal(memory.stats().history.events, 1);
    await memory.close();

    const log = new MemoryLog({ maxEvents: 10 });
    const given = createHub({ store: log, monitor: false });
    const { id } = await given.publish({ topics: ['a'], data: '1' });
    assert.equal(await log.head(), id);
    await given.close();

    assert.throws(() => createHub({ store: 'sqlite:./x.db', monitor: false }), /use `await openHub/);
    assert.throws(() => createHub({ store: 'redis://127.0.0.1:1', monitor: false }), /use `await openHub/);
    assert.throws(() => createHub({ store: 'nope', monitor: false }), StoreUrlError);
  });

  it('openHub opens a SQLite URL with the retention of `history`; a reopen keeps the history', async () => {
    const store = `sqlite:${join(dir, 'hub.db')}`;
    const first = await openHub({ store, history: { maxEvents: 3 }, monitor: false });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await first.publish({ topics: ['a'], data: String(i) })).id);
    await first.close();

    const second = await openHub({ store, history: { maxEvents: 3 }, monitor: false });
    assert.equal(await second.head(), ids[4]);
    const next = await second.publish({ topics: ['a'], data: '5' });
    assert.ok(second.compareIds(next.id, ids[4]!) > 0);
    // Retention runs off the publish path, a turn or two later.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(second.stats().history.events, 3);
    await second.close();
  });

  it('openHub passes a ready EventLog through, and rejects a malformed URL', async () => {
    const log = new SqliteLog({ path: join(dir, 'given.db') });
    const hub = await openHub({ store: log, monitor: false });
    await hub.publish({ topics: ['a'], data: 'x' });
    assert.equal(log.size().events, 1);
    await hub.close();
    await assert.rejects(openHub({ store: 'sqlite:' }), StoreUrlError);
  });
});
