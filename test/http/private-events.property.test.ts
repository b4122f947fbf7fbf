// The property of private events, end to end over HTTP: for random subscribers (tokens with random
// herald.subscribe selectors, tokens without any, or no token; sent as a header, a cookie, a query
// token or a ticket), random private and public events on random topics, delivered live, by replay
// (Last-Event-ID and lastEventId), by long-poll (live and replayed) and through wildcard
// selectors: no subscriber receives a private event its claims do not cover, and every subscriber
// receives exactly the events it should, once each, in log order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ServerSentEvent } from '../../src/protocol/parse.js';
import { eventsUrl, httpRequest, StreamReader, startHub, type TestHub, token } from '../support/hub.js';

const SEGMENTS = ['a', 'b'] as const;
/** Every subscriber also listens here; the fence, published last, says everything before it is in. */
const FENCE_TOPIC = 'fence';

/** The reference matcher, written apart from the hub's: a selector as an anchored regular expression. */
function matches(selector: string, topic: string): boolean {
  const parts = selector.split('/');
  const last = parts[parts.length - 1] === '**';
  const body = (last ? parts.slice(0, -1) : parts).map((p) => (p === '*' ? '[^/]+' : p)).join('/');
  const source = last ? (body === '' ? '.+' : `${body}(?:/.+)?`) : body;
  return new RegExp(`^${source}$`).test(topic);
}
const anyMatch = (selectors: readonly string[], topics: readonly string[]) =>
  selectors.some((s) => topics.some((t) => matches(s, t)));

const topicArb = fc
  .array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 3 })
  .map((segments) => segments.join('/'));
const selectorArb = fc
  .tuple(fc.array(fc.constantFrom(...SEGMENTS, '*'), { minLength: 0, maxLength: 3 }), fc.boolean())
  .filter(([segments, tail]) => segments.length > 0 || tail)
  .map(([segments, tail]) => [...segments, ...(tail ? ['**'] : [])].join('/'));

type Delivery = 'live' | 'last-event-id' | 'last-event-id-query' | 'poll-live' | 'poll-replay';
type Source = 'header' | 'cookie' | 'query' | 'ticket';

interface SubscriberSpec {
  selectors: string[];
  /** undefined: anonymous; otherwise the token's herald.subscribe (possibly empty). */
  claims: string[] | undefined;
  source: Source;
  delivery: Delivery;
}
interface EventSpec {
  topics: string[];
  private: boolean;
}

const subscriberArb: fc.Arbitrary<SubscriberSpec> = fc.record({
  selectors: fc.uniqueArray(selectorArb, { minLength: 1, maxLength: 3 }),
  claims: fc.option(fc.uniqueArray(selectorArb, { minLength: 0, maxLength: 2 }), { nil: undefined }),
  source: fc.constantFrom<Source>('header', 'cookie', 'query', 'ticket'),
  delivery: fc.constantFrom<Delivery>(
    'live',
    'last-event-id',
    'last-event-id-query',
    'poll-live',
    'poll-replay',
  ),
});
const eventArb: fc.Arbitrary<EventSpec> = fc.record({
  topics: fc.uniqueArray(topicArb, { minLength: 1, maxLength: 2 }),
  private: fc.boolean(),
});

/** The request's credential parts (headers and query) for a subscriber. */
async function credential(
  hub: TestHub,
  spec: SubscriberSpec,
): Promise<{
  headers: Record<string, string>;
  query: Record<string, string>;
}> {
  if (spec.claims === undefined) return { headers: {}, query: {} };
  const jwt = await token({ subscribe: spec.claims });
  switch (spec.source) {
    case 'header':
      return { headers: { authorization: `Bearer ${jwt}` }, query: {} };
    case 'cookie':
      return { headers: { cookie: `theme=dark; herald_auth=${jwt}` }, query: {} };
    case 'query':
      return { headers: {}, query: { access_token: jwt } };
    case 'ticket': {
      const answer = await httpRequest(`${hub.url}/tickets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${jwt}` },
      });
      assert.equal(answer.status, 200, answer.body);
      return { headers: {}, query: { ticket: (JSON.parse(answer.body) as { ticket: string }).ticket } };
    }
  }
}

const isFence = (e: ServerSentEvent) => e.data === 'fence';
const applicationEvents = (events: readonly ServerSentEvent[]) =>
  events.filter((e) => !e.type.startsWith('herald-') && !isFence(e)).map((e) => e.data);

/** A request for a subscriber's stream: its URL and headers, with a fresh credential (tickets are single-use). */
type Requester = (
  extraQuery?: Record<string, string>,
) => Promise<{ url: string; headers: Record<string, string> }>;

