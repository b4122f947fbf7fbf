import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EventLog } from '../../src/log/event-log.js';
import { MemoryLog } from '../../src/log/memory.js';
import { eventsUrl, StreamReader, sleep, startHub, type TestHub } from '../support/hub.js';

/** A memory log whose replay reads take a while, as a remote log's can: live events arrive meanwhile. */
function slowReplayLog(delayMs: number): EventLog {
  const log = new MemoryLog();
  return {
    append: (e) => log.append(e),
    appendMany: (events) => log.appendMany(events),
    head: () => log.head(),
    compareIds: (a, b) => log.compareIds(a, b),
    tail: (l) => log.tail(l),
    size: () => log.size(),
    close: () => log.close(),
    readBefore: (...args) => log.readBefore(...args),
    async readAfter(id, filter, limit) {
      const result = await log.readAfter(id, filter, limit);
      await sleep(delayMs);
      return result;
    },
  };
}

/** A log whose tail reports events `lagMs` after they are stored, as a shared log's tail can (Redis). */
function laggingTailLog(lagMs: number): EventLog {
  const log = new MemoryLog();
  return {
    append: (e) => log.append(e),
    appendMany: (events) => log.appendMany(events),
    head: () => log.head(),
    compareIds: (a, b) => log.compareIds(a, b),
    readAfter: (id, filter, limit) => log.readAfter(id, filter, limit),
    readBefore: (...args) => log.readBefore(...args),
    size: () => log.size(),
    close: () => log.close(),
    tail: (listener) => log.tail({ event: (event) => void setTimeout(() => listener.event(event), lagMs) }),
  };
}

describe('resuming with Last-Event-ID', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({ history: { maxEvents: 50 } });
  });
  after(() => hub.close());

  async function publishSeries(topic: string, from: number, to: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = from; i < to; i++) ids.push(await hub.publish(topic, `${topic}#${i}`));
    return ids;
  }

  it('replays exactly the missed events, in order, from the Last-Event-ID header', async () => {
    const first = await StreamReader.open(eventsUrl(hub, ['resume/header']));
    await first.ready();
    await publishSeries('resume/header', 0, 3);
    await first.take(3);
    first.close();
    await first.ended;
    await publishSeries('resume/header', 3, 8);
    await hub.publish('resume/other', 'not subscribed');
    const second = await StreamReader.open(eventsUrl(hub, ['resume/header']), {
      'last-event-id': first.lastEventId,
    });
    await second.ready();
    await publishSeries('resume/header', 8, 10);
    const events = await second.take(7);
    assert.deepEqual(
      events.map((e) => e.data),
      [3, 4, 5, 6, 7, 8, 9].map((i) => `resume/header#${i}`),
    );
    assert.ok(!second.events.some((e) => e.type === 'herald-gap'));
    second.close();
  });

  it('accepts the resume point as the lastEventId query parameter (a first browser connect)', async () => {
    const ids = await publishSeries('resume/query', 0, 4);
    const reader = await StreamReader.open(eventsUrl(hub, ['resume/query'], { lastEventId: ids[1]! }));
    const events = await reader.take(2);
    assert.deepEqual(
      events.map((e) => [e.data, e.lastEventId]),
      [
        ['resume/query#2', ids[2]],
        ['resume/query#3', ids[3]],
      ],
    );
    reader.close();
  });

  it('resumes a client that dropped before its first event from the moment it connected', async () => {
    await publishSeries('resume/early', 0, 2);
    const first = await StreamReader.open(eventsUrl(hub, ['resume/early']));
    await first.ready();
    assert.notEqual(first.lastEventId, '', 'the head id sets the last event ID');
    first.close();
    await first.ended;
    await publishSeries('resume/early', 2, 4);
    const second = await StreamReader.open(eventsUrl(hub, ['resume/early']), {
      'last-event-id': first.lastEventId,
    });
    const events = await second.take(2);
    assert.deepEqual(
      events.map((e) => e.data),
      ['resume/early#2', 'resume/early#3'],
    );
    second.close();
  });

  it('hands over from replay to live with no gap and no duplicate while publishing continues', async () => {
    const ids = await publishSeries('resume/race', 0, 5);
    const publishing = publishSeries('resume/race', 5, 45);
    const reader = await StreamReader.open(eventsUrl(hub, ['resume/race']), { 'last-event-id': ids[0]! });
    await publishing;
    const events = await reader.take(44);
    await hub.publish('resume/race', 'end');
    await reader.until(() => reader.events.some((e) => e.data === 'end'), 'end');
    const got = reader.events.map((e) => e.data);
    const expected = Array.from({ length: 44 }, (_, i) => `resume/race#${i + 1}`);
    assert.deepEqual(got, [...expected, 'end']);
    assert.equal(events.length, 44);
    reader.close();
  });

  it('sends herald-gap before the replay when the resume point is older than the history', async () => {
    const ids = await publishSeries('resume/gap', 0, 60); // the history keeps 50 events
    const reader = await StreamReader.open(eventsUrl(hub, ['resume/gap']), { 'last-event-id': ids[0]! });
    await reader.until(() => reader.events.length >= 51, 'the gap event and the retained history');
    const [gap, ...replay] = reader.events;
    assert.equal(gap!.type, 'herald-gap');
    assert.equal(JSON.parse(gap!.data).lastEventId, ids[0]);
    assert.deepEqual(
      replay.map((e) => e.data),
      Array.from({ length: 50 }, (_, i) => `resume/gap#${i + 10}`),
    );
    reader.close();
  });

  it('sends herald-gap for an unknown resume point and moves the client to the head', async () => {
    const head = await hub.publish('resume/unknown-other', 'x');
    const reader = await StreamReader.open(eventsUrl(hub, ['resume/nothing-here']), {
      'last-event-id': 'bogus-1',
    });
    const [gap] = await reader.take(1);
    assert.equal(gap!.type, 'herald-gap');
    await reader.until(() => reader.lastEventId === head, 'the id line moving the resume point to the head');
    reader.close();
  });
});

describe('replay-to-live handover with a slow log', () => {
  it('holds live events published during a slow replay and sends each exactly once after it', async () => {
    const hub = await startHub({ store: slowReplayLog(150) });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await hub.publish('slow', `#${i}`));
      const reader = await StreamReader.open(eventsUrl(hub, ['slow']), { 'last-event-id': ids[1]! });
      // These land while the replay read is still sleeping.
      for (let i = 5; i < 10; i++) await hub.publish('slow', `#${i}`);
      await reader.take(8);
      await hub.publish('slow', 'end');
      await reader.until(() => reader.events.some((e) => e.data === 'end'), 'end');
      assert.deepEqual(
        reader.events.map((e) => e.data),
        ['#2', '#3', '#4', '#5', '#6', '#7', '#8', '#9', 'end'],
      );
      reader.close();
    } finally {
      await hub.close();
    }
  });

  it('a tail that lags the replay delivers nothing twice (the replay already sent it)', async () => {
    const hub = await startHub({ store: laggingTailLog(300) });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await hub.publish('lag', `#${i}`));
      // The replay reads #2..#4 at once; the tail reports them 300 ms later, after the handover.
      const reader = await StreamReader.open(eventsUrl(hub, ['lag']), { 'last-event-id': ids[1]! });
      await reader.take(3);
      await sleep(400);
      await hub.publish('lag', 'end');
      await reader.until(() => reader.events.some((e) => e.data === 'end'), 'end');
      assert.deepEqual(
        reader.events.map((e) => e.data),
        ['#2', '#3', '#4', 'end'],
      );
      reader.close();
    } finally {
      await hub.close();
    }
  });
});
