// The parser's time is linear in its input: scaling the input by 4 must not scale the time by 16.
// Times are the best of three runs, and the bound (8x for 4x the input) leaves room for a noisy
// machine while a quadratic parser (16x, and far slower in absolute terms) fails it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createParser } from '../../src/protocol/parse.js';

function best(work: () => void): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    work();
    min = Math.min(min, performance.now() - start);
  }
  return min;
}

function assertLinear(label: string, scenario: (n: number) => () => void, n: number): void {
  best(scenario(n)); // warm up
  const small = best(scenario(n));
  const large = best(scenario(4 * n));
  assert.ok(
    large < 8 * small + 5,
    `${label}: ${n} -> ${small.toFixed(1)} ms, ${4 * n} -> ${large.toFixed(1)} ms`,
  );
}

describe('parser: linear time', () => {
  it('one huge data line arriving in thousands of small chunks', () => {
    assertLinear(
      'huge line',
      (n) => () => {
        let length = 0;
        const parser = createParser({ onEvent: (e) => (length = e.data.length) });
        const piece = new TextEncoder().encode('0123456789abcdef');
        parser.feed('data: ');
        for (let i = 0; i < n; i++) parser.feed(piece);
        parser.feed('\n\n');
        assert.equal(length, 16 * n);
      },
      20_000,
    );
  });

  it('one event of many data lines, one line per chunk', () => {
    assertLinear(
      'many lines',
      (n) => () => {
        let length = 0;
        const parser = createParser({ onEvent: (e) => (length = e.data.length) });
        for (let i = 0; i < n; i++) parser.feed('data: 0123456789\n');
        parser.feed('\n');
        assert.equal(length, 11 * n - 1);
      },
      20_000,
    );
  });

  it('many lines without a colon, and rare CRs, in one big chunk', () => {
    assertLinear(
      'colon-less lines',
      (n) => () => {
        const parser = createParser({ onEvent() {} });
        parser.feed(`${'unknownfield\n'.repeat(n)}\r: comment far away\r`);
      },
      50_000,
    );
  });
});
