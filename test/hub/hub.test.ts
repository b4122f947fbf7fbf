// The core Hub driven directly, through fake sinks and a fake authorizer: no HTTP, no timers waited on.
import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import type { Authorizer, Grant } from '../../src/hub/authorizer.js';
import { Hub, type HubCoreOptions } from '../../src/hub/hub.js';
import { DEFAULT_LIMITS, type Limits } from '../../src/hub/limits.js';
import { OPERATIONS } from '../../src/hub/operations.js';
import { HeraldError } from '../../src/hub/refusal.js';
import type { Session } from '../../src/hub/session.js';
import type { Admission } from '../../src/hub/subscriber-admission.js';
import { parseSelector } from '../../src/hub/topic-selector.js';
import type { ReadResult, StoredEvent } from '../../src/log/event-log.js';
import { MemoryLog } from '../../src/log/memory.js';
import { FakeSink } from '../support/fake-sink.js';

/** Tokens are grant names: `verify` answers the grant registered under the token's text. */
class FakeAuthorizer implements Authorizer {
  readonly #grants = new Map<string, Grant>();

  /** Registers a grant for private `subscribe` selectors (and an expiry, ms); returns its token. */
  grant(subscribe: string[], expiresAt?: number, subject?: string): string {
    const token = `token-${this.#grants.size}`;
    this.#grants.set(token, {
      publish: [],
      subscribe: subscribe.map(parseSelector),
      expiresAt,
      subject,
      tokenId: `jti-${token}`,
      issuedAt: 1_000,
    });
    return token;
  }

  async verify({ token }: { token: string }): Promise<Grant> {
    const grant = this.#grants.get(token);
    if (grant === undefined) throw new HeraldError('unauthenticated', 'unknown token');
    return grant;
  }
}

/** A memory log whose replay reads wait for `open()`: a test publishes while a replay is under way. */
class GatedLog extends MemoryLog {
  #gate: Promise<void> | undefined;
  #open: () => void = () => {};
  /** Where a read waits: before it reads (events published meanwhile are also replayed) or after. */
  waitBefore = true;

  closeGate(): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  open(): void {
    this.#open();
    this.#gate = undefined;
  }

  override async readAfter(
    afterId: string,
    filter: (event: StoredEvent) => boolean,
    limit: number,
  ): Promise<ReadResult> {
    if (this.waitBefore) await this.#gate;
    const result = await super.readAfter(afterId, filter, limit);
    if (!this.waitBefore) await this.#gate;
    return result;
  }
}

const hubs: Hub[] = [];
afterEach(async () => {
  mock.timers.reset();
  await Promise.all(hubs.splice(0).map((hub) => hub.close()));
});

function makeHub(options: { log?: MemoryLog; limits?: Partial<Limits>; privateTopics?: string[] } = {}): {
  hub: Hub;
  auth: FakeAuthorizer;
  log: MemoryLog;
} {
  const auth = new FakeAuthorizer();
  const log = options.log ?? new MemoryLog();
  const core: HubCoreOptions = {
    log,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    publishers: undefined,
    subscribers: auth,
    retryMs: 1000,
    heartbeatMs: 60_000,
    shedRetryMs: 1000,
    drainTimeoutMs: 100,
    privateTopics: (options.privateTopics ?? []).map(parseSelector),
  };
  const hub = new Hub(core);
  hubs.push(hub);
  return { hub, auth, log };
}

/** A few event-loop turns: the handover's promises settle and the delivery flushes. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

interface Subscriber {
  sink: FakeSink;
  session: Session;
}

type SubscribeOptions = { token?: string; lastEventId?: string; client?: string };

/** Through the subscribe operation's steps, as every transport runs them, then its admission. */
async function admit(hub: Hub, selectors: string[], options: SubscribeOptions = {}): Promise<Admission> {
  const client = options.client ?? 'client';
  const credential =
    options.token === undefined ? undefined : { token: options.token, source: 'bearer' as const };
  const grant = await hub.admit(OPERATIONS.subscribe, credential, client);
  return hub.admitSubscriber({ selectors, grant, lastEventId: options.lastEventId, client });
}

/** Admits and opens a stream without waiting for its handover. */
async function start(hub: Hub, selectors: string[], options: SubscribeOptions = {}): Promise<Subscriber> {
  const admission = await admit(hub, selectors, options);
  if (admission.kind !== 'admitted') throw new Error(`not admitted: ${admission.reason}`);
  const sink = new FakeSink();
  return { sink, session: hub.open(sink, admission.subscription, { heartbeat: true }) };
}

/** Admits and opens a stream, and lets its handover run. */
async function subscribe(hub: Hub, selectors: string[], options: SubscribeOptions = {}): Promise<Subscriber> {
  const subscriber = await start(hub, selectors, options);
  await settle();
  return subscriber;
}

async function publish(hub: Hub, topics: string[], data: string, isPrivate = false): Promise<string> {
  const { id } = await hub.publish({ topics, data, private: isPrivate });
  await settle();
  return id;
}

