import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PublishInput } from '../../src/hub/event-rules.js';
import { eventsUrl, StreamReader, startHub, type TestHub } from '../support/hub.js';

describe('a publish with a field the hub does not know is refused, not published', () => {
  let hub: TestHub;
  let reader: StreamReader;
  before(async () => {
    hub = await startHub();
    reader = await StreamReader.open(eventsUrl(hub, ['users/1/inbox']));
    await reader.ready();
  });
  after(async () => {
    reader.close();
    await hub.close();
  });

  /** After a refusal: nothing was stored, and the next event is the first the subscriber gets. */
  async function assertNothingPublished(headBefore: string): Promise<void> {
    assert.equal(await hub.hub.head(), headBefore, 'nothing stored');
    const marker = await hub.publish('users/1/inbox', 'marker');
    await reader.until(() => reader.events.some((e) => e.lastEventId === marker), 'the marker');
    const got = reader.events.splice(0);
    assert.deepEqual(
      got.map((e) => e.data),
      ['marker'],
      'nothing delivered before the marker',
    );
  }

  const cases: Array<[string, Record<string, unknown> | string, string]> = [
    [
      'a misspelled private in JSON',
      { topic: 'users/1/inbox', data: 'reset code 123456', privat: true },
      '"privat" is not a publish field; did you mean "private"?',
    ],
    [
      'a misspelled data in a form (-d dat=x)',
      'topic=users/1/inbox&dat=x',
      '"dat" is not a publish field; did you mean "data"?',
    ],
    [
      'a form field in capitals',
      'Topic=users/1/inbox&data=x',
      '"Topic" is not a publish field; did you mean "topic"?',
    ],
    [
      "the library's name in JSON",
      { topics: ['users/1/inbox'], data: 'x' },
      '"topics" is not a publish field; did you mean "topic"?',
    ],
    [
      'a JSON field like no other',
      { topic: 'users/1/inbox', data: 'x', foo: 1 },
      '"foo" is not a publish field; the fields are topic, data, type, retry, private',
    ],
    [
      'a form field like no other',
      'topic=users/1/inbox&data=x&foo=1',
      '"foo" is not a publish field; the fields are topic, data, type, retry, private',
    ],
  ];
  for (const [name, body, reason] of cases) {
    it(`refuses ${name} (400, did-you-mean), storing and delivering nothing`, async () => {
      const head = await hub.hub.head();
      const answer = await hub.post(body);
      assert.equal(answer.status, 400, answer.body);
      assert.equal(answer.body, `${reason}\n`);
      await assertNothingPublished(head);
    });
  }

  it('names the first of thousands of unknown fields, in a form and in JSON', async () => {
    const unknown = Array.from({ length: 20_000 }, (_, i) => `f${i}`);
    const form = `topic=users/1/inbox&data=x&${unknown.map((f) => `${f}=1`).join('&')}`;
    const json = { topic: 'users/1/inbox', data: 'x', ...Object.fromEntries(unknown.map((f) => [f, 1])) };
    for (const body of [form, json]) {
      const answer = await hub.post(body);
      assert.equal(answer.status, 400, answer.body);
      assert.match(answer.body, /^"f0" is not a publish field; /);
    }
  });

  it('refuses a misspelled field of hub.publish, with the names of the library', async () => {
    const head = await hub.hub.head();
    const publish = (input: Record<string, unknown>) => hub.hub.publish(input as unknown as PublishInput);
    await assert.rejects(publish({ topics: 'users/1/inbox', data: 'reset code 123456', privat: true }), {
      name: 'HeraldError',
      code: 'invalid',
      message: '"privat" is not a publish field; did you mean "private"?',
    });
    await assert.rejects(publish({ topic: 'users/1/inbox', data: 'x' }), {
      message: '"topic" is not a publish field; did you mean "topics"?',
    });
    await assert.rejects(publish({ topics: 'users/1/inbox', data: 'x', foo: 1 }), {
      message:
        '"foo" is not a publish field; the fields are topics, data, type, retry, private, idempotencyKey',
    });
    await assertNothingPublished(head);
  });
});
