// GET /subscriptions on one hub (memory store): counts per selector, authorized like a subscribe.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { httpRequest, StreamReader, startHub, type TestHub, token } from '../support/hub.js';

describe('GET /subscriptions (one hub)', () => {
  let hub: TestHub;
  const readers: StreamReader[] = [];
  before(async () => {
    hub = await startHub({ monitor: false });
    const secret = await token({ subscribe: ['secret/**', 'chat/**'] });
    const open = async (topic: string, headers: Record<string, string> = {}) => {
      const reader = await StreamReader.open(`${hub.url}/events?topic=${topic}`, headers);
      await reader.ready();
      readers.push(reader);
    };
    await open('chat/lobby');
    await open('chat/lobby');
    await open('chat/kitchen');
    await open('chat/lobby', { authorization: `Bearer ${secret}` });
    await open('secret/x', { authorization: `Bearer ${secret}` });
  });
  after(async () => {
    for (const r of readers) r.close();
    await hub.close();
  });

  const ask = async (query: string, bearer?: string) => {
    const answer = await httpRequest(`${hub.url}/subscriptions?${query}`, {
      headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` },
    });
    return { status: answer.status, body: answer.status === 200 ? JSON.parse(answer.body) : answer.body };
  };

  it('anonymous callers count public subscriptions only', async () => {
    const answer = await ask('topic=chat/lobby&topic=chat/*&topic=secret/x&topic=nobody/here');
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, {
      counts: { 'chat/lobby': 2, 'chat/*': 3, 'secret/x': 0, 'nobody/here': 0 },
      scope: 'hub',
      hubs: 1,
    });
  });

  it('a token covering a selector also counts the private subscriptions under it, and only there', async () => {
    const chat = await token({ subscribe: ['chat/**'] });
    const answer = await ask('topic=chat/lobby&topic=secret/x&topic=**', chat);
    assert.deepEqual(answer.body.counts, { 'chat/lobby': 3, 'secret/x': 0, '**': 3 });
    const all = await token({ subscribe: ['**'] });
    assert.deepEqual((await ask('topic=secret/x&topic=**', all)).body.counts, { 'secret/x': 1, '**': 5 });
  });

  it('refuses what a subscribe would refuse', async () => {
    assert.equal((await ask('')).status, 400);
    assert.equal((await ask('topic=a//b')).status, 400);
    assert.equal((await ask('topic=a', 'not-a-token')).status, 401);
    const answer = await httpRequest(`${hub.url}/subscriptions?topic=a`, { method: 'POST' });
    assert.equal(answer.status, 405);
  });

  it('the library call answers the same counts as an anonymous caller', () => {
    assert.deepEqual(hub.hub.subscriptionCounts(['chat/lobby', 'chat/**']), {
      'chat/lobby': 2,
      'chat/**': 3,
    });
  });
});