describe('hub: admission', () => {
  it('sheds past the connection limit and past the per-client limit, telling the client to come back', async () => {
    const { hub } = makeHub({ limits: { maxConnections: 3, maxConnectionsPerClient: 2 } });
    await subscribe(hub, ['a'], { client: 'x' });
    await subscribe(hub, ['a'], { client: 'x' });
    const perClient = await admit(hub, ['a'], { client: 'x' });
    assert.equal(perClient.kind, 'shed');
    assert.equal(perClient.kind === 'shed' && perClient.code, 'rate-limited');
    await subscribe(hub, ['a'], { client: 'y' });
    const full = await admit(hub, ['a'], { client: 'z' });
    assert.equal(full.kind === 'shed' && full.code, 'unavailable');
    assert.ok(full.kind === 'shed' && full.retryMs >= 1000 && full.retryMs < 2000, 'a jittered retry');
    assert.equal(hub.counters.connectionsShed, 2);
  });

  it('frees a client slot when its stream closes', async () => {
    const { hub } = makeHub({ limits: { maxConnectionsPerClient: 1 } });
    const first = await subscribe(hub, ['a'], { client: 'x' });
    hub.closeSession(first.session, 'gone');
    await subscribe(hub, ['a'], { client: 'x' });
    assert.equal(hub.connections, 1);
  });

  it('refuses an unknown credential and a malformed selector', async () => {
    const { hub } = makeHub();
    await assert.rejects(admit(hub, ['a/**/b']), { code: 'invalid' });
    await assert.rejects(admit(hub, ['a'], { token: 'nope' }), { code: 'unauthenticated' });
  });
});

describe('hub: fan-out', () => {
  it('delivers by topic and wildcard, never a $SYS/ topic to a root wildcard', async () => {
    const { hub } = makeHub();
    const one = await subscribe(hub, ['stocks/*']);
    const deep = await subscribe(hub, ['news/**']);
    const exact = await subscribe(hub, ['stocks/ACME']);
    const all = await subscribe(hub, ['**']);
    await publish(hub, ['stocks/ACME'], 'acme');
    await publish(hub, ['stocks/X/Y'], 'deep-stock');
    await publish(hub, ['news'], 'news');
    await publish(hub, ['news/a/b'], 'news-ab');
    await publish(hub, ['$SYS/stats'], 'stats');
    assert.deepEqual(one.sink.data, ['acme']);
    assert.deepEqual(deep.sink.data, ['news', 'news-ab']);
    assert.deepEqual(exact.sink.data, ['acme']);
    assert.deepEqual(all.sink.data, ['acme', 'deep-stock', 'news', 'news-ab']);
  });

  it('delivers an event with several topics once to a session matching several of them', async () => {
    const { hub } = makeHub();
    const many = await subscribe(hub, ['a', 'b', '**']);
    await publish(hub, ['a', 'b', 'c'], 'abc');
    assert.deepEqual(many.sink.data, ['abc']);
    assert.equal(hub.counters.eventsDelivered, 1);
  });

  it('delivers a private event only to sessions whose grant covers one of its topics', async () => {
    const { hub, auth } = makeHub();
    const anonymous = await subscribe(hub, ['**']);
    const alice = await subscribe(hub, ['inbox/*'], { token: auth.grant(['inbox/alice']) });
    const bob = await subscribe(hub, ['inbox/*'], { token: auth.grant(['inbox/bob']) });
    await publish(hub, ['inbox/alice'], 'for alice', true);
    await publish(hub, ['inbox/bob', 'inbox/carol'], 'for bob', true);
    await publish(hub, ['inbox/alice'], 'public');
    assert.deepEqual(anonymous.sink.data, ['public']);
    assert.deepEqual(alice.sink.data, ['for alice', 'public']);
    assert.deepEqual(bob.sink.data, ['for bob', 'public']);
  });
});

describe('hub: handover from replay to live', () => {
  it('replays what was missed, then goes live: no gap, no duplicate, even for events published mid-replay', async () => {
    for (const waitBefore of [true, false]) {
      const log = new GatedLog();
      log.waitBefore = waitBefore;
      const { hub } = makeHub({ log });
      const first = await publish(hub, ['t'], '1');
      await publish(hub, ['t'], '2');
      log.closeGate();
      const { sink } = await start(hub, ['t'], { lastEventId: first });
      // Published while the replay waits: before its read (then read too) or after it (held only).
      await publish(hub, ['t'], '3');
      assert.deepEqual(sink.data, [], 'nothing live before the replay');
      log.open();
      await settle();
      await publish(hub, ['t'], '4');
      assert.deepEqual(sink.data, ['2', '3', '4'], `waiting ${waitBefore ? 'before' : 'after'} the read`);
      assert.deepEqual(sink.notices, []);
    }
  });

  it('sends a fresh subscriber its resume point and then only what is new', async () => {
    const { hub } = makeHub();
    await publish(hub, ['t'], 'old');
    const fresh = await subscribe(hub, ['t']);
    await publish(hub, ['t'], 'new');
    assert.deepEqual(fresh.sink.notices, ['herald-resume']);
    assert.deepEqual(fresh.sink.data, ['new']);
  });

  it('sends herald-gap before replaying everything kept when the resume point is unknown', async () => {
    const { hub } = makeHub();
    await publish(hub, ['t'], '1');
    await publish(hub, ['t'], '2');
    const lost = await subscribe(hub, ['t'], { lastEventId: 'not-an-id-of-this-log' });
    assert.equal(lost.sink.events[0]?.type, 'herald-gap');
    assert.deepEqual(lost.sink.data, ['1', '2']);
  });

  it('replays private events only to sessions whose grant covers them', async () => {
    const { hub, auth } = makeHub();
    const start = await publish(hub, ['t'], 'start');
    await publish(hub, ['inbox/alice'], 'secret', true);
    await publish(hub, ['inbox/alice'], 'public');
    const anonymous = await subscribe(hub, ['**'], { lastEventId: start });
    const alice = await subscribe(hub, ['inbox/*'], { lastEventId: start, token: auth.grant(['inbox/*']) });
    assert.deepEqual(anonymous.sink.data, ['public']);
    assert.deepEqual(alice.sink.data, ['secret', 'public']);
  });
});

