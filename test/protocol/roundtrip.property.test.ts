// Property tests: parse(encode(x)) gives x back under any chunking, and encodeEvent refuses exactly
// what it should.
//
// "Gives x back" means, for each encoded event in order:
//   data        === x.data with every CRLF and lone CR turned into LF (the wire has no other way to
//                 carry a line ending: the parser yields every line ending as '\n');
//   type        === x.type, or 'message' when x.type is absent or '';
//   lastEventId === the id of the latest event so far that had one ('' before any);
// and the retries and comment lines come out in order (comments split on line endings).
// Lone surrogates cannot cross the wire as bytes (TextEncoder turns them into U+FFFD); they are
// avoided in the main property and checked by their own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkRetry, type EncodableEvent, encodeEvent } from '../../src/protocol/encode.js';
import type { ServerSentEvent } from '../../src/protocol/parse.js';
import { cut, run } from './helpers.js';

const specials = ['\r', '\n', '\r\n', '\0', ':', ' ', '\uFEFF', 'data: ', 'id: ', '\u2028', '😀', 'é'];
/** Any character but a lone surrogate, with the characters that matter to the format made likely. */
const anyChar = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...specials) },
  { weight: 3, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: 0, max: 0x10ffff })
      .filter((c) => c < 0xd800 || c > 0xdfff)
      .map((c) => String.fromCodePoint(c)),
  },
);
const text = fc.string({ unit: anyChar, maxLength: 30 });
/** A value allowed in id and type: no CR, LF or NUL. */
const fieldValue = fc.string({
  unit: anyChar.filter((c) => !/[\r\n\0]/.test(c)),
  maxLength: 12,
});
const event: fc.Arbitrary<EncodableEvent> = fc.record(
  {
    data: text,
    type: fieldValue,
    id: fieldValue,
    retry: fc.nat(),
    comment: text,
  },
  { requiredKeys: ['data'] },
);

/** Random cut points for a sequence of the given length. */
function cuts(length: number): fc.Arbitrary<number[]> {
  return fc
    .array(fc.integer({ min: 0, max: length }), { maxLength: 12 })
    .map((at) => at.sort((a, b) => a - b));
}

function expectedOf(events: EncodableEvent[]) {
  const out = { events: [] as ServerSentEvent[], retries: [] as number[], comments: [] as string[] };
  let lastEventId = '';
  for (const e of events) {
    if (e.id !== undefined) lastEventId = e.id;
    if (e.retry !== undefined) out.retries.push(e.retry);
    if (e.comment !== undefined) out.comments.push(...e.comment.split(/\r\n|\r|\n/));
    out.events.push({
      type: e.type === undefined || e.type === '' ? 'message' : e.type,
      data: e.data.replace(/\r\n|\r/g, '\n'),
      lastEventId,
    });
  }
  return out;
}

const encoder = new TextEncoder();

describe('round trip: parse(encode(x))', () => {
  it('gives the events back, as bytes or text, under any chunking, with or without a BOM', () => {
    fc.assert(
      fc.property(
        fc.array(event, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (events, asBytes, bom, seed) => {
          const wire = (bom ? '\uFEFF' : '') + events.map(encodeEvent).join('');
          const input = asBytes ? encoder.encode(wire) : wire;
          const at = fc.sample(cuts(input.length), { numRuns: 1, seed })[0]!;
          const got = run(cut(input, at));
          const expected = expectedOf(events);
          assert.deepEqual(got.events, expected.events);
          assert.deepEqual(got.retries, expected.retries);
          assert.deepEqual(got.comments, expected.comments);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('delivered one byte at a time', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 3 }), (events) => {
        const input = encoder.encode(events.map(encodeEvent).join(''));
        const chunks = Array.from(input, (b) => Uint8Array.of(b));
        assert.deepEqual(run(chunks).events, expectedOf(events).events);
      }),
      { numRuns: 200 },
    );
  });

  it('lone surrogates: kept as text, replaced by U+FFFD as bytes', () => {
    const withSurrogates = fc.string({
      unit: fc.oneof(fc.constantFrom('\uD800', '\uDFFF', '\uDBFF', 'a', '\n'), anyChar),
      maxLength: 20,
    });
    fc.assert(
      fc.property(withSurrogates, (data) => {
        const wire = encodeEvent({ data });
        const normalized = data.replace(/\r\n|\r/g, '\n');
        assert.equal(run([wire]).events[0]?.data, normalized);
        assert.equal(
          run([encoder.encode(wire)]).events[0]?.data,
          normalized.replace(/[\uD800-\uDFFF]/gu, '\uFFFD'),
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('encodeEvent refuses exactly the bad inputs', () => {
  it('id and type: refused if and only if they hold CR, LF or NUL', () => {
    fc.assert(
      fc.property(text, fc.constantFrom('id', 'type'), (value, field) => {
        const bad = value.includes('\r') || value.includes('\n') || value.includes('\0');
        let threw = false;
        try {
          encodeEvent({ data: '', [field]: value });
        } catch (error) {
          threw = true;
          assert.ok(error instanceof TypeError);
          assert.match(error.message, new RegExp(`^${field} `));
        }
        assert.equal(threw, bad, JSON.stringify(value));
      }),
      { numRuns: 500 },
    );
  });

  it('retry: refused if and only if it is not a non-negative safe integer', () => {
    const numbers = fc.oneof(
      fc.double(),
      fc.integer({ min: -1000, max: 1000 }),
      fc.constantFrom(Number.NaN, -0, 2 ** 53, 2 ** 53 - 1, Number.NEGATIVE_INFINITY),
    );
    fc.assert(
      fc.property(numbers, (retry) => {
        const ok = Number.isInteger(retry) && retry >= 0 && retry <= Number.MAX_SAFE_INTEGER;
        assert.equal(
          (() => {
            try {
              checkRetry(retry);
              encodeEvent({ data: '', retry });
              return true;
            } catch (error) {
              assert.ok(error instanceof TypeError);
              return false;
            }
          })(),
          ok,
          String(retry),
        );
        // -0 is written as 0.
        if (ok) assert.deepEqual(run([encodeEvent({ data: '', retry })]).retries, [retry + 0]);
      }),
      { numRuns: 500 },
    );
  });
});
