// A stream's credential expires while private and public events are published continuously: nothing
// published from `exp` on reaches it, live or replayed, and it ends with herald-reauth.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventsUrl, StreamReader, sleep, startHub, type TestHub, token } from '../support/hub.js';

let hub: TestHub;
before(async () => {
  hub = await startHub();
});
after(() => hub.close());

/** The token's `exp`, in ms. */
function expiryOf(jwt: string): number {
  const payload = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { exp: number };
  return payload.exp * 1000;
}

describe('expiry: no event after exp', { timeout: 15_000 }, () => {
  it('delivers nothing published from exp on, private or public, then herald-reauth', async () => {
    const jwt = await token({ subscribe: ['users/9/**'], ttlSeconds: 2 });
    const exp = expiryOf(jwt);
    const reader = await StreamReader.open(eventsUrl(hub, ['users/9/**']), {
      authorization: `Bearer ${jwt}`,
    });
    assert.equal(reader.status, 200);
    await reader.ready();
    // Each event's data is the hub's clock when it was published (same process): it is fanned out
    // no earlier than that.
    const published: number[] = [];
    let publishedAfterExp = 0;
    let ended = false;
    void reader.ended.then(() => {
      ended = true;
    });
    // Publishing goes on a little past exp even once the stream has ended, so that some events
    // surely were published after it, however loaded the machine.
    while (Date.now() < exp + 300 || (!ended && Date.now() < exp + 1500)) {
      const now = Date.now();
      await hub.publish('users/9/inbox', String(now), { private: published.length % 2 === 0 });
      published.push(now);
      if (now >= exp) publishedAfterExp++;
      await sleep(5);
    }
    await reader.until(() => reader.events.some((e) => e.type === 'herald-reauth'), 'herald-reauth');
    const sentAt = reader.events.filter((e) => e.type === 'message').map((e) => Number(e.data));
    assert.ok(sentAt.length > 0, 'events before exp arrive');
    assert.ok(publishedAfterExp > 0, 'events were published after exp');
    const late = sentAt.filter((time) => time >= exp);
    assert.deepEqual(late, [], `events published after exp (${new Date(exp).toISOString()}) arrived`);
    assert.equal(reader.events.at(-1)?.type, 'herald-reauth');

    // A reconnect with a fresh credential and the last id it saw gets exactly what it was refused.
    const fresh = await token({ subscribe: ['users/9/**'] });
    const resumed = await StreamReader.open(eventsUrl(hub, ['users/9/**']), {
      authorization: `Bearer ${fresh}`,
      'last-event-id': reader.lastEventId,
    });
    // The times are taken before each publish reaches the hub, so one taken just before exp may
    // be published at or after it: the replay is told by what the stream did not get, not by time.
    const refused = published.slice(sentAt.length);
    assert.deepEqual(sentAt, published.slice(0, sentAt.length), 'the stream got a prefix, in order');
    const messages = () => resumed.events.filter((e) => e.type === 'message');
    await resumed.until(() => messages().length >= refused.length, `${refused.length} replayed events`);
    assert.deepEqual(
      messages().map((e) => Number(e.data)),
      refused,
      'the replay starts where the expired stream stopped',
    );
    resumed.close();
  });
});
