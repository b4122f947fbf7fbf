// The gapless-resume scenario every client must pass against a real hub, behind a TCP relay that
// cuts connections as a network drop would. Each client is driven through a small interface, so
// the same steps run for Node.js packages and for clients inside Chromium.
//
// It checks the hub's resume points (herald-resume events) are honoured by the client:
// 1. first connect: dropped before any event, it still resumes from the moment it connected;
// 2. after a replay that ended on events it may not see: its resume point moved past them, so a
//    later reconnect is not reported as a gap once those events leave the history;
// 3. after a herald-gap whose replay had nothing for it: its resume point moved to the head, so the
//    next reconnect neither repeats the gap nor misses what was published meanwhile.
// And that none of it reaches `onmessage`.
import assert from 'node:assert/strict';
import type { HubOptions } from '../../src/create-hub.js';
import { sleep, startHub, type TestHub } from '../support/hub.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

/** What a driven client has seen so far. */
export interface ClientLog {
  /** `data` of every event dispatched to `onmessage`. */
  messages: string[];
  /** `data` of `onmessage` events of a second source with no listener but `onmessage`. */
  bareMessages: string[];
  /** The `lastEventId` of each herald-resume event (from its data). */
  resumes: string[];
  /** How many herald-gap events arrived. */
  gaps: number;
}

export interface DrivenClient {
  /** The client's log now. */
  log(): Promise<ClientLog>;
  close(): Promise<void>;
}

/** Opens a client of one kind on `path` (a path and query on the relay's origin). */
export type OpenClient = (origin: string, path: string) => Promise<DrivenClient>;

/** The hub the scenario needs: quick reconnects, a history of 5 events, long polls that end soon. */
export const INTEROP_HUB: HubOptions = {
  retryMs: 200,
  history: { maxEvents: 5 },
  monitor: false,
  pollTimeoutMs: 3000,
};

export interface InteropSetup {
  hub: TestHub;
  proxy: TcpProxy;
  /** The relay's origin: clients connect through it. */
  origin: string;
  close(): Promise<void>;
}

export async function startInteropHub(options: HubOptions = {}): Promise<InteropSetup> {
  const hub = await startHub({ ...INTEROP_HUB, ...options });
  const proxy = await startTcpProxy(hub.port);
  return {
    hub,
    proxy,
    origin: `http://127.0.0.1:${proxy.port}`,
    async close() {
      await proxy.close();
      await hub.close();
    },
  };
}

async function until(
  client: DrivenClient,
  predicate: (log: ClientLog) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<ClientLog> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = await client.log();
    if (predicate(log)) return log;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; so far: ${JSON.stringify(log)}`);
    await sleep(25);
  }
}

/** Waits until the client holds the hub's head as its resume point (given by a herald-resume event). */
async function atHead(client: DrivenClient, hub: TestHub, what: string): Promise<void> {
  const head = await hub.hub.head();
  await until(client, (log) => log.resumes.includes(head), `${what}: a herald-resume for the head ${head}`);
  // Let the client finish the chunk it is reading before its connection is cut.
  await sleep(50);
}

/** Publishes `count` events the client does not subscribe to. */
async function publishElsewhere(hub: TestHub, topic: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await hub.publish(`${topic}/other`, `not for the client ${i}`);
}

/** Lets duplicates, if any, arrive before the counts are checked. */
const SETTLE_MS = 400;

export async function runInteropScenario(
  setup: InteropSetup,
  open: OpenClient,
  topic: string,
): Promise<void> {
  const { hub, proxy, origin } = setup;
  const mine = `${topic}/mine`;
  const path = `/events?topic=${encodeURIComponent(mine)}`;

  // 1. The first connect, dropped before any event: what was published meanwhile arrives once.
  let client = await open(origin, path);
  try {
    await atHead(client, hub, 'the first connect');
    proxy.cutAll();
    await hub.publish(mine, 'one');
    await until(client, (log) => log.messages.length >= 1, 'the event published while it was away');

    // 2. A reconnect whose replay holds only events it may not see ends with a herald-resume past
    // them. Five more events push its last *received* event's successor out of the history of five:
    // a client still holding that id would get a herald-gap; one at the resume point gets none.
    proxy.cutAll();
    await publishElsewhere(hub, topic, 3);
    await atHead(client, hub, 'the reconnect after events it may not see');
    proxy.cutAll();
    await publishElsewhere(hub, topic, 3);
    await hub.publish(mine, 'two');
    let log = await until(client, (l) => l.messages.length >= 2, 'the event after the invisible ones');
    await sleep(SETTLE_MS);
    log = await client.log();
    assert.deepEqual(log.messages, ['one', 'two'], 'each event exactly once, nothing else in onmessage');
    assert.equal(log.gaps, 0, 'no herald-gap: the resume point had moved past the invisible events');
  } finally {
    await client.close();
  }

  // 3. Resuming from an unknown id: a herald-gap, a replay with nothing for it, then the head as its
  // resume point. The next drop must neither repeat the gap nor miss what was published meanwhile.
  await publishElsewhere(hub, topic, 5);
  client = await open(origin, `${path}&lastEventId=unknown-id`);
  try {
    await until(client, (log) => log.gaps === 1, 'the herald-gap for an unknown resume point');
    await atHead(client, hub, 'the replay after the gap');
    proxy.cutAll();
    await hub.publish(mine, 'three');
    await until(client, (l) => l.messages.length >= 1, 'the event published after the gap');
    await sleep(SETTLE_MS);
    const log = await client.log();
    assert.deepEqual(log.messages, ['three'], 'exactly once');
    assert.equal(log.gaps, 1, 'the gap is reported once, not again on the reconnect');
    for (const data of [...log.messages, ...log.bareMessages]) {
      assert.doesNotMatch(data, /lastEventId/, 'no herald-resume or herald-gap reaches onmessage');
    }
  } finally {
    await client.close();
  }
}
