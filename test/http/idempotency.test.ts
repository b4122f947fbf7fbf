// Idempotent publishing on one hub (memory store): the same Idempotency-Key answers the first id
// and appends nothing; keys are scoped by the publisher's subject; bad keys are refused.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  eventsUrl,
  httpRequest,
  StreamReader,
  sleep,
  startHub,
  type TestHub,
  token,
} from '../support/hub.js';

describe('Idempotency-Key on POST /publish', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub();
  });
  after(() => hub.close());

  it('the same key twice answers the first id, says it is a replay, and delivers one event', async () => {
    const reader = await StreamReader.open(eventsUrl(hub, ['orders']));
    await reader.ready();
    const first = await hub.post({ topic: 'orders', data: 'order 1' }, { 'idempotency-key': 'order-1' });
    assert.equal(first.status, 200, first.body);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    const retried = await hub.post({ topic: 'orders', data: 'order 1' }, { 'idempotency-key': 'order-1' });
    assert.equal(retried.status, 200, retried.body);
    assert.equal(retried.body, first.body, 'the same answer as the first time');
    assert.equal(retried.headers['idempotent-replayed'], 'true');
    const other = await hub.post({ topic: 'orders', data: 'order 2' }, { 'idempotency-key': 'order-2' });
    assert.equal(other.status, 200, other.body);
    assert.notEqual(other.body, first.body, 'another key is another event');
    const events = await reader.take(2);
    assert.deepEqual(
      events.map((e) => [e.data, e.lastEventId]),
      [
        ['order 1', first.body.trim()],
        ['order 2', other.body.trim()],
      ],
    );
    await sleep(200);
    assert.equal(reader.events.length, 2, 'the replay delivered nothing');
    reader.close();
  });

  it('keys are scoped by the publisher: another subject with the same key publishes its own event', async () => {
    const alice = await token({ publish: ['**'], subject: 'alice' });
    const bob = await token({ publish: ['**'], subject: 'bob' });
    const post = (bearer: string) =>
      httpRequest(`${hub.url}/publish`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${bearer}`,
          'content-type': 'application/json',
          'idempotency-key': 'shared-1',
        },
        body: JSON.stringify({ topic: 'scoped', data: 'x' }),
      });
    const a = await post(alice);
    const b = await post(bob);
    const aAgain = await post(alice);
    assert.equal(a.status, 200, a.body);
    assert.notEqual(b.body, a.body, "bob's event is not swallowed by alice's key");
    assert.equal(aAgain.body, a.body);
    assert.equal(aAgain.headers['idempotent-replayed'], 'true');
  });

  const bad: Array<[string, string, RegExp]> = [
    ['too long', 'k'.repeat(129), /1 to 128 visible ASCII characters.*it has 129/],
    ['empty', '', /it is empty/],
    ['with a space', 'two words', /a space, a control or a non-ASCII character/],
    ['non-ASCII', 'clé', /a space, a control or a non-ASCII character/],
  ];
  for (const [what, key, reason] of bad)
    it(`a key ${what} is refused with 400 and a plain reason, and nothing is published`, async () => {
      const head = await hub.hub.head();
      const answer = await hub.post(
        { topic: 'orders', data: 'x' },
        { 'idempotency-key': Buffer.from(key, 'utf8').toString('latin1') },
      );
      assert.equal(answer.status, 400, answer.body);
      assert.match(answer.body, /^the idempotency key must be /);
      assert.match(answer.body, reason);
      assert.equal(answer.body.trim().split('\n').length, 1, 'one line');
      assert.equal(await hub.hub.head(), head);
    });

  it('hub.publish takes idempotencyKey: the same key resolves with the first id and replayed', async () => {
    const first = await hub.hub.publish({ topics: 'lib', data: 'once', idempotencyKey: 'lib-1' });
    assert.equal(first.replayed, undefined);
    const again = await hub.hub.publish({ topics: 'lib', data: 'once', idempotencyKey: 'lib-1' });
    assert.deepEqual(again, { id: first.id, replayed: true });
    await assert.rejects(hub.hub.publish({ topics: 'lib', data: 'x', idempotencyKey: '' }), {
      code: 'invalid',
      message: /idempotency key must be 1 to 128/,
    });
  });
});
