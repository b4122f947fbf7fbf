import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catchUp } from '../support/catch-up.js';
import { eventsUrl, StreamReader, sleep, startHub } from '../support/hub.js';

const padding = 'x'.repeat(10 * 1024);

describe('a paced replay', { timeout: 60_000 }, () => {
  it('hands over exactly to live events that arrive during it, past what a session may hold', async () => {
    // Half a 64 KiB ceiling may be held: the 10 MB published during the replay is far more.
    const hub = await startHub({
      limits: { maxUnsentBytesPerSession: 64 * 1024 },
      history: { maxEvents: 10_000, maxBytes: 256 * 1024 * 1024 },
    });
    try {
      const ids: string[] = [];
      for (let seq = 0; seq < 1000; seq++)
        ids.push((await hub.hub.publish({ topics: 'feed', data: `${seq}:${padding}` })).id);
      const reading = catchUp(eventsUrl(hub, ['feed']), ids[0]!, 1, 1999, 30_000);
      for (let seq = 1000; seq < 2000; seq++) {
        await hub.hub.publish({ topics: 'feed', data: `${seq}:${padding}` });
        if (seq % 10 === 0) await sleep(1);
      }
      await reading;
      assert.equal(hub.hub.stats().slowConsumerDisconnects, 0, 'the replaying stream is not cut');
    } finally {
      await hub.close();
    }
  });

  it('gives a stalled stream’s share of the replay budget back: the others catch up', async () => {
    // The budget holds one page: a stream that stops reading mid-replay would block every other.
    const hub = await startHub({
      limits: { maxUnsentBytesPerSession: 256 * 1024, maxReplayBytes: 256 * 1024 },
      history: { maxEvents: 10_000, maxBytes: 256 * 1024 * 1024 },
    });
    try {
      const ids: string[] = [];
      for (let seq = 0; seq < 2000; seq++)
        ids.push((await hub.hub.publish({ topics: 'feed', data: `${seq}:${padding}` })).id);
      // 20 MB: more than the network buffers take for a client that reads nothing.
      const stalled = await StreamReader.open(eventsUrl(hub, ['feed']), { 'last-event-id': ids[0]! }, true);
      await sleep(500);
      await catchUp(eventsUrl(hub, ['feed']), ids[0]!, 1, 1999, 30_000);
      stalled.close();
    } finally {
      await hub.close();
    }
  });
});