describe('hub: expiry', () => {
  it('delivers nothing after the credential expires, public or private, and ends the stream with herald-reauth', async () => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const { hub, auth } = makeHub();
    const expiring = await subscribe(hub, ['inbox/**', 'news'], {
      token: auth.grant(['inbox/**'], 1_000_500),
    });
    await publish(hub, ['inbox/a'], 'before', true);
    await publish(hub, ['news'], 'public before');
    mock.timers.setTime(1_000_500);
    await publish(hub, ['inbox/a'], 'at exp', true);
    await publish(hub, ['news'], 'public after');
    assert.deepEqual(expiring.sink.data, ['before', 'public before']);
    // Ended when its first event was refused, not a sweep later.
    assert.deepEqual(expiring.sink.notices, ['herald-resume', 'herald-reauth']);
    assert.ok(expiring.sink.ended);
    assert.ok(expiring.session.closed);
    assert.equal(hub.counters.credentialExpiries, 1);
  });

  it('replays nothing to a session whose credential has expired', async () => {
    mock.timers.enable({ apis: ['Date'], now: 2_000_000 });
    const { hub, auth } = makeHub();
    const start = await publish(hub, ['inbox/a'], 'start', true);
    await publish(hub, ['inbox/a'], 'missed', true);
    await publish(hub, ['inbox/a'], 'missed too');
    const token = auth.grant(['inbox/**'], 2_000_000);
    const late = await subscribe(hub, ['inbox/**'], { token, lastEventId: start });
    assert.deepEqual(late.sink.data, []);
  });

  it('gives a session its grant: subject, token id, issue time', async () => {
    const { hub, auth } = makeHub();
    const { session } = await subscribe(hub, ['a'], { token: auth.grant([], undefined, 'alice') });
    assert.equal(session.subject, 'alice');
    assert.equal(session.tokenId, 'jti-token-0');
    assert.equal(session.issuedAt, 1_000);
    hub.endWithReauth(session, Buffer.from('event: herald-reauth\ndata: {}\n\n'));
    assert.ok(session.closed);
  });
});

describe('hub: private namespaces', () => {
  it('makes every event under a private namespace private, live and in replay, and stores it so', async () => {
    const { hub, auth, log } = makeHub({ privateTopics: ['secret/**'] });
    const anonymous = await subscribe(hub, ['**']);
    const asked = await subscribe(hub, ['secret/**']);
    const token = auth.grant(['secret/**']);
    const authorized = await subscribe(hub, ['secret/**'], { token });
    const start = await publish(hub, ['open'], 'open');
    await publish(hub, ['secret/plans'], 'flagged public');
    await publish(hub, ['open', 'secret/x'], 'one topic under it');
    assert.deepEqual(anonymous.sink.data, ['open']);
    assert.deepEqual(asked.sink.data, []);
    assert.deepEqual(authorized.sink.data, ['flagged public', 'one topic under it']);
    const replayedAnonymous = await subscribe(hub, ['**'], { lastEventId: start });
    const replayedAuthorized = await subscribe(hub, ['secret/**'], { token, lastEventId: start });
    assert.deepEqual(replayedAnonymous.sink.data, []);
    assert.deepEqual(replayedAuthorized.sink.data, ['flagged public', 'one topic under it']);
    const stored = await log.readAfter(start, () => true, 10);
    assert.deepEqual(
      stored.events.map((event) => event.private),
      [true, true],
    );
  });

  it('applies a namespace to events stored public before it was configured', async () => {
    const log = new MemoryLog();
    const start = await log.append({ topics: ['open'], data: 'open', private: false });
    await log.append({ topics: ['secret/old'], data: 'old', private: false });
    const { hub, auth } = makeHub({ log, privateTopics: ['secret/**'] });
    const anonymous = await subscribe(hub, ['**'], { lastEventId: start.id });
    const authorized = await subscribe(hub, ['**'], {
      token: auth.grant(['secret/**']),
      lastEventId: start.id,
    });
    assert.deepEqual(anonymous.sink.data, []);
    assert.deepEqual(authorized.sink.data, ['old']);
  });
});
