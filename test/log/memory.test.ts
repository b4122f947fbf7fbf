import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredEvent } from '../../src/log/event-log.js';
import { MemoryLog } from '../../src/log/memory.js';

const all = () => true;
const event = (data: string, topics = ['t']) => ({ topics, data, private: false });

describe('the memory log', () => {
  it('assigns strictly increasing ids and stores the event as given, with its time', async () => {
    const log = new MemoryLog();
    const before = Date.now();
    const a = await log.append(event('one'));
    const b = await log.append({ ...event('two\nlines'), type: 'kind', retry: 10 });
    assert.ok(log.compareIds(a.id, b.id) < 0);
    assert.equal(await log.head(), b.id);
    assert.deepEqual(
      { ...b, id: '', time: 0 },
      { id: '', time: 0, topics: ['t'], data: 'two\nlines', type: 'kind', retry: 10, private: false },
    );
    assert.ok(b.time >= before && b.time <= Date.now());
  });

  it('reads after an id, filtered and paged, with a cursor past what it examined', async () => {
    const log = new MemoryLog();
    const start = await log.head();
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await log.append(event(String(i), [i % 2 ? 'odd' : 'even']))).id);
    const odd = (e: StoredEvent) => e.topics[0] === 'odd';
    const page1 = await log.readAfter(start, odd, 2);
    assert.deepEqual(
      page1.events.map((e) => e.data),
      ['1', '3'],
    );
    assert.equal(page1.gap, false);
    assert.equal(page1.more, true);
    assert.equal(page1.cursor, ids[3]);
    const page2 = await log.readAfter(page1.cursor, odd, 10);
    assert.deepEqual(
      page2.events.map((e) => e.data),
      ['5', '7', '9'],
    );
    assert.equal(page2.more, false);
    assert.equal(page2.cursor, ids[9]);
    const none = await log.readAfter(ids[9]!, all, 10);
    assert.deepEqual(none, { events: [], gap: false, more: false, cursor: ids[9] });
  });

  it('evicts by count and by bytes, and reports a gap for ids older than what it keeps', async () => {
    const byCount = new MemoryLog({ maxEvents: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await byCount.append(event(String(i)))).id);
    assert.equal(byCount.size().events, 3);
    const old = await byCount.readAfter(ids[0]!, all, 10);
    assert.equal(old.gap, true);
    assert.deepEqual(
      old.events.map((e) => e.data),
      ['2', '3', '4'],
    );
    // The oldest kept event's predecessor is still a valid resume point.
    const edge = await byCount.readAfter(ids[1]!, all, 10);
    assert.equal(edge.gap, false);
    assert.equal(edge.events.length, 3);

    const byBytes = new MemoryLog({ maxBytes: 400 });
    for (let i = 0; i < 10; i++) await byBytes.append(event('x'.repeat(40)));
    assert.ok(byBytes.size().bytes <= 400);
    assert.ok(byBytes.size().events >= 2);
  });

  it('treats ids of another log (an earlier process) and malformed ids as unknown', async () => {
    const before = new MemoryLog();
    const foreign = (await before.append(event('old'))).id;
    const log = new MemoryLog();
    await log.append(event('new'));
    for (const id of [foreign, 'garbage', '', `${(await log.head()).split('-')[0]}-99999`]) {
      const result = await log.readAfter(id, all, 10);
      assert.equal(result.gap, true, JSON.stringify(id));
      assert.deepEqual(
        result.events.map((e) => e.data),
        ['new'],
      );
    }
  });

  it('tails appends in order and stops after unsubscribe', async () => {
    const log = new MemoryLog();
    const seen: string[] = [];
    const stop = log.tail({ event: (e) => seen.push(e.data) });
    await log.append(event('a'));
    await log.append(event('b'));
    stop();
    await log.append(event('c'));
    assert.deepEqual(seen, ['a', 'b']);
  });

  it('compacts its storage without losing order over many evictions', async () => {
    const log = new MemoryLog({ maxEvents: 100 });
    let last = '';
    for (let i = 0; i < 5000; i++) last = (await log.append(event(String(i)))).id;
    const result = await log.readAfter(await log.head(), all, 10);
    assert.equal(result.events.length, 0);
    // Sequence numbers start at 1, so seq 4950 holds event 4949.
    const tail = await log.readAfter(`${last.split('-')[0]}-4950`, all, 1000);
    assert.deepEqual(
      tail.events.map((e) => Number(e.data)),
      Array.from({ length: 50 }, (_, i) => 4950 + i),
    );
  });
});
