// Unit tests for the event-stream parser, written from the WHATWG HTML "Server-sent events" section.
// Every case runs under every delivery (see helpers.ts): results must not depend on chunking.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createParser, ParseError, type ServerSentEvent } from '../../src/protocol/parse.js';
import { bytes, deliveries, type Outcome, run } from './helpers.js';

type Expected = Partial<Omit<Outcome, 'events'>> & { events: Partial<ServerSentEvent>[] };

function ev(data: string, type = 'message', lastEventId = ''): ServerSentEvent {
  return { type, data, lastEventId };
}

/** Checks `input` under every delivery against the expected outcome. */
function check(input: string | Uint8Array, expected: Expected): void {
  for (const [how, chunks] of deliveries(input)) {
    const got = run(chunks);
    const message = `delivery: ${how}`;
    assert.deepEqual(got.events, expected.events, message);
    if (expected.retries !== undefined) assert.deepEqual(got.retries, expected.retries, message);
    if (expected.comments !== undefined) assert.deepEqual(got.comments, expected.comments, message);
    if (expected.lastEventId !== undefined) assert.equal(got.lastEventId, expected.lastEventId, message);
  }
}

describe('parser: lines and line endings', () => {
  it('dispatches a simple event with type message and empty last event ID', () => {
    check('data: hello\n\n', { events: [ev('hello')], lastEventId: '' });
  });
  it('joins data lines with LF', () => {
    check('data: a\ndata: b\ndata: c\n\n', { events: [ev('a\nb\nc')] });
  });
  it('accepts LF, CR and CRLF line endings, mixed in one stream', () => {
    check('data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r', { events: [ev('a\nb\nc'), ev('d')] });
  });
  it('treats LF CR as two line endings, and CR LF as one', () => {
    check('data: a\n\rdata: b\r\n\r\n', { events: [ev('a'), ev('b')] });
    check('data: a\r\ndata: b\r\n\r\n', { events: [ev('a\nb')] });
  });
  it('a CR ending one chunk swallows the LF starting the next (no extra blank line)', () => {
    const got = run(['data: a\r', '\ndata: b\r', '\n\r', '\n']);
    assert.deepEqual(got.events, [ev('a\nb')]);
  });
  it('dispatches at a CR without waiting for the next chunk', () => {
    const events: ServerSentEvent[] = [];
    const parser = createParser({ onEvent: (e) => events.push(e) });
    parser.feed('data: now\r\r');
    assert.deepEqual(events, [ev('now')]);
  });
  it('strips exactly one space after the colon', () => {
    check('data:x\n\ndata: x\n\ndata:  x\n\ndata:\tx\n\n', {
      events: [ev('x'), ev('x'), ev(' x'), ev('\tx')],
    });
  });
  it('splits only at the first colon', () => {
    check('data: a: b:c\n\n', { events: [ev('a: b:c')] });
  });
  it('a line without a colon is a field name with an empty value', () => {
    check('data\n\n', { events: [ev('')] });
    check('data\ndata\n\n', { events: [ev('\n')] });
  });
  it('removes exactly one trailing LF from the data buffer', () => {
    check('data:\n\n', { events: [ev('')] });
    check('data:\ndata:\n\n', { events: [ev('\n')] });
    check('data: a\ndata:\n\n', { events: [ev('a\n')] });
  });
  it('does not dispatch a block with no data field, and resets its type', () => {
    check('event: x\n\ndata: y\n\n', { events: [ev('y')] });
    check('\n\n\n', { events: [] });
  });
  it('ignores unknown fields and compares names literally', () => {
    check('foo: bar\nData: up\ndata : sp\n data: lead\ndatum: x\ndata: ok\n\n', { events: [ev('ok')] });
  });
  it('joins the data lines of an event larger than 64 KiB exactly', () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}`);
    const input = `${lines.map((l) => `data: ${l}\n`).join('')}\ndata: next\n\n`;
    for (const size of [1, 7, 4096, input.length]) {
      const chunks: string[] = [];
      for (let i = 0; i < input.length; i += size) chunks.push(input.slice(i, i + size));
      assert.deepEqual(run(chunks).events, [ev(lines.join('\n')), ev('next')], `chunks of ${size}`);
    }
  });
  it('keeps NUL, astral and other characters in data', () => {
    check('data: a\0b 😀 é\u2028z\n\n', { events: [ev('a\0b 😀 é\u2028z')] });
  });
});

describe('parser: comments', () => {
  it('passes comment lines to onComment without the colon and one space, dispatching nothing', () => {
    check(':\n: hi\n:  two\n:x:y\n\n', { events: [], comments: ['', 'hi', ' two', 'x:y'] });
  });
  it('a comment inside a block does not end it', () => {
    check('data: a\n: keep-alive\ndata: b\n\n', { events: [ev('a\nb')], comments: ['keep-alive'] });
  });
});

describe('parser: event type', () => {
  it('sets the type from the last event field of the block', () => {
    check('event: a\nevent: b\ndata: x\n\n', { events: [ev('x', 'b')] });
  });
  it('an empty event field means message', () => {
    check('event: a\nevent:\ndata: x\n\n', { events: [ev('x')] });
    check('event\ndata: x\n\n', { events: [ev('x')] });
  });
  it('the type does not carry over to the next event', () => {
    check('event: a\ndata: x\n\ndata: y\n\n', { events: [ev('x', 'a'), ev('y')] });
  });
});

describe('parser: last event ID', () => {
  it('persists from event to event until set again', () => {
    check('id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n', {
      events: [ev('a', 'message', '1'), ev('b', 'message', '1'), ev('c', 'message', '2')],
      lastEventId: '2',
    });
  });
  it('an id on a block without data still updates the last event ID', () => {
    check('id: 7\n\ndata: a\n\n', { events: [ev('a', 'message', '7')], lastEventId: '7' });
    check('id: 7\n\n', { events: [], lastEventId: '7' });
  });
  it('an id containing NUL is ignored', () => {
    check('id: 1\n\nid: 2\0x\ndata: a\n\n', { events: [ev('a', 'message', '1')], lastEventId: '1' });
  });
  it('an empty id (or an id line without colon) resets it', () => {
    check('id: 1\n\nid:\ndata: a\n\n', { events: [ev('a')], lastEventId: '' });
    check('id: 1\n\nid\ndata: a\n\n', { events: [ev('a')], lastEventId: '' });
  });
  it('an id set after the data lines still applies to that event', () => {
    check('data: a\nid: 9\n\n', { events: [ev('a', 'message', '9')] });
  });
  it('lastEventId only changes when a block ends', () => {
    const parser = createParser({ onEvent() {} });
    parser.feed('id: 1\n\nid: 2\n');
    assert.equal(parser.lastEventId, '1');
    parser.feed('\n');
    assert.equal(parser.lastEventId, '2');
  });
  it('an id in an unfinished block at the end of the stream is discarded', () => {
    const parser = createParser({ onEvent() {} });
    parser.feed('id: 1\n\nid: 2\ndata: x\n');
    parser.end();
    assert.equal(parser.lastEventId, '1');
    const events: ServerSentEvent[] = [];
    const next = createParser({ onEvent: (e) => events.push(e), lastEventId: parser.lastEventId });
    next.feed('data: y\n\n');
    assert.deepEqual(events, [ev('y', 'message', '1')]);
  });
});

describe('parser: retry', () => {
  it('calls onRetry for values of ASCII digits only', () => {
    check('retry: 1000\nretry:0\nretry: 0012\n\n', { events: [], retries: [1000, 0, 12] });
  });
  it('ignores anything else', () => {
    const bad = [
      'retry: 1a',
      'retry: -1',
      'retry: 1.5',
      'retry: +1',
      'retry:',
      'retry',
      'retry:  5',
      'retry: ١٢',
    ];
    check(`${bad.join('\n')}\nRetry: 5\n\n`, { events: [], retries: [] });
  });
  it('retry does not dispatch or disturb the event', () => {
    check('data: a\nretry: 5\ndata: b\n\n', { events: [ev('a\nb')], retries: [5] });
  });
});

describe('parser: encoding and BOM', () => {
  it('strips one leading UTF-8 BOM (bytes EF BB BF)', () => {
    check(bytes(0xef, 0xbb, 0xbf, 'data: x\n\n'), { events: [ev('x')] });
  });
  it('strips only one BOM: a second one is part of the first field name', () => {
    check(bytes(0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 'data: x\n\ndata: y\n\n'), { events: [ev('y')] });
  });
  it('a BOM later in the stream is not stripped', () => {
    check('data: x\n\n\uFEFFdata: y\n\ndata: z\n\n', { events: [ev('x'), ev('z')] });
    check('data: \uFEFFx\n\n', { events: [ev('\uFEFFx')] });
  });
  it('a string starting with U+FEFF is stripped too, but the text "ï»¿" is not', () => {
    check('\uFEFFdata: x\n\n', { events: [ev('x')] });
    check('\u00EF\u00BB\u00BFdata: x\n\ndata: y\n\n', { events: [ev('y')] });
  });
  it('empty first chunks do not use up the BOM stripping', () => {
    assert.deepEqual(run(['', new Uint8Array(0), '\uFEFFdata: x\n\n']).events, [ev('x')]);
  });
  it('decodes UTF-8 split anywhere, including inside characters', () => {
    check('event: café\ndata: 😀 ü 中\n\n', { events: [ev('😀 ü 中', 'café')] });
  });
  it('replaces invalid bytes with U+FFFD', () => {
    check(bytes('data: a', 0xff, 'b', 0xc3, '\n\n'), { events: [ev('a\uFFFDb\uFFFD')] });
    check(bytes('data: ', 0xe2, 0x82, 'x\n\n'), { events: [ev('\uFFFDx')] });
    check(bytes('data: ', 0xed, 0xa0, 0x80, '\n\n'), { events: [ev('\uFFFD\uFFFD\uFFFD')] });
  });
  it('an unfinished UTF-8 sequence before a string chunk becomes U+FFFD', () => {
    assert.deepEqual(run([bytes('data: a', 0xe2, 0x82), 'b\n\n']).events, [ev('a\uFFFDb')]);
  });
});

describe('parser: end of stream', () => {
  it('end() discards an unfinished event and a partial line', () => {
    check('data: a\n\ndata: b\n', { events: [ev('a')] });
    check('data: a\n\ndata: b', { events: [ev('a')] });
    check('data: a\n\ndata: b\r', { events: [ev('a')] });
  });
  it('after end() the parser reads a new stream, BOM included', () => {
    const events: ServerSentEvent[] = [];
    const parser = createParser({ onEvent: (e) => events.push(e) });
    parser.feed('id: 3\n\ndata: par');
    parser.end();
    parser.feed(bytes(0xef, 0xbb, 0xbf, 'tial\n\ndata: b\n\n'));
    assert.deepEqual(events, [ev('b', 'message', '3')]);
  });
});

describe('parser: reset and re-entrancy', () => {
  it('reset() keeps the last event ID unless given one', () => {
    const events: ServerSentEvent[] = [];
    const parser = createParser({ onEvent: (e) => events.push(e), lastEventId: '0' });
    parser.feed('data: a\n\nid: 5\n\ndata: dropped');
    parser.reset();
    parser.feed('data: b\n\n');
    parser.reset({ lastEventId: 'x' });
    parser.feed('data: c\n\n');
    assert.deepEqual(events, [ev('a', 'message', '0'), ev('b', 'message', '5'), ev('c', 'message', 'x')]);
  });
  it('reset() inside onEvent stops the rest of the chunk', () => {
    const events: ServerSentEvent[] = [];
    const parser = createParser({
      onEvent(e) {
        events.push(e);
        parser.reset();
      },
    });
    parser.feed('data: a\n\ndata: b\n\n');
    assert.deepEqual(events, [ev('a')]);
    parser.feed('data: c\n\n');
    assert.deepEqual(events, [ev('a'), ev('c')]);
  });
  it('events dispatched before a callback throws are kept, and the parser goes on', () => {
    const events: string[] = [];
    const parser = createParser({
      onEvent(e) {
        events.push(e.data);
        if (e.data === 'boom') throw new Error('boom');
      },
    });
    assert.throws(() => parser.feed('data: a\n\ndata: boom\n\ndata: lost\n\n'), /boom/);
    parser.feed('data: b\n\n');
    assert.deepEqual(events, ['a', 'boom', 'b']);
  });
});

describe('parser: maxEventSize', () => {
  it('counts data lines as received: name, colon, space, value and line ending', () => {
    const fits = `data: ${'x'.repeat(93)}\n\n`;
    for (const [how, chunks] of deliveries(fits)) {
      assert.equal(run(chunks, { maxEventSize: 100 }).events[0]?.data.length, 93, how);
    }
    const over = `data: ${'x'.repeat(94)}\n\n`;
    for (const [how, chunks] of deliveries(over)) {
      assert.throws(() => run(chunks, { maxEventSize: 100 }), ParseError, how);
    }
  });
  it('counts every data line of the event, and starts again at each event', () => {
    const line = 'data: 012345678\n'; // 16 characters
    assert.equal(run([line.repeat(6), '\n', line.repeat(6), '\n'], { maxEventSize: 96 }).events.length, 2);
    assert.throws(() => run([line.repeat(7), '\n'], { maxEventSize: 96 }), ParseError);
  });
  it('throws a ParseError naming the limit for one long unfinished line', () => {
    const parser = createParser({ onEvent() {}, maxEventSize: 1000 });
    assert.throws(
      () => {
        for (let i = 0; i < 100; i++) parser.feed('x'.repeat(20));
      },
      (error: unknown) =>
        error instanceof ParseError && error.limit === 1000 && /maxEventSize/.test(error.message),
    );
    assert.throws(() => parser.feed('\n\n'), ParseError, 'stays failed until reset');
    parser.reset();
    const events: ServerSentEvent[] = [];
    const again = createParser({ onEvent: (e) => events.push(e), maxEventSize: 1000 });
    again.feed('data: ok\n\n');
    assert.equal(events.length, 1);
  });
  it('throws for many data lines that never end in a blank line', () => {
    const parser = createParser({ onEvent() {}, maxEventSize: 1000 });
    assert.throws(() => {
      for (let i = 0; i < 100; i++) parser.feed('data: 0123456789\n');
    }, ParseError);
  });
  it('reset() after the error lets the parser read a new stream', () => {
    const events: ServerSentEvent[] = [];
    const parser = createParser({ onEvent: (e) => events.push(e), maxEventSize: 10 });
    assert.throws(() => parser.feed('data: 0123456789abc\n'), ParseError);
    parser.reset();
    parser.feed('data: ok\n\n');
    assert.deepEqual(events, [ev('ok')]);
  });
  it('refuses a non-positive limit', () => {
    assert.throws(() => createParser({ onEvent() {}, maxEventSize: 0 }), RangeError);
  });
});
