// UTF-8 decoding inside the parser: under any chunking, and with text chunks mixed in, the parser
// must see exactly the text a streaming TextDecoder would produce (flushed where text interrupts
// the bytes), U+FFFD for every invalid or broken sequence included.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cut, run } from './helpers.js';

const encoder = new TextEncoder();
const piece = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((b) => [b]),
  fc.integer({ min: 0x20, max: 0x7e }).map((b) => [b]),
  fc.constantFrom(
    [0x0a],
    [0x0d],
    [0x0d, 0x0a],
    [0xef, 0xbb, 0xbf], // BOM
    [0xc3, 0xa9], // é
    [0xe2, 0x82, 0xac], // €
    [0xf0, 0x9f, 0x98, 0x80], // 😀
    [0xe0, 0x80], // overlong start
    [0xe0, 0xa0], // truncated 3-byte
    [0xf0, 0x90, 0x80], // truncated 4-byte
    [0xed, 0xa0, 0x80], // surrogate
    [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
    [0xc0, 0xaf], // overlong
    [0x80, 0xbf], // stray continuations
    [0xf8, 0x88, 0x80, 0x80, 0x80], // 5-byte form
  ),
);
const body = fc.array(piece, { maxLength: 30 }).map((pieces) => Uint8Array.from(pieces.flat()));

describe('parser: UTF-8 decoding', () => {
  it('sees the same text as a streaming TextDecoder, under any chunking', () => {
    fc.assert(
      fc.property(
        body,
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 3 }),
        (middle, cutsAt, leadingBom, textAt) => {
          const prefix = leadingBom ? [0xef, 0xbb, 0xbf] : [];
          const all = Uint8Array.from([...prefix, ...encoder.encode('data: '), ...middle, 0x0a, 0x0a]);
          const at = [...new Set(cutsAt.map((n) => n % (all.length + 1)))].sort((a, b) => a - b);
          const chunks: (Uint8Array | string)[] = cut(all, at);
          // Insert text chunks (a line ending, or nothing) at a few places.
          for (const n of textAt) chunks.splice(n % (chunks.length + 1), 0, n % 2 === 0 ? '' : '\n');
          // The model: a streaming decoder, flushed whenever a text chunk comes.
          const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
          let model = '';
          for (const c of chunks)
            model += typeof c === 'string' ? decoder.decode() + c : decoder.decode(c, { stream: true });
          const got = run(chunks, { end: false });
          const expected = run([model], { end: false });
          assert.deepEqual(got.events, expected.events);
          assert.deepEqual(got.comments, expected.comments);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