/** A long-poll subscriber: polls again with Last-Event-ID until the fence has come (bounded rounds). */
async function pollUntilFence(
  request: Requester,
  lastEventId: string | undefined,
): Promise<ServerSentEvent[]> {
  const received: ServerSentEvent[] = [];
  let resume = lastEventId;
  for (let round = 0; round < 40; round++) {
    const { url, headers } = await request({ transport: 'poll' });
    const reader = await StreamReader.open(url, {
      ...headers,
      ...(resume === undefined ? {} : { 'last-event-id': resume }),
    });
    assert.equal(reader.status, 200, reader.raw);
    await Promise.race([
      reader.ended,
      new Promise((_, reject) => setTimeout(() => reject(new Error('a poll did not end')), 5000)),
    ]);
    received.push(...reader.events);
    resume = reader.lastEventId || resume;
    if (reader.events.some(isFence)) return received;
  }
  throw new Error(`no fence after 40 polls; got ${JSON.stringify(received.map((e) => e.data))}`);
}

async function runScenario(subscribers: SubscriberSpec[], events: EventSpec[]): Promise<void> {
  const hub = await startHub({ monitor: false, pollQuietMs: 40, pollTimeoutMs: 2000, retryMs: 100 });
  try {
    const start = await hub.hub.head();
    const plans = subscribers.map((spec) => {
      const request: Requester = async (extraQuery = {}) => {
        const { headers, query } = await credential(hub, spec);
        return {
          url: eventsUrl(hub, [...spec.selectors, FENCE_TOPIC], { ...query, ...extraQuery }),
          headers,
        };
      };
      return { spec, delivery: spec.delivery, request };
    });
    // Live subscribers connect before anything is published.
    const live = await Promise.all(
      plans
        .filter((p) => p.delivery === 'live')
        .map(async (p) => {
          const { url, headers } = await p.request();
          const reader = await StreamReader.open(url, headers);
          assert.equal(reader.status, 200, reader.raw);
          await reader.ready();
          return { plan: p, reader };
        }),
    );
    const livePolls = plans
      .filter((p) => p.delivery === 'poll-live')
      .map((p) => ({ plan: p, received: pollUntilFence(p.request, undefined) }));
    // A live poll is admitted once its first answer has started: wait until the hub counts it.
    const expectedStreams = live.length + livePolls.length;
    for (let i = 0; i < 100 && hub.hub.stats().connections < expectedStreams; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (const [i, event] of events.entries()) {
      await hub.hub.publish({ topics: event.topics, data: `e${i}`, private: event.private });
    }
    await hub.hub.publish({ topics: FENCE_TOPIC, data: 'fence' });

    const received = new Map<SubscriberSpec, ServerSentEvent[]>();
    for (const { plan, reader } of live) {
      await reader.until(() => reader.events.some(isFence), 'the fence');
      received.set(plan.spec, reader.events);
      reader.close();
    }
    for (const { plan, received: polled } of livePolls) received.set(plan.spec, await polled);
    for (const plan of plans) {
      if (plan.delivery === 'last-event-id' || plan.delivery === 'last-event-id-query') {
        const { url, headers } = await plan.request(
          plan.delivery === 'last-event-id-query' ? { lastEventId: start } : {},
        );
        const reader = await StreamReader.open(
          url,
          plan.delivery === 'last-event-id' ? { ...headers, 'last-event-id': start } : headers,
        );
        assert.equal(reader.status, 200, reader.raw);
        await reader.until(() => reader.events.some(isFence), 'the fence in the replay');
        received.set(plan.spec, reader.events);
        reader.close();
      } else if (plan.delivery === 'poll-replay') {
        received.set(plan.spec, await pollUntilFence(plan.request, start));
      }
    }

    for (const plan of plans) {
      const { spec } = plan;
      const claims = spec.claims ?? [];
      const expected = events.flatMap((event, i) =>
        anyMatch(spec.selectors, event.topics) && (!event.private || anyMatch(claims, event.topics))
          ? [`e${i}`]
          : [],
      );
      const got = applicationEvents(received.get(spec) ?? []);
      const leaked = got.filter((data) => {
        const event = events[Number(data.slice(1))]!;
        return event.private && !anyMatch(claims, event.topics);
      });
      assert.deepEqual(leaked, [], `private events leaked to ${JSON.stringify(plan.spec)}`);
      assert.deepEqual(
        got,
        expected,
        `what ${JSON.stringify({ ...spec, delivery: plan.delivery })} received`,
      );
    }
  } finally {
    await hub.close();
  }
}

describe('private events, as a property', { timeout: 240_000 }, () => {
  it('reach exactly the subscribers whose claims cover them, by every delivery path', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(subscriberArb, { minLength: 1, maxLength: 4 }),
        fc.array(eventArb, { minLength: 1, maxLength: 10 }),
        runScenario,
      ),
      { numRuns: 30 },
    );
  });

  it('the reference matcher agrees with the documented examples', () => {
    assert.ok(matches('a/*', 'a/b') && !matches('a/*', 'a') && !matches('a/*', 'a/b/c'));
    assert.ok(matches('a/**', 'a') && matches('a/**', 'a/b/a') && !matches('a/**', 'b/a'));
    assert.ok(matches('**', 'a/b') && matches('*/b', 'a/b') && !matches('*/b', 'a/b/b'));
  });
});
