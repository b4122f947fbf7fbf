// Batch publishing: POST /publish with application/x-ndjson, one event a line, all or nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { HubOptions } from '../../src/create-hub.js';
import { openStore } from '../../src/log/open-store.js';
import {
  eventsUrl,
  type HttpAnswer,
  httpRequest,
  StreamReader,
  startHub,
  type TestHub,
  token,
} from '../support/hub.js';
import { redisUnavailable, startRedis, type TestRedis } from '../support/redis.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-publish-batch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const NDJSON = { 'content-type': 'application/x-ndjson' };

/** One NDJSON line per event. */
const ndjson = (events: readonly Record<string, unknown>[]): string =>
  events.map((e) => `${JSON.stringify(e)}\n`).join('');

/** `count` events on `topic`, with data `prefix0`, `prefix1`, ... */
const numbered = (topic: string, prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({ topic, data: `${prefix}${i}` }));

const postBatch = (hub: TestHub, body: string, headers: Record<string, string> = {}): Promise<HttpAnswer> =>
  hub.post(body, { ...NDJSON, ...headers });

/** The ids of a 200 text/plain batch answer, one a line. */
function idsOf(answer: HttpAnswer): string[] {
  assert.equal(answer.status, 200, answer.body);
  assert.ok(answer.body.endsWith('\n'));
  return answer.body.slice(0, -1).split('\n');
}

async function subscriber(hub: TestHub, topics: string[], headers: Record<string, string> = {}) {
  const reader = await StreamReader.open(eventsUrl(hub, topics), headers);
  assert.equal(reader.status, 200);
  await reader.ready();
  return reader;
}

const dataOf = (reader: StreamReader): string[] => reader.events.map((e) => e.data);

/** Publishes a marker after what is under test and waits for it: what came before it is all there is. */
async function fence(hub: TestHub, reader: StreamReader, topic = 'b/fence'): Promise<void> {
  await hub.publish(topic, 'fence');
  await reader.until(() => dataOf(reader).includes('fence'), 'the fence');
}

async function withHub(options: HubOptions, body: (hub: TestHub) => Promise<void>): Promise<void> {
  const hub = await startHub({ monitor: false, ...options });
  try {
    await body(hub);
  } finally {
    await hub.close();
  }
}

/** A batch reaches a subscriber in order, unsplit by singles published meanwhile, with the ids answered. */
async function checkOrder(hub: TestHub): Promise<void> {
  const reader = await subscriber(hub, ['b/**']);
  const [batch, , other] = await Promise.all([
    postBatch(hub, ndjson(numbered('b/x', 'e', 50))),
    hub.publish('b/y', 'single'),
    postBatch(hub, ndjson(numbered('b/z', 'f', 50))),
  ]);
  const ids = idsOf(batch);
  assert.equal(ids.length, 50);
  await reader.take(101);
  const seen = reader.events.map((e) => e.lastEventId);
  for (const [name, answer] of [
    ['e', ids],
    ['f', idsOf(other)],
  ] as const) {
    const at = dataOf(reader).indexOf(`${name}0`);
    assert.deepEqual(
      dataOf(reader).slice(at, at + 50),
      numbered('b', name, 50).map((e) => e.data),
    );
    assert.deepEqual(seen.slice(at, at + 50), answer, 'consecutive, with the ids answered');
  }
  for (let i = 1; i < seen.length; i++) assert.ok(hub.hub.compareIds(seen[i - 1]!, seen[i]!) < 0);
  reader.close();
}

