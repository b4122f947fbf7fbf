// The WHATWG EventSource surface of herald/client: constants, attributes, constructor errors, event
// handler attributes and listeners. Streams come from an injected fetch, so no server is needed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EventSource, EventSourceErrorEvent } from '../../src/client/index.js';
import { record, settle } from './helpers.js';

const T = { timeout: 10_000 };

/** A fetch answering every request with an event stream holding `text`, left open. */
function fetchStream(text: string, seen: string[] = []) {
  return async (input: string): Promise<Response> => {
    seen.push(input);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(text));
      },
    });
    return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } });
  };
}

describe('herald/client API surface', () => {
  test('constants on the class, on instances and on the prototype', () => {
    assert.deepEqual([EventSource.CONNECTING, EventSource.OPEN, EventSource.CLOSED], [0, 1, 2]);
    const source = new EventSource('http://example.test/', { fetch: fetchStream('') });
    assert.deepEqual([source.CONNECTING, source.OPEN, source.CLOSED], [0, 1, 2]);
    assert.equal(Object.hasOwn(source, 'OPEN'), false);
    assert.equal(Object.hasOwn(EventSource.prototype, 'OPEN'), true);
    assert.ok(source instanceof EventTarget);
    source.close();
  });

  test('url is absolute and normalized; withCredentials defaults to false', () => {
    const source = new EventSource(new URL('HTTP://Example.TEST/a/../events?topic=x'), {
      fetch: fetchStream(''),
    });
    assert.equal(source.url, 'http://example.test/events?topic=x');
    assert.equal(source.withCredentials, false);
    assert.equal(source.readyState, EventSource.CONNECTING);
    source.close();
  });

  test('an unparsable or relative URL (no document in Node) throws a SyntaxError DOMException', () => {
    for (const url of ['not a url', '/events', 'http://[::1']) {
      assert.throws(
        () => new EventSource(url, { fetch: fetchStream('') }),
        (error: unknown) => error instanceof DOMException && error.name === 'SyntaxError',
        url,
      );
    }
  });

  test('bad options throw at once: a body on GET, an invalid header, negative delays', () => {
    const fetch = fetchStream('');
    assert.throws(() => new EventSource('http://x.test/', { fetch, body: 'x' }), TypeError);
    assert.throws(() => new EventSource('http://x.test/', { fetch, method: 'head', body: 'x' }), TypeError);
    assert.throws(
      () => new EventSource('http://x.test/', { fetch, headers: { 'bad header': 'x' } }),
      TypeError,
    );
    assert.throws(() => new EventSource('http://x.test/', { fetch, reconnectDelay: -1 }), RangeError);
    assert.throws(() => new EventSource('http://x.test/', { fetch, jitter: 2 }), RangeError);
  });

  test('events are MessageEvents; named events dispatch under their type only', T, async () => {
    const source = new EventSource('http://example.test/s', {
      fetch: fetchStream('event: add\ndata: 1\nid: a\n\ndata: plain\n\n'),
    });
    const messages: MessageEvent[] = [];
    const adds: MessageEvent[] = [];
    let openState = -1;
    source.onopen = () => {
      openState = source.readyState;
    };
    source.onmessage = (event) => messages.push(event);
    source.addEventListener('add', (event) => adds.push(event));
    const log = record(source, ['message', 'add']);
    await log.until((e) => e.length === 3, 'two events');
    source.close();
    assert.equal(openState, EventSource.OPEN);
    assert.equal(adds.length, 1);
    assert.equal(messages.length, 1);
    assert.ok(adds[0] instanceof MessageEvent);
    assert.deepEqual(
      [adds[0]?.type, adds[0]?.data, adds[0]?.lastEventId, adds[0]?.origin],
      ['add', '1', 'a', 'http://example.test'],
    );
    assert.deepEqual(
      [messages[0]?.type, messages[0]?.data, messages[0]?.lastEventId],
      ['message', 'plain', 'a'],
    );
  });

  test('handler attributes: `this` is the source, replacing keeps the place, null removes', T, async () => {
    const source = new EventSource('http://example.test/s', {
      fetch: fetchStream('data: 1\n\ndata: 2\n\ndata: 3\n\n'),
    });
    const order: string[] = [];
    let self: unknown;
    source.onmessage = function (event) {
      self = this;
      order.push(`first-handler:${event.data}`);
    };
    const listener = (event: MessageEvent<string>) => {
      order.push(`listener:${event.data}`);
      if (event.data === '1') {
        // Replacing the handler keeps its place, ahead of this listener.
        source.onmessage = (e) => order.push(`second-handler:${e.data}`);
      }
      if (event.data === '2') source.onmessage = null;
    };
    source.addEventListener('message', listener);
    assert.equal(typeof source.onmessage, 'function');
    const log = record(source);
    await log.until((e) => e.filter((x) => x.kind === 'event').length === 3, 'three events');
    source.close();
    assert.equal(self, source);
    assert.equal(source.onmessage, null);
    assert.deepEqual(order, [
      'first-handler:1',
      'listener:1',
      'second-handler:2',
      'listener:2',
      'listener:3',
    ]);

    source.removeEventListener('message', listener);
    assert.equal(source.onopen, null);
  });

  test(
    'errors are EventSourceErrorEvents: CONNECTING after a network error, CLOSED after 204',
    T,
    async () => {
      const answers = [
        () => Promise.reject(new TypeError('fetch failed')),
        () => Promise.resolve(new Response(null, { status: 204 })),
      ];
      let call = 0;
      const source = new EventSource('http://example.test/s', {
        fetch: () => answers[call++]!(),
        setTimeout: (callback) => setTimeout(callback, 0),
      });
      const errors: EventSourceErrorEvent[] = [];
      const states: number[] = [];
      source.onerror = (event) => {
        errors.push(event);
        states.push(source.readyState);
      };
      const log = record(source);
      await log.until((e) => e.length === 2, 'two errors');
      assert.ok(errors.every((e) => e instanceof EventSourceErrorEvent && e.type === 'error'));
      assert.deepEqual(states, [EventSource.CONNECTING, EventSource.CLOSED]);
      assert.match(errors[0]?.message ?? '', /fetch failed/);
      assert.equal(errors[0]?.reconnectDelay, 3000);
      assert.equal(errors[1]?.status, 204);
    },
  );

  test('close() is idempotent and stops a source that has not fetched yet', T, async () => {
    const seen: string[] = [];
    const source = new EventSource('http://example.test/s', {
      fetch: fetchStream('data: x\n\n', seen),
      headers: async () => ({ Authorization: 'Bearer t' }),
    });
    source.close();
    source.close();
    await settle();
    assert.equal(source.readyState, EventSource.CLOSED);
    assert.deepEqual(seen, [], 'no request once closed before the headers resolved');
  });
});
