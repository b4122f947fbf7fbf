// The rules every EventLog keeps, as node:test tests. Each store's test file calls
// `describeLogConformance` with a factory that opens a fresh, empty store; capabilities a store
// lacks (durability, sharing) are simply not offered by its factory, and their tests are skipped.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type {
  AppendOptions,
  EventLog,
  NewEvent,
  ReadResult,
  Retention,
  StoredEvent,
  TailListener,
} from '../../src/log/event-log.js';

/** One fresh store, as a store's factory opens it. */
export interface LogUnderTest {
  log: EventLog;
  /** Durable stores: closes nothing, opens the same store again (call after closing `log`). */
  reopen?: () => Promise<EventLog>;
  /** Shared stores: opens another instance on the same store (another hub, in production). */
  another?: () => Promise<EventLog>;
  /** Closes what is still open and removes the store. */
  cleanup: () => Promise<void>;
}

export interface ConformanceOptions {
  /** Opens a fresh, empty store with the given retention. */
  open: (retention?: Retention) => Promise<LogUnderTest>;
  /** An id of this log's format that is newer than `head`, for the "future id" rule. */
  futureId: (head: string) => string;
  /** How many events past `maxEvents` the store may keep (approximate trimming). Default 0. */
  retentionSlack?: number;
  /** True when `size()` is an estimate refreshed in the background: its figures are not checked. */
  estimatedSize?: boolean;
  /** How long retention may take to apply after the appends that exceed it. Default 3000 ms. */
  settleMs?: number;
  /**
   * Bytes the store's server has sent so far (a store in another process counts them): with it, a
   * page bounded by bytes is also checked to fetch about that many bytes, not a count of entries.
   */
  bytesSent?: () => Promise<number>;
}

const all = () => true;
const none = () => false;

function event(data: string, topics: readonly string[] = ['t'], extra: Partial<NewEvent> = {}): NewEvent {
  return { topics, data, private: false, ...extra };
}

/** Append options with an idempotency key (a 5-minute window, 100 keys unless told). */
function keyed(key: string, rule: { windowMs?: number; maxKeys?: number } = {}): AppendOptions {
  return { idempotency: { key, windowMs: rule.windowMs ?? 300_000, maxKeys: rule.maxKeys ?? 100 } };
}

export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 3000,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A tail listener that records what it gets, for stores whose tail delivers asynchronously. */
export class TailRecorder implements TailListener {
  readonly events: StoredEvent[] = [];
  readonly gaps: { lastId: string; head: string }[] = [];
  event(e: StoredEvent): void {
    this.events.push(e);
  }
  gap(lastId: string, head: string): void {
    this.gaps.push({ lastId, head });
  }
  data(): string[] {
    return this.events.map((e) => e.data);
  }
  async waitFor(count: number, ms = 3000): Promise<void> {
    await waitUntil(
      `${count} tailed events (have ${this.events.length})`,
      () => this.events.length >= count,
      ms,
    );
  }
}

/** Every matching event after `afterId`, following `more` and `cursor` page after page. */
export async function readAll(
  log: EventLog,
  afterId: string,
  filter: (e: StoredEvent) => boolean = all,
  limit = 1000,
): Promise<{ events: StoredEvent[]; first: ReadResult; cursor: string; pages: number }> {
  const first = await log.readAfter(afterId, filter, limit);
  const events = [...first.events];
  let result = first;
  let pages = 1;
  while (result.more) {
    assert.ok(pages < 100_000, 'readAfter keeps answering more: true');
    result = await log.readAfter(result.cursor, filter, limit);
    events.push(...result.events);
    pages++;
  }
  return { events, first, cursor: result.cursor, pages };
}

function assertIncreasing(log: EventLog, ids: readonly string[], what: string): void {
  for (let i = 1; i < ids.length; i++)
    assert.ok(log.compareIds(ids[i - 1]!, ids[i]!) < 0, `${what}: ${ids[i - 1]} then ${ids[i]}`);
}