describe('batch publishing (application/x-ndjson)', { timeout: 30_000 }, () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({ monitor: false, limits: { maxEventsPerBatch: 20, maxPublishBatchBytes: 4096 } });
  });
  after(() => hub.close());

  it('reaches subscribers in order, at consecutive positions, with the ids answered one a line', async () => {
    await withHub({}, checkOrder);
  });

  it('skips blank lines, takes CRLF and a last line without a newline, and answers JSON on request', async () => {
    const reader = await subscriber(hub, ['b/**']);
    const body = `\n${JSON.stringify({ topic: 'b/1', data: 'one' })}\r\n  \r\n${JSON.stringify({ topic: ['b/2'], data: { n: 2 }, type: 'two' })}`;
    const answer = await postBatch(hub, body, { accept: 'application/json' });
    assert.equal(answer.status, 200, answer.body);
    assert.match(String(answer.headers['content-type']), /^application\/json/);
    const { ids } = JSON.parse(answer.body) as { ids: string[] };
    assert.equal(ids.length, 2);
    const events = await reader.take(2);
    assert.deepEqual(
      events.map((e) => [e.lastEventId, e.type, e.data]),
      [
        [ids[0], 'message', 'one'],
        [ids[1], 'two', '{"n":2}'],
      ],
    );
    reader.close();
  });

  it('a bad line refuses the whole batch, naming its line and why; nothing is appended', async () => {
    const reader = await subscriber(hub, ['b/**']);
    const head = await hub.hub.head();
    const good = JSON.stringify({ topic: 'b/ok', data: 'never' });
    const cases: [body: string, status: number, reason: RegExp][] = [
      [
        `${good}\n${good}\n{"topci": "b/x", "data": "d"}\n`,
        400,
        /^line 3: "topci" is not a publish field; did you mean "topic"\? \(nothing in the batch was published\)\n$/,
      ],
      [`${good}\n\n{"topic": "b/x", "data": }\n`, 400, /^line 3: body is not valid JSON/],
      [`${good}\n["b/x"]\n`, 400, /^line 2: JSON body must be an object/],
      // Found by the hub's own rules, after every line parsed: still named by its line.
      [
        `\n${good}\n\n${JSON.stringify({ topic: 'b/x', type: 'herald-gap' })}\n`,
        400,
        /^line 4: event type "herald-gap"/,
      ],
      [
        `${JSON.stringify({ topic: 'b/x', private: 'perhaps' })}\n`,
        400,
        /^line 1: private must be true or false/,
      ],
      ['\n \n\r\n', 400, /^the batch has no events/],
    ];
    for (const [body, status, reason] of cases) {
      const answer = await postBatch(hub, body);
      assert.equal(answer.status, status, answer.body);
      assert.match(answer.body, reason);
    }
    assert.equal(await hub.hub.head(), head, 'nothing appended to the log');
    await fence(hub, reader);
    assert.deepEqual(dataOf(reader), ['fence'], 'nothing reached the stream');
    reader.close();
  });

  it('bounds a batch in events and in bytes, each named in its 413; each event keeps its own bound', async () => {
    const many = await postBatch(hub, ndjson(numbered('b/x', 'e', 21)));
    assert.equal(many.status, 413);
    assert.match(many.body, /the batch has 21 events; the limit is 20 \(maxEventsPerBatch\)/);
    const big = await postBatch(hub, ndjson([{ topic: 'b/x', data: 'x'.repeat(5000) }]));
    assert.equal(big.status, 413);
    assert.match(big.body, /the limit is 4096 \(maxPublishBatchBytes\)/);
    // Sent in chunks without a Content-Length, the bound is met while reading.
    const chunked = await httpRequest(`${hub.url}/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hub.token}`, ...NDJSON, 'transfer-encoding': 'chunked' },
      body: ndjson([{ topic: 'b/x', data: 'x'.repeat(5000) }]),
    });
    assert.equal(chunked.status, 413, chunked.body);
    assert.match(chunked.body, /larger than 4096 bytes \(maxPublishBatchBytes\)/);
    await withHub({ limits: { maxEventBytes: 10, maxPublishBodyBytes: 100 } }, async (small) => {
      const event = await postBatch(
        small,
        ndjson([
          { topic: 'b/x', data: 'ok' },
          { topic: 'b/x', data: 'too long for it' },
        ]),
      );
      assert.equal(event.status, 413);
      assert.match(event.body, /^line 2: data is 15 bytes; the limit is 10 \(maxEventBytes\)/);
      // A batch may be larger than one publish body.
      const wide = await postBatch(small, ndjson(numbered('b/x', 'e', 20)));
      assert.equal(idsOf(wide).length, 20);
    });
  });

  it("the publisher's grant must cover every line's topics (403 naming the line)", async () => {
    const reader = await subscriber(hub, ['**']);
    const limited = await token({ publish: ['b/**'] });
    const body = ndjson([
      { topic: 'b/x', data: 'ok' },
      { topic: ['b/y', 'c/y'], data: 'no' },
    ]);
    const answer = await postBatch(hub, body, { authorization: `Bearer ${limited}` });
    assert.equal(answer.status, 403);
    assert.match(answer.body, /^line 2: the token may not publish to "c\/y"/);
    const system = await postBatch(hub, ndjson([{ topic: '$SYS/x', data: 'no' }]));
    assert.equal(system.status, 403);
    assert.match(system.body, /^line 1: topic "\$SYS\/x" is reserved for the hub/);
    await fence(hub, reader);
    assert.deepEqual(dataOf(reader), ['fence']);
    reader.close();
  });

  it('an Idempotency-Key covers the whole batch: the same key answers the same ids and appends nothing', async () => {
    const reader = await subscriber(hub, ['b/**']);
    const body = ndjson(numbered('b/k', 'k', 3));
    const first = await postBatch(hub, body, { 'idempotency-key': 'batch-1' });
    const ids = idsOf(first);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    const again = await postBatch(hub, body, { 'idempotency-key': 'batch-1' });
    assert.deepEqual(idsOf(again), ids);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    const bad = await postBatch(hub, body, { 'idempotency-key': 'has space' });
    assert.equal(bad.status, 400);
    await fence(hub, reader);
    assert.deepEqual(dataOf(reader), ['k0', 'k1', 'k2', 'fence']);
    reader.close();
  });

  it('a batch spends the publish budget once per event, so batching is no way around it', async () => {
    await withHub({ limits: { maxPublishesPerSecondPerClient: 10 } }, async (limited) => {
      const reader = await subscriber(limited, ['b/**']);
      // 11 events are over a budget of 10 in any one-second window.
      const over = await postBatch(limited, ndjson(numbered('b/x', 'over', 11)));
      assert.equal(over.status, 429);
      assert.match(
        over.body,
        /at most 10 per second per client \(maxPublishesPerSecondPerClient\) \(a batch spends one per event\)/,
      );
      assert.ok(over.headers['retry-after']);
      await new Promise((resolve) => setTimeout(resolve, 1100)); // the next window
      assert.equal(idsOf(await postBatch(limited, ndjson(numbered('b/x', 'in', 10)))).length, 10);
      await reader.take(10);
      assert.deepEqual(
        dataOf(reader),
        numbered('b', 'in', 10).map((e) => e.data),
        'the refused batch stored nothing',
      );
      reader.close();
    });
  });

  it('private events of a batch reach only subscribers whose token covers them', async () => {
    const anonymous = await subscriber(hub, ['p/**', 'b/fence']);
    const covered = await subscriber(hub, ['p/**', 'b/fence'], {
      authorization: `Bearer ${await token({ subscribe: ['p/secret/**'] })}`,
    });
    const body = ndjson([
      { topic: 'p/open', data: 'public' },
      { topic: 'p/secret/a', data: 'private', private: true },
      { topic: 'p/open', data: 'public again' },
    ]);
    idsOf(await postBatch(hub, body));
    await fence(hub, anonymous);
    await fence(hub, covered);
    assert.deepEqual(
      dataOf(anonymous).filter((d) => d !== 'fence'),
      ['public', 'public again'],
    );
    assert.deepEqual(
      dataOf(covered).filter((d) => d !== 'fence'),
      ['public', 'private', 'public again'],
    );
    anonymous.close();
    covered.close();
  });

  it('hub.publishMany: the same rules in the library, events named by number', async () => {
    const reader = await subscriber(hub, ['b/lib']);
    const { ids } = await hub.hub.publishMany(
      numbered('b/lib', 'l', 3).map((e) => ({ topics: e.topic, data: e.data })),
    );
    assert.equal(ids.length, 3);
    await assert.rejects(
      hub.hub.publishMany([
        { topics: 'b/lib', data: 'a' },
        { topics: 'b/lib', data: 'b', idempotencyKey: 'k' },
      ]),
      /^HeraldError: event 2: an idempotency key covers the whole batch/,
    );
    await assert.rejects(hub.hub.publishMany([{ topics: '$SYS/x', data: 'a' }]), /event 1: system topics/);
    await assert.rejects(hub.hub.publishMany([]), /a batch needs at least one event/);
    const keyed = await hub.hub.publishMany([{ topics: 'b/lib', data: 'once' }], { idempotencyKey: 'lib' });
    assert.deepEqual(
      await hub.hub.publishMany([{ topics: 'b/lib', data: 'once' }], { idempotencyKey: 'lib' }),
      {
        ids: keyed.ids,
        replayed: true,
      },
    );
    await reader.take(4);
    assert.deepEqual(dataOf(reader), ['l0', 'l1', 'l2', 'once']);
    reader.close();
  });

  it('through SQLite: in order, and a batch key still answers after a restart', async () => {
    const path = join(dir, 'batch.db');
    const body = ndjson(numbered('b/s', 's', 5));
    let ids: string[] = [];
    await withHub({ store: await openStore(`sqlite:${path}`) }, async (first) => {
      await checkOrder(first);
      ids = idsOf(await postBatch(first, body, { 'idempotency-key': 'durable' }));
    });
    await withHub({ store: await openStore(`sqlite:${path}`) }, async (second) => {
      const again = await postBatch(second, body, { 'idempotency-key': 'durable' });
      assert.deepEqual(idsOf(again), ids);
      assert.equal(again.headers['idempotent-replayed'], 'true');
    });
  });
});

describe('batch publishing through Redis', { skip: redisUnavailable, timeout: 30_000 }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis?.stop());

  it('in order on every hub of the cluster, and one key stores one batch across hubs', async () => {
    const store = `${redis.url}?stream=batch`;
    await withHub({ store: await openStore(store) }, async (a) => {
      await withHub({ store: await openStore(store) }, async (b) => {
        await checkOrder(a);
        const reader = await subscriber(b, ['b/r']);
        const body = ndjson(numbered('b/r', 'r', 10));
        const [fromA, fromB] = await Promise.all([
          postBatch(a, body, { 'idempotency-key': 'race' }),
          postBatch(b, body, { 'idempotency-key': 'race' }),
        ]);
        assert.deepEqual(idsOf(fromA), idsOf(fromB));
        await reader.take(10);
        await fence(b, reader, 'b/r');
        assert.deepEqual(dataOf(reader), [...numbered('b', 'r', 10).map((e) => e.data), 'fence']);
        assert.deepEqual(
          reader.events.slice(0, 10).map((e) => e.lastEventId),
          idsOf(fromA),
        );
      });
    });
  });
});
