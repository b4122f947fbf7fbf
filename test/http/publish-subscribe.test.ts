import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventsUrl, StreamReader, startHub, type TestHub, token } from '../support/hub.js';

describe('publish and subscribe over HTTP', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub();
  });
  after(() => hub.close());

  it('sends the stream headers at once, then retry and the head id (a herald-resume event) before any event', async () => {
    const reader = await StreamReader.open(eventsUrl(hub, ['greetings']));
    assert.equal(reader.status, 200);
    assert.equal(reader.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.equal(reader.headers['cache-control'], 'no-cache, no-transform');
    assert.equal(reader.headers['x-accel-buffering'], 'no');
    await reader.ready();
    assert.deepEqual(reader.retries, [3000]);
    const head = await hub.hub.head();
    // A reserved-type event, not an id-only block: some clients take ids only from dispatched events.
    assert.equal(
      reader.raw,
      `event: herald-resume\nid: ${head}\nretry: 3000\ndata: {"lastEventId":"${head}"}\n\n`,
    );
    assert.deepEqual(
      reader.resumes.map((e) => [e.type, e.lastEventId]),
      [['herald-resume', head]],
    );
    assert.equal(reader.events.length, 0, 'nothing an application listens for');
    reader.close();
  });

  const selectorCases: Array<[string, string[], string[]]> = [
    ['an exact topic', ['stocks/ACME'], ['stocks/ACME']],
    ['"*" for one segment', ['stocks/*'], ['stocks/ACME', 'stocks/INIT']],
    ['a trailing "**" for any depth', ['news/**'], ['news', 'news/world', 'news/world/europe']],
    ['"*" in the middle', ['rooms/*/messages'], ['rooms/a/messages', 'rooms/b/messages']],
  ];
  const published = [
    'stocks/ACME',
    'stocks/INIT',
    'stocks/ACME/eu',
    'news',
    'news/world',
    'news/world/europe',
  ];
  published.push('rooms/a/messages', 'rooms/b/messages', 'rooms/a/typing', 'other');

  for (const [name, selectors, expected] of selectorCases) {
    it(`delivers to ${name} and nothing else`, async () => {
      const reader = await StreamReader.open(eventsUrl(hub, selectors));
      await reader.ready();
      for (const topic of published) await hub.publish(topic, topic);
      const marker = `${name}-end`;
      await hub.publish(selectors[0]!.replace(/\*\*?/g, 'x'), marker);
      await reader.until(() => reader.events.some((e) => e.data === marker), 'the marker event');
      const got = reader.events.map((e) => e.data).filter((d) => d !== marker);
      assert.deepEqual(got, expected);
      reader.close();
    });
  }

  it('delivers an event with several matching topics once, to each matching subscriber', async () => {
    const both = await StreamReader.open(eventsUrl(hub, ['multi/a', 'multi/*', 'multi/**']));
    const onlyB = await StreamReader.open(eventsUrl(hub, ['multi/b']));
    await both.ready();
    await onlyB.ready();
    const id = await hub.publish(['multi/a', 'multi/b'], 'once');
    await hub.publish('multi/a', 'second');
    await both.take(2);
    await onlyB.take(1);
    assert.deepEqual(
      both.events.map((e) => [e.data, e.lastEventId]),
      [
        ['once', id],
        ['second', both.events[1]!.lastEventId],
      ],
    );
    assert.deepEqual(
      onlyB.events.map((e) => e.data),
      ['once'],
    );
    both.close();
    onlyB.close();
  });

  it('accepts form bodies with repeated topics, a type, retry, and multi-line data', async () => {
    const reader = await StreamReader.open(eventsUrl(hub, ['form/*']));
    await reader.ready();
    const body = new URLSearchParams([
      ['topic', 'form/a'],
      ['topic', 'form/b'],
      ['data', 'line one\nline two\r\nline three\rend'],
      ['type', 'update'],
      ['retry', '4500'],
    ]).toString();
    const answer = await hub.post(body);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'text/plain; charset=utf-8');
    assert.match(answer.body, /^\S+\n$/, 'the id and a newline');
    const [event] = await reader.take(1);
    assert.deepEqual(event, {
      type: 'update',
      data: 'line one\nline two\nline three\nend',
      lastEventId: answer.body.trimEnd(),
    });
    await reader.until(() => reader.retries.includes(4500), 'the retry field');
    reader.close();
  });

  it('accepts JSON bodies with any JSON value as data', async () => {
    const reader = await StreamReader.open(eventsUrl(hub, ['json']));
    await reader.ready();
    await hub.publish('json', 'plain string');
    await hub.publish('json', { price: 12.5, tags: ['a', 'b'] } as unknown as string);
    const answer = await hub.post({ topic: ['json'], data: [1, 2], type: 'list' });
    assert.equal(answer.status, 200);
    const events = await reader.take(3);
    assert.deepEqual(
      events.map((e) => [e.type, e.data]),
      [
        ['message', 'plain string'],
        ['message', '{"price":12.5,"tags":["a","b"]}'],
        ['list', '[1,2]'],
      ],
    );
    reader.close();
  });

  it('cannot be made to forge fields: data with field-like lines stays data', async () => {
    const reader = await StreamReader.open(eventsUrl(hub, ['forge']));
    await reader.ready();
    await hub.publish('forge', 'x\n\nevent: admin\nid: 999\ndata: injected\r\rretry: 1');
    const [event] = await reader.take(1);
    assert.equal(event!.type, 'message');
    assert.equal(event!.data, 'x\n\nevent: admin\nid: 999\ndata: injected\n\nretry: 1');
    assert.notEqual(event!.lastEventId, '999');
    assert.deepEqual(reader.retries, [3000]);
    for (const type of ['a\nb', 'a\rb', 'a\0b']) {
      const answer = await hub.post({ topic: 'forge', data: 'd', type });
      assert.equal(answer.status, 400, `type ${JSON.stringify(type)}`);
    }
    reader.close();
  });

  it('keeps private events for subscribers whose token covers a topic', async () => {
    const anonymous = await StreamReader.open(eventsUrl(hub, ['users/*/notes']));
    const alice = await StreamReader.open(eventsUrl(hub, ['users/*/notes']), {
      authorization: `Bearer ${await token({ subscribe: ['users/alice/**'] })}`,
    });
    const viaQuery = await StreamReader.open(
      eventsUrl(hub, ['users/alice/notes'], {
        access_token: await token({ subscribe: ['users/alice/notes'] }),
      }),
    );
    for (const r of [anonymous, alice, viaQuery]) await r.ready();
    await hub.publish('users/alice/notes', 'for alice', { private: true });
    await hub.publish('users/bob/notes', 'for bob', { private: true });
    await hub.publish('users/alice/notes', 'public');
    await alice.take(2);
    await viaQuery.take(2);
    await anonymous.take(1);
    await hub.publish('users/alice/notes', 'end');
    await anonymous.until(() => anonymous.events.some((e) => e.data === 'end'), 'end');
    assert.deepEqual(
      alice.events.map((e) => e.data),
      ['for alice', 'public'],
    );
    assert.deepEqual(
      viaQuery.events.slice(0, 2).map((e) => e.data),
      ['for alice', 'public'],
    );
    assert.deepEqual(
      anonymous.events.map((e) => e.data),
      ['public', 'end'],
    );
    for (const r of [anonymous, alice, viaQuery]) r.close();
  });

  it('keeps $SYS topics out of wildcard subscriptions and refuses them from publishers', async () => {
    const everything = await StreamReader.open(eventsUrl(hub, ['**']));
    const sys = await StreamReader.open(eventsUrl(hub, ['$SYS/test']));
    await everything.ready();
    await sys.ready();
    await hub.hub.publish({ topics: '$SYS/test', data: 'system' });
    await hub.hub.publish({ topics: 'visible', data: 'public' });
    await sys.take(1);
    await everything.take(1);
    assert.deepEqual(
      everything.events.map((e) => e.data),
      ['public'],
    );
    assert.equal(sys.events[0]!.data, 'system');
    const answer = await hub.post({ topic: '$SYS/test', data: 'forged' });
    assert.equal(answer.status, 403);
    assert.match(answer.body, /reserved for the hub/);
    everything.close();
    sys.close();
  });

  it('publishes from the library as from HTTP', async () => {
    const reader = await StreamReader.open(eventsUrl(hub, ['lib/*']));
    await reader.ready();
    const { id } = await hub.hub.publish({ topics: ['lib/x'], data: 'from code', type: 'note' });
    const [event] = await reader.take(1);
    assert.deepEqual(event, { type: 'note', data: 'from code', lastEventId: id });
    reader.close();
  });

  it('assigns strictly increasing ids', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await hub.hub.publish({ topics: 'ids', data: String(i) })).id);
    for (let i = 1; i < ids.length; i++) {
      assert.ok(hub.hub.compareIds(ids[i - 1]!, ids[i]!) < 0, `${ids[i - 1]} < ${ids[i]}`);
    }
  });
});

describe('system topics', () => {
  it('are delivered live but take no room in the history and do not move resume points', async () => {
    const hub = await startHub({ monitor: false, history: { maxEvents: 3 } });
    try {
      const sys = await StreamReader.open(eventsUrl(hub, ['$SYS/test', 'user']));
      await sys.ready();
      const id = await hub.publish('user', 'kept');
      for (let i = 0; i < 10; i++) await hub.hub.publish({ topics: '$SYS/test', data: `snapshot ${i}` });
      await sys.take(11);
      assert.equal(sys.lastEventId, id);
      assert.equal(hub.hub.stats().history.events, 1);
      sys.close();
    } finally {
      await hub.close();
    }
  });
});
