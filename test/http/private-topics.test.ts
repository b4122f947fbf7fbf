// `privateTopics` over HTTP: an event under a private namespace is private whatever its publisher
// said, live and on replay, and so are events a SQLite store kept from before the option was set.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../src/log/open-store.js';
import { eventsUrl, StreamReader, startHub, type TestHub, token } from '../support/hub.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-private-topics-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A stream of `topics`, anonymous or with a token covering `secret/**`, from `lastEventId` if given. */
async function open(
  hub: TestHub,
  topics: string[],
  options: { authorized?: boolean; lastEventId?: string } = {},
): Promise<StreamReader> {
  const headers: Record<string, string> = {};
  if (options.authorized) headers.authorization = `Bearer ${await token({ subscribe: ['secret/**'] })}`;
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const reader = await StreamReader.open(eventsUrl(hub, topics), headers);
  assert.equal(reader.status, 200);
  await reader.ready();
  return reader;
}

/** Publishes a public marker every reader below sees, and waits until each has it. */
async function fence(hub: TestHub, readers: StreamReader[]): Promise<void> {
  await hub.publish('open/fence', 'fence');
  for (const reader of readers) await reader.until(() => dataOf(reader).includes('fence'), 'the fence');
}

const dataOf = (reader: StreamReader): string[] => reader.events.map((e) => e.data);

describe('private namespaces (privateTopics)', { timeout: 20_000 }, () => {
  it('keeps a public-flagged publish under a namespace from anonymous subscribers, live and on replay', async () => {
    const hub = await startHub({ privateTopics: ['secret/**'] });
    try {
      const start = await hub.publish('open/start', 'start');
      const anonymous = await open(hub, ['**', 'open/fence']);
      const asked = await open(hub, ['secret/**', 'open/fence']);
      const authorized = await open(hub, ['secret/**', 'open/fence'], { authorized: true });
      await hub.publish('secret/plans', 'plans', { private: false });
      await hub.publish(['open/x', 'secret/y'], 'one topic under it');
      await fence(hub, [anonymous, asked, authorized]);
      assert.deepEqual(dataOf(anonymous), ['fence']);
      assert.deepEqual(dataOf(asked), ['fence']);
      assert.deepEqual(dataOf(authorized), ['plans', 'one topic under it', 'fence']);

      const replayAnonymous = await open(hub, ['**', 'open/fence'], { lastEventId: start });
      const replayAuthorized = await open(hub, ['secret/**', 'open/fence'], {
        authorized: true,
        lastEventId: start,
      });
      await replayAnonymous.until(() => dataOf(replayAnonymous).includes('fence'), 'the replay');
      await replayAuthorized.until(() => dataOf(replayAuthorized).includes('fence'), 'the replay');
      assert.deepEqual(dataOf(replayAnonymous), ['fence']);
      assert.deepEqual(dataOf(replayAuthorized), ['plans', 'one topic under it', 'fence']);
      for (const reader of [anonymous, asked, authorized, replayAnonymous, replayAuthorized]) reader.close();
    } finally {
      await hub.close();
    }
  });

  it('makes events a SQLite store kept as public private on replay once the option is set', async () => {
    const store = `sqlite:${join(dir, 'herald.db')}`;
    const before = await startHub({ store: await openStore(store) });
    let start: string;
    try {
      start = await before.publish('open/start', 'start');
      await before.publish('secret/old', 'old', { private: false });
      await before.publish('open/fence', 'fence');
    } finally {
      await before.close();
    }
    const log = await openStore(store);
    const stored = await log.readAfter(start, () => true, 10);
    assert.deepEqual(
      stored.events.map((event) => [event.data, event.private]),
      [
        ['old', false],
        ['fence', false],
      ],
      'stored public, before the option',
    );
    const restarted = await startHub({ store: log, privateTopics: ['secret/**'] });
    try {
      const anonymous = await open(restarted, ['**'], { lastEventId: start });
      const authorized = await open(restarted, ['**'], { authorized: true, lastEventId: start });
      await anonymous.until(() => dataOf(anonymous).includes('fence'), 'the replay');
      await authorized.until(() => dataOf(authorized).includes('fence'), 'the replay');
      assert.deepEqual(dataOf(anonymous), ['fence']);
      assert.deepEqual(dataOf(authorized), ['old', 'fence']);
      // Published now under the namespace: stored private, so the flag in the file is honest.
      const now = await restarted.publish('secret/new', 'new', { private: false });
      const [event] = (await log.readAfter(stored.cursor, (e) => e.id === now, 10)).events;
      assert.equal(event?.private, true);
      anonymous.close();
      authorized.close();
    } finally {
      await restarted.close();
    }
  });
});