/** Registers the conformance tests for one store. */
export function describeLogConformance(name: string, options: ConformanceOptions): void {
  const slack = options.retentionSlack ?? 0;
  const settleMs = options.settleMs ?? 3000;

  async function withLog(retention: Retention | undefined, body: (subject: LogUnderTest) => Promise<void>) {
    const subject = await options.open(retention);
    try {
      await body(subject);
    } finally {
      await subject.cleanup();
    }
  }

  /** Runs `body` on a fresh store that has `capability`, or skips the test for a store without it. */
  async function withCapability<K extends 'reopen' | 'another'>(
    t: TestContext,
    capability: K,
    body: (subject: LogUnderTest & Required<Pick<LogUnderTest, K>>) => Promise<void>,
  ) {
    const subject = await options.open();
    try {
      if (!subject[capability]) {
        t.skip(capability === 'reopen' ? 'not a durable store' : 'not a shared store');
        return;
      }
      await body(subject as LogUnderTest & Required<Pick<LogUnderTest, K>>);
    } finally {
      await subject.cleanup();
    }
  }

  /** An id that another store of this kind assigned (and removed since). */
  async function idOfAnotherLog(): Promise<string> {
    const other = await options.open();
    try {
      await other.log.append(event('elsewhere'));
      return (await other.log.append(event('elsewhere too'))).id;
    } finally {
      await other.cleanup();
    }
  }

  describe(`EventLog conformance: ${name}`, () => {
    it('append resolves with the stored event and strictly increasing ids, also when appends overlap', () =>
      withLog(undefined, async ({ log }) => {
        const before = Date.now();
        const a = await log.append(event('one'));
        const b = await log.append(
          event('two\nlines\r\nand ünïcode', ['x/y', 'z'], { type: 'kind', retry: 10 }),
        );
        const c = await log.append(event('', ['p'], { private: true }));
        const after = Date.now();
        assertIncreasing(log, [a.id, b.id, c.id], 'sequential appends');
        assert.ok(log.compareIds(b.id, a.id) > 0);
        assert.equal(log.compareIds(b.id, b.id), 0);
        assert.deepEqual(
          { topics: b.topics, data: b.data, type: b.type, retry: b.retry, private: b.private },
          {
            topics: ['x/y', 'z'],
            data: 'two\nlines\r\nand ünïcode',
            type: 'kind',
            retry: 10,
            private: false,
          },
        );
        assert.equal(a.type, undefined);
        assert.equal(a.retry, undefined);
        assert.equal(c.private, true);
        assert.equal(c.data, '');
        // The store's clock may be another process's (Redis): allow a little skew.
        for (const e of [a, b, c])
          assert.ok(e.time >= before - 1000 && e.time <= after + 1000, `time ${e.time}`);

        const overlapping = await Promise.all(
          Array.from({ length: 50 }, (_, i) => log.append(event(`o${i}`))),
        );
        assertIncreasing(log, [c.id, ...overlapping.map((e) => e.id)], 'overlapping appends, in call order');
        assert.equal(new Set(overlapping.map((e) => e.id)).size, 50);
      }));

    it('reads back what was stored, field for field', () =>
      withLog(undefined, async ({ log }) => {
        const start = await log.head();
        const stored = [
          await log.append(event('plain')),
          await log.append(
            event('a\nb', ['one', 'two/three'], { type: 'update', retry: 2500, private: true }),
          ),
        ];
        const { events } = await readAll(log, start);
        assert.deepEqual(events, stored);
      }));

    it('head is the starting id when empty, then the newest id', () =>
      withLog(undefined, async ({ log }) => {
        const empty = await log.head();
        const fromEmpty = await log.readAfter(empty, all, 10);
        assert.deepEqual(fromEmpty, { events: [], gap: false, more: false, cursor: empty });
        const a = await log.append(event('a'));
        assert.ok(log.compareIds(empty, a.id) < 0, 'the starting id sorts before the first event');
        assert.equal(await log.head(), a.id);
        const b = await log.append(event('b'));
        assert.equal(await log.head(), b.id);
        const fromHead = await log.readAfter(b.id, all, 10);
        assert.deepEqual(fromHead, { events: [], gap: false, more: false, cursor: b.id });
        assert.deepEqual(
          (await log.readAfter(empty, all, 10)).events.map((e) => e.data),
          ['a', 'b'],
        );
      }));

    it('readAfter filters, limits and pages with a cursor', () =>
      withLog(undefined, async ({ log }) => {
        const start = await log.head();
        const ids: string[] = [];
        for (let i = 0; i < 10; i++)
          ids.push((await log.append(event(String(i), [i % 2 ? 'odd' : 'even']))).id);
        const odd = (e: StoredEvent) => e.topics[0] === 'odd';
        const page1 = await log.readAfter(start, odd, 2);
        assert.deepEqual(
          page1.events.map((e) => e.data),
          ['1', '3'],
        );
        assert.equal(page1.gap, false);
        assert.equal(page1.more, true);
        assert.equal(page1.cursor, ids[3], 'the cursor is the last event examined');
        const rest = await readAll(log, page1.cursor, odd, 2);
        assert.equal(rest.first.gap, false, 'a cursor is a valid resume point');
        assert.deepEqual(
          rest.events.map((e) => e.data),
          ['5', '7', '9'],
        );
        assert.equal(rest.cursor, ids[9]);
        // Exclusive: the resume point itself is not read again.
        assert.deepEqual(
          (await log.readAfter(ids[4]!, all, 100)).events.map((e) => e.data),
          ['5', '6', '7', '8', '9'],
        );
        const whole = await log.readAfter(start, all, 100);
        assert.equal(whole.more, false);
        assert.equal(whole.events.length, 10);
        const exact = await readAll(log, start, all, 3);
        assert.deepEqual(
          exact.events.map((e) => e.data),
          ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
        );
        assert.ok(exact.pages >= 4, 'a limit of 3 takes at least 4 pages for 10 events');
      }));

    it('readAfter bounds a page by maxBytes, one event at least, and fetches no more', () =>
      withLog(undefined, async ({ log }) => {
        const start = await log.head();
        const size = 10_000;
        const big = 'y'.repeat(100_000);
        const sent: string[] = [];
        for (let i = 0; i < 60; i++) {
          const data = i === 30 ? big : `${String(i).padStart(4, '0')}${'x'.repeat(size - 4)}`;
          await log.append(event(data, [i % 2 ? 'odd' : 'even']));
          sent.push(data);
        }
        const maxBytes = 25_000;
        const before = await options.bytesSent?.();
        const first = await log.readAfter(start, all, 1000, maxBytes);
        const after = await options.bytesSent?.();
        assert.deepEqual(
          first.events.map((e) => e.data),
          sent.slice(0, 2),
          'two 10 KB events fit in 25 KB, a third does not',
        );
        assert.equal(first.more, true);
        if (before !== undefined && after !== undefined)
          // The two events, the answer's framing and the byte count's own reply: not 60 entries.
          assert.ok(after - before < maxBytes + 8_000, `the store sent ${after - before} bytes for one page`);
        for (const filter of [all, (e: StoredEvent) => e.topics[0] === 'odd']) {
          const got: string[] = [];
          let cursor = start;
          let more = true;
          for (let pages = 0; more; pages++) {
            assert.ok(pages < 1000, 'readAfter keeps answering more: true');
            const page = await log.readAfter(cursor, filter, 1000, maxBytes);
            const bytes = page.events.reduce((sum, e) => sum + e.data.length, 0);
            assert.ok(bytes <= maxBytes || page.events.length === 1, `a page of ${bytes} bytes`);
            got.push(...page.events.map((e) => e.data));
            ({ cursor, more } = page);
          }
          assert.deepEqual(
            got,
            sent.filter((_, i) => filter === all || i % 2 === 1),
            'every event, once, in order',
          );
        }
        // An event larger than the bound still moves, alone.
        const alone = await log.readAfter((await log.readAfter(start, all, 30)).cursor, all, 1000, maxBytes);
        assert.deepEqual(
          alone.events.map((e) => e.data.length),
          [big.length],
        );
      }));

    it('the cursor moves past examined events that do not match', () =>
      withLog(undefined, async ({ log }) => {
        const start = await log.head();
        let last = '';
        for (let i = 0; i < 20; i++) last = (await log.append(event(`skip${i}`, ['other']))).id;
        const skipped = await readAll(log, start, none, 5);
        assert.deepEqual(skipped.events, []);
        assert.equal(skipped.cursor, last, 'the cursor reaches the last examined event');
        const wanted = await log.append(event('wanted', ['mine']));
        const next = await log.readAfter(skipped.cursor, (e) => e.topics[0] === 'mine', 5);
        assert.equal(next.gap, false);
        assert.deepEqual(
          next.events.map((e) => e.id),
          [wanted.id],
        );
      }));

    it('reports a gap for unknown, malformed and future ids, and replays what it keeps', async () => {
      const foreign = await idOfAnotherLog();
      await withLog(undefined, async ({ log }) => {
        await log.append(event('first'));
        const head = (await log.append(event('second'))).id;
        const future = options.futureId(head);
        assert.ok(log.compareIds(future, head) > 0, 'futureId gives a newer id');
        for (const id of [foreign, 'garbage', '', '-', '0', '1-2-3', 'x-1', '-1', future]) {
          const result = await log.readAfter(id, all, 10);
          assert.equal(result.gap, true, `gap for ${JSON.stringify(id)}`);
          assert.deepEqual(
            result.events.map((e) => e.data),
            ['first', 'second'],
            `replays the retained history for ${JSON.stringify(id)}`,
          );
          assert.equal(result.cursor, head);
        }
      });
    });

    it('readBefore answers the newest events before a point, oldest first, with more and a cursor', () =>
      withLog(undefined, async ({ log }) => {
        const empty = await log.readBefore(undefined, all, 10);
        assert.deepEqual([empty.events, empty.more, empty.foreign], [[], false, false]);
        const ids: string[] = [];
        for (let i = 0; i < 7; i++) ids.push((await log.append(event(String(i)))).id);
        const newest = await log.readBefore(undefined, all, 3);
        assert.deepEqual(
          newest.events.map((e) => e.data),
          ['4', '5', '6'],
        );
        assert.deepEqual([newest.more, newest.cursor, newest.foreign], [true, ids[4], false]);
        const older = await log.readBefore(newest.cursor, all, 3);
        assert.deepEqual(
          older.events.map((e) => e.data),
          ['1', '2', '3'],
        );
        assert.equal(older.more, true);
        const oldest = await log.readBefore(older.cursor, all, 3);
        assert.deepEqual(
          oldest.events.map((e) => e.data),
          ['0'],
        );
        assert.equal(oldest.more, false, 'nothing is older than the first event');
        const exact = await log.readBefore(ids[3], all, 3);
        assert.deepEqual(
          exact.events.map((e) => e.data),
          ['0', '1', '2'],
        );
        assert.equal(exact.more, false, 'the limit took the last of them: nothing more');
        const before = await log.readBefore(ids[0], all, 10);
        assert.deepEqual([before.events, before.more, before.foreign], [[], false, false]);
      }));

    it('readBefore filters (limit counts matching events) and bounds the bytes of a page', () =>
      withLog(undefined, async ({ log }) => {
        for (let i = 0; i < 6; i++)
          await log.append(event(`${i}`.repeat(10), [i % 2 === 0 ? 'even' : 'odd'], { private: i === 4 }));
        const even = await log.readBefore(undefined, (e) => e.topics[0] === 'even', 2);
        assert.deepEqual(
          even.events.map((e) => e.data[0]),
          ['2', '4'],
        );
        assert.equal(even.more, true);
        assert.equal(even.events[1]!.private, true);
        const rest = await log.readBefore(even.cursor, (e) => e.topics[0] === 'even', 2);
        assert.deepEqual(
          rest.events.map((e) => e.data[0]),
          ['0'],
        );
        const hidden = await log.readBefore(undefined, none, 5);
        assert.deepEqual([hidden.events, hidden.more], [[], false]);
        const small = await log.readBefore(undefined, all, 10, 25);
        assert.deepEqual(
          small.events.map((e) => e.data[0]),
          ['4', '5'],
          'two 10-character events fit in 25, a third does not',
        );
        assert.equal(small.more, true);
        const next = await log.readBefore(small.cursor, all, 10, 5);
        assert.deepEqual(
          next.events.map((e) => e.data[0]),
          ['3'],
          'the newest alone passes a bound smaller than it',
        );
      }));

    it('readBefore refuses a malformed point as foreign and never answers a newer event', async () => {
      const elsewhere = await idOfAnotherLog();
      await withLog(undefined, async ({ log }) => {
        const a = await log.append(event('first'));
        const head = (await log.append(event('second'))).id;
        for (const id of ['garbage', '', '-', '1-2-3', 'x-1', '-1']) {
          const result = await log.readBefore(id, all, 10);
          assert.deepEqual(
            [result.events, result.more, result.foreign],
            [[], false, true],
            `foreign: ${JSON.stringify(id)}`,
          );
        }
        // An id of another log: foreign where ids carry an epoch; else a point like any other.
        const other = await log.readBefore(elsewhere, all, 10);
        assert.ok(other.events.every((e) => log.compareIds(e.id, elsewhere) < 0));
        const future = await log.readBefore(options.futureId(head), all, 10);
        assert.deepEqual(
          future.events.map((e) => e.id),
          [a.id, head],
        );
        assert.equal(future.foreign, false);
      });
    });

    it('retention by count: the oldest go first, with a gap for them and none for the oldest kept predecessor', () =>
      withLog({ maxEvents: 5 }, async ({ log }) => {
        const start = await log.head();
        const total = 5 + 2 * slack + 10;
        const ids: string[] = [];
        for (let i = 0; i < total; i++) ids.push((await log.append(event(String(i)))).id);
        await waitUntil(
          'count retention',
          async () => (await readAll(log, start)).events.length <= 5 + slack,
          settleMs,
        );
        const { events, first } = await readAll(log, start);
        assert.equal(first.gap, true, 'the starting id is older than the history now');
        const kept = events.map((e) => Number(e.data));
        assert.ok(kept.length >= 5 && kept.length <= 5 + slack, `kept ${kept.length}`);
        assert.deepEqual(
          kept,
          Array.from({ length: kept.length }, (_, i) => total - kept.length + i),
          'the newest events are kept, in order',
        );
        if (!options.estimatedSize) assert.equal(log.size().events, kept.length);
        // The id just before the oldest kept event loses nothing: no gap.
        const predecessor = ids[total - kept.length - 1]!;
        const edge = await log.readAfter(predecessor, all, 1000);
        assert.equal(edge.gap, false, 'no gap from the predecessor of the oldest kept event');
        assert.equal(edge.events.length, kept.length);
        // Ids older than that are evicted: gap.
        const evicted = await log.readAfter(ids[0]!, all, 1000);
        assert.equal(evicted.gap, true);
        assert.equal(evicted.events[0]!.data, String(total - kept.length));
      }));

    it('retention by bytes: old events go once the history outgrows the bound', () =>
      withLog({ maxBytes: 20_000 }, async ({ log }) => {
        const start = await log.head();
        const ids: string[] = [];
        for (let i = 0; i < 100; i++) ids.push((await log.append(event(`${i} ${'x'.repeat(1000)}`))).id);
        await waitUntil(
          'byte retention',
          async () =>
            (await log.readAfter(ids[0]!, all, 1)).gap &&
            (options.estimatedSize || log.size().bytes <= 20_000),
          settleMs,
        );
        const { events } = await readAll(log, start);
        assert.ok(events.length > 0 && events.length < 100, `kept ${events.length} of 100`);
        assert.ok(events.at(-1)!.id === ids[99], 'the newest event is kept');
        if (!options.estimatedSize) {
          assert.ok(log.size().bytes <= 20_000, `size ${log.size().bytes} bytes`);
          assert.ok(log.size().bytes > 10_000, `keeps what fits, ${log.size().bytes} bytes`);
        }
      }));

    it('retention by age: events older than maxAgeMs are dropped', () =>
      withLog({ maxAgeMs: 300 }, async ({ log }) => {
        const start = await log.head();
        const old = await log.append(event('old'));
        await new Promise((resolve) => setTimeout(resolve, 400));
        const fresh = await log.append(event('fresh'));
        await waitUntil(
          'age retention',
          async () => !(await log.readAfter(start, all, 10)).events.some((e) => e.id === old.id),
          settleMs,
        );
        const result = await log.readAfter(start, all, 10);
        assert.equal(result.gap, true, 'resuming from before the dropped event is a gap');
        assert.deepEqual(
          result.events.map((e) => e.id),
          [fresh.id],
        );
      }));

    it('tail reports appends in log order and stops after unsubscribe', () =>
      withLog(undefined, async ({ log }) => {
        const seen = new TailRecorder();
        const witness = new TailRecorder();
        const stop = log.tail(seen);
        log.tail(witness);
        const appended: StoredEvent[] = [];
        for (let i = 0; i < 5; i++) appended.push(await log.append(event(`a${i}`)));
        appended.push(...(await Promise.all([log.append(event('b0')), log.append(event('b1'))])));
        await seen.waitFor(7);
        assert.deepEqual(
          seen.events.map((e) => e.id),
          appended.map((e) => e.id),
        );
        assert.deepEqual(seen.events, appended, 'the tail carries the stored events');
        stop();
        await log.append(event('after'));
        await witness.waitFor(8);
        assert.equal(seen.events.length, 7, 'nothing after unsubscribe');
        assert.equal(witness.events.at(-1)!.data, 'after');
        assert.deepEqual(seen.gaps, []);
      }));

    it('tail sees appends made through another instance on the same store, in the same order', (t) =>
      withCapability(t, 'another', async (subject) => {
        const a = subject.log;
        const b = await subject.another();
        const seenA = new TailRecorder();
        const seenB = new TailRecorder();
        a.tail(seenA);
        b.tail(seenB);
        const ids: string[] = [];
        for (let round = 0; round < 10; round++) {
          const pair = await Promise.all([a.append(event(`a${round}`)), b.append(event(`b${round}`))]);
          ids.push(...pair.map((e) => e.id));
        }
        await seenA.waitFor(20);
        await seenB.waitFor(20);
        assert.deepEqual(
          seenA.events.map((e) => e.id),
          seenB.events.map((e) => e.id),
          'both instances see one order',
        );
        assertIncreasing(
          a,
          seenA.events.map((e) => e.id),
          'tail order',
        );
        assert.deepEqual([...seenA.events.map((e) => e.id)].sort(), [...ids].sort(), 'every event, once');
        assert.equal((await readAll(b, await b.head())).events.length, 0);
        assert.equal(await a.head(), await b.head());
      }));

    it('idempotent appends: a known key stores nothing and answers the first id; another key appends', () =>
      withLog(undefined, async ({ log }) => {
        const start = await log.head();
        const seen = new TailRecorder();
        log.tail(seen);
        const first = await log.append(event('once'), keyed('k1'));
        assert.equal(first.replayed, undefined, 'the first append is not a replay');
        const again = await log.append(event('once'), keyed('k1'));
        assert.equal(again.id, first.id, 'the same key answers the first id');
        assert.equal(again.time, first.time);
        assert.equal(again.replayed, true);
        // Overlapping appends with one key (one turn, one batch): still one event.
        const overlapping = await Promise.all(
          Array.from({ length: 5 }, () => log.append(event('twice'), keyed('k2'))),
        );
        assert.equal(new Set(overlapping.map((e) => e.id)).size, 1, 'one id for one key');
        assert.equal(overlapping.filter((e) => e.replayed === undefined).length, 1, 'one of them appended');
        const other = await log.append(event('once'), keyed('k3'));
        assert.ok(log.compareIds(other.id, overlapping[0]!.id) > 0, 'another key is another event');
        const plain = await log.append(event('no key'));
        await seen.waitFor(4);
        const { events } = await readAll(log, start);
        assert.deepEqual(
          events.map((e) => e.id),
          [first.id, overlapping[0]!.id, other.id, plain.id],
        );
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal(seen.events.length, 4, 'a replay is never tailed');
      }));

    it('idempotent appends: keys are forgotten after their window and past the count bound', () =>
      withLog(undefined, async ({ log }) => {
        const short = { windowMs: 300, maxKeys: 1000 };
        const first = await log.append(event('a'), keyed('old', short));
        assert.equal((await log.append(event('a'), keyed('old', short))).id, first.id);
        await new Promise((resolve) => setTimeout(resolve, 600));
        const later = await log.append(event('a'), keyed('old', short));
        assert.equal(later.replayed, undefined, 'past the window, the key is new again');
        assert.ok(log.compareIds(later.id, first.id) > 0);

        const few = { windowMs: 60_000, maxKeys: 2 };
        const x = await log.append(event('x'), keyed('x', few));
        await log.append(event('y'), keyed('y', few));
        await log.append(event('z'), keyed('z', few));
        assert.equal((await log.append(event('z'), keyed('z', few))).replayed, true, 'the newest are kept');
        const xAgain = await log.append(event('x'), keyed('x', few));
        assert.equal(xAgain.replayed, undefined, 'the oldest key went past the count bound');
        assert.notEqual(xAgain.id, x.id);
      }));

    it('idempotent appends: instances sharing a store, racing with one key, store one event', (t) =>
      withCapability(t, 'another', async (subject) => {
        const a = subject.log;
        const b = await subject.another();
        const start = await a.head();
        for (let round = 0; round < 20; round++) {
          const pair = await Promise.all([
            a.append(event(`r${round}`), keyed(`race${round}`)),
            b.append(event(`r${round}`), keyed(`race${round}`)),
          ]);
          assert.equal(pair[0].id, pair[1].id, `round ${round}: one id`);
          assert.equal(pair.filter((e) => e.replayed).length, 1, `round ${round}: one replay`);
        }
        const { events } = await readAll(b, start);
        assert.deepEqual(
          events.map((e) => e.data),
          Array.from({ length: 20 }, (_, i) => `r${i}`),
        );
      }));

    it('idempotent appends: durable stores remember keys across a reopen', (t) =>
      withCapability(t, 'reopen', async (subject) => {
        const first = await subject.log.append(event('kept'), keyed('durable'));
        const head = await subject.log.head();
        await subject.log.close();
        const again = await subject.reopen();
        try {
          const retried = await again.append(event('kept'), keyed('durable'));
          assert.equal(retried.id, first.id, 'the key survives the reopen');
          assert.equal(retried.replayed, true);
          assert.equal(await again.head(), head, 'nothing appended');
        } finally {
          await again.close();
        }
      }));

    it('batch appends: consecutive positions in order, answered and tailed in order, never split', () =>
      withLog(undefined, async ({ log }) => {
        const start = await log.head();
        const seen = new TailRecorder();
        log.tail(seen);
        const batch = (name: string) => Array.from({ length: 5 }, (_, i) => event(`${name}${i}`));
        // Singles and batches in one turn (one SQLite transaction, pipelined Redis calls).
        const [a, , b] = await Promise.all([
          log.appendMany(batch('a')),
          log.append(event('x')),
          log.appendMany(batch('b')),
          log.append(event('y')),
        ]);
        assert.equal(a.replayed, undefined);
        assert.equal(a.ids.length, 5);
        assertIncreasing(log, a.ids, 'batch ids');
        await seen.waitFor(12);
        const { events } = await readAll(log, start);
        assert.deepEqual(
          seen.events.map((e) => e.id),
          events.map((e) => e.id),
          'tailed in log order',
        );
        const data = events.map((e) => e.data);
        for (const [name, answer] of [
          ['a', a],
          ['b', b],
        ] as const) {
          const at = data.indexOf(`${name}0`);
          assert.deepEqual(
            data.slice(at, at + 5),
            batch(name).map((e) => e.data),
            `batch ${name} unsplit`,
          );
          assert.deepEqual(
            events.slice(at, at + 5).map((e) => e.id),
            answer.ids,
            `batch ${name}'s ids`,
          );
        }
        assert.deepEqual((await log.appendMany([event('one')])).ids.length, 1, 'a batch of one');
      }));

    it('batch appends: a key covers the whole batch, and answers the first append with it', () =>
      withLog(undefined, async ({ log }) => {
        const seen = new TailRecorder();
        log.tail(seen);
        const events = [event('k0'), event('k1'), event('k2')];
        const first = await log.appendMany(events, keyed('batch'));
        assert.equal(first.replayed, undefined);
        const head = await log.head();
        const again = await log.appendMany(events, keyed('batch'));
        assert.deepEqual(again, { ids: first.ids, replayed: true }, 'the same ids, nothing appended');
        const single = await log.append(event('k0'), keyed('batch'));
        assert.equal(single.id, first.ids[0], "a single append with a batch's key answers its first id");
        assert.equal(single.replayed, true);
        const one = await log.append(event('solo'), keyed('single'));
        assert.deepEqual(await log.appendMany(events, keyed('single')), { ids: [one.id], replayed: true });
        await seen.waitFor(4);
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal(seen.events.length, 4, 'replays are never tailed');
        assert.equal(log.compareIds(await log.head(), head) > 0, true);
      }));

    it('batch appends: instances sharing a store keep each batch unsplit, and one key stores one batch', (t) =>
      withCapability(t, 'another', async (subject) => {
        const a = subject.log;
        const b = await subject.another();
        const start = await a.head();
        const batch = (name: string) => Array.from({ length: 20 }, (_, i) => event(`${name}-${i}`));
        const [fromA, fromB] = await Promise.all([a.appendMany(batch('a')), b.appendMany(batch('b'))]);
        const raced = await Promise.all([
          a.appendMany(batch('r'), keyed('race')),
          b.appendMany(batch('r'), keyed('race')),
        ]);
        assert.deepEqual(raced[0].ids, raced[1].ids, 'one batch for one key');
        assert.equal(raced.filter((r) => r.replayed).length, 1);
        const ids = (await readAll(b, start)).events.map((e) => e.id);
        assert.equal(ids.length, 60);
        for (const answer of [fromA, fromB, raced[0]]) {
          const at = ids.indexOf(answer.ids[0]!);
          assert.deepEqual(ids.slice(at, at + 20), answer.ids, 'consecutive');
        }
      }));

    it('batch appends: durable stores remember a batch key across a reopen', (t) =>
      withCapability(t, 'reopen', async (subject) => {
        const first = await subject.log.appendMany([event('d0'), event('d1')], keyed('durable-batch'));
        await subject.log.close();
        const again = await subject.reopen();
        try {
          const retried = await again.appendMany([event('d0'), event('d1')], keyed('durable-batch'));
          assert.deepEqual(retried, { ids: first.ids, replayed: true });
        } finally {
          await again.close();
        }
      }));

    it('close settles pending appends, and the log refuses appends once closed', async () => {
      const subject = await options.open();
      try {
        const start = await subject.log.head();
        const pending = Array.from({ length: 20 }, (_, i) => subject.log.append(event(`p${i}`)));
        await subject.log.close();
        const settled = await Promise.allSettled(pending);
        assert.deepEqual(
          settled.map((s) => s.status),
          Array(20).fill('fulfilled'),
        );
        await assert.rejects(subject.log.append(event('late')));
        if (subject.reopen) {
          const reopened = await subject.reopen();
          const ids = settled.map((s) => (s as PromiseFulfilledResult<StoredEvent>).value.id);
          const { events } = await readAll(reopened, start);
          const found = new Set(events.map((e) => e.id));
          for (const id of ids) assert.ok(found.has(id), `acknowledged ${id} is stored`);
          await reopened.close();
        }
      } finally {
        await subject.cleanup();
      }
    });

    it('kept records outlive retention, replace by key, expire, and are seen by other instances and after a reopen', () =>
      withLog({ maxEvents: 2 }, async (subject) => {
        const kept = subject.log.kept;
        assert.ok(kept, 'every store keeps records (the hub keeps its revocations there)');
        const now = Date.now();
        await kept.keep('a', 'first', now + 60_000);
        await kept.keep('a', 'second', now + 60_000);
        await kept.keep('b', 'soon gone', now + 150);
        await kept.keep('c', 'already gone', now - 1);
        // Retention trims events, never kept records.
        for (let i = 0; i < 5; i++) await subject.log.append(event(`e${i}`));
        assert.deepEqual([...(await kept.all())].sort(), [
          ['a', 'second'],
          ['b', 'soon gone'],
        ]);
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.deepEqual([...(await kept.all())], [['a', 'second']], 'b expired');
        if (subject.another) {
          const other = await subject.another();
          try {
            assert.deepEqual(
              [...((await other.kept?.all()) ?? [])],
              [['a', 'second']],
              'shared by the cluster',
            );
          } finally {
            await other.close();
          }
        }
        if (subject.reopen) {
          await subject.log.close();
          const again = await subject.reopen();
          try {
            assert.deepEqual(
              [...((await again.kept?.all()) ?? [])],
              [['a', 'second']],
              'kept across a reopen',
            );
          } finally {
            await again.close();
          }
        }
      }));

    it('durable stores: reopening keeps the history readable and ids increasing', (t) =>
      withCapability(t, 'reopen', async (subject) => {
        const start = await subject.log.head();
        const before: StoredEvent[] = [];
        for (let i = 0; i < 5; i++) before.push(await subject.log.append(event(`before${i}`)));
        const head = await subject.log.head();
        await subject.log.close();
        const again = await subject.reopen();
        try {
          assert.equal(await again.head(), head, 'head survives');
          const replay = await again.readAfter(before[1]!.id, all, 100);
          assert.equal(replay.gap, false, 'an id from before the restart is a known resume point');
          assert.deepEqual(replay.events, before.slice(2));
          const fromStart = await again.readAfter(start, all, 100);
          assert.equal(fromStart.gap, false);
          assert.equal(fromStart.events.length, 5);
          const next = await again.append(event('after'));
          assert.ok(again.compareIds(next.id, head) > 0, 'ids keep increasing across a reopen');
          assert.deepEqual(
            (await again.readAfter(head, all, 10)).events.map((e) => e.data),
            ['after'],
          );
        } finally {
          await again.close();
        }
      }));
  });
}
