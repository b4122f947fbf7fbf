import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newCounters } from '../../src/hub/counters.js';
import { Delivery } from '../../src/hub/delivery.js';
import { Session } from '../../src/hub/session.js';
import { FakeSink } from '../support/fake-sink.js';

function setup(ceiling = 1024 * 1024) {
  const counters = newCounters();
  const slow: Session[] = [];
  const delivery = new Delivery(counters, ceiling, (session) => slow.push(session));
  const open = () => {
    const sink = new FakeSink();
    const session = new Session(
      sink,
      { selectors: [], grant: undefined, lastEventId: undefined, client: 'c' },
      true,
      0,
    );
    session.goLive();
    return { sink, session };
  };
  return { counters, delivery, open, slow };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('delivery', () => {
  it('writes one turn of chunks to each session in order, once, whatever mix of shared and own chunks', async () => {
    const { counters, delivery, open } = setup();
    const a = open();
    const b = open();
    const c = open();
    const first = Buffer.from('e1');
    const second = Buffer.from('e2');
    // c has a control chunk before the turn's first event; b gets a second event; a only the first.
    delivery.enqueue(c.session, Buffer.from('ctl'), false);
    for (const s of [a, b, c]) delivery.enqueue(s.session, first, true);
    delivery.enqueue(b.session, second, true);
    await turn();
    assert.deepEqual(a.sink.writes, [['e1']]);
    assert.deepEqual(b.sink.writes, [['e1', 'e2']]);
    assert.deepEqual(c.sink.writes, [['ctl', 'e1']]);
    assert.equal(counters.eventsDelivered, 4);
    assert.equal(counters.bytesOut, 2 + 4 + 5);
    // The next turn starts afresh: a different first event is shared again.
    for (const s of [a, b]) delivery.enqueue(s.session, second, true);
    await turn();
    assert.deepEqual(a.sink.writes, [['e1'], ['e2']]);
    assert.deepEqual(b.sink.writes, [['e1', 'e2'], ['e2']]);
    assert.equal(counters.eventsDelivered, 6);
  });

  it('writes a session at once on writeNow (a stream ending mid-turn) and not again at the flush', async () => {
    const { delivery, open } = setup();
    const a = open();
    const b = open();
    const event = Buffer.from('e');
    delivery.enqueue(a.session, event, true);
    delivery.enqueue(b.session, event, true);
    delivery.writeNow(a.session);
    assert.deepEqual(a.sink.writes, [['e']]);
    await turn();
    assert.deepEqual(a.sink.writes, [['e']]);
    assert.deepEqual(b.sink.writes, [['e']]);
  });

  it('asks a session for its queue only after a write met backpressure, and cuts it past the ceiling', async () => {
    const { delivery, open, slow } = setup(64 * 1024);
    const a = open();
    a.sink.queued = 10 * 1024 * 1024; // never asked while writes are taken
    delivery.enqueue(a.session, Buffer.from('1'), true);
    await turn();
    assert.deepEqual(slow, []);
    a.sink.taken = false;
    delivery.enqueue(a.session, Buffer.from('2'), true);
    await turn();
    assert.deepEqual(slow, []);
    delivery.enqueue(a.session, Buffer.from('3'), true);
    await turn();
    assert.deepEqual(slow, [a.session]);
    assert.deepEqual(a.sink.writes, [['1'], ['2']]);
  });

  it('asks every time when the ceiling is below a transport high-water mark', async () => {
    const { delivery, open, slow } = setup(1024);
    const a = open();
    a.sink.queued = 2048;
    delivery.enqueue(a.session, Buffer.from('1'), true);
    await turn();
    assert.deepEqual(slow, [a.session]);
    assert.deepEqual(a.sink.writes, []);
  });

  it('sends a heartbeat to a live stream with no write in the last quietBeats sweeps, and only to it', async () => {
    const { delivery, open } = setup();
    const quiet = open();
    const busy = open();
    const sessions = [quiet.session, busy.session];
    delivery.heartbeat(sessions, 3);
    delivery.heartbeat(sessions, 3);
    delivery.enqueue(busy.session, Buffer.from('e'), true);
    await turn();
    assert.deepEqual(quiet.sink.writes, []);
    delivery.heartbeat(sessions, 3); // quiet since sweep 0: three sweeps
    assert.deepEqual(quiet.sink.writes, [[':\n\n']]);
    assert.deepEqual(busy.sink.writes, [['e']]);
    delivery.heartbeat(sessions, 3);
    assert.deepEqual(
      busy.sink.writes,
      [['e']],
      'written after sweep 2: not quiet for three sweeps at sweep 4',
    );
    delivery.heartbeat(sessions, 3);
    assert.deepEqual(busy.sink.writes, [['e'], [':\n\n']], 'at sweep 5 it is');
    assert.equal(quiet.sink.writes.length, 1);
    delivery.heartbeat(sessions, 3);
    assert.equal(quiet.sink.writes.length, 2, 'the quiet one again three sweeps after its last heartbeat');
  });
});
