// The parser's time is linear in its input: scaling the input by 16 must not scale the time by 256.
// Times are the best of five interleaved runs (up to three attempts), and the bound (64x for 16x the input) leaves room for
// a noisy, shared machine (GC, another process on the core) while a quadratic parser (256x) fails it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createParser } from '../../src/protocol/parse.js';

function elapsed(work: () => void): number {
  const start = performance.now();
  work();
  return performance.now() - start;
}

function measure(small: () => void, large: () => void): [number, number] {
  // Interleaved, best of five each, so that a burst of load on a shared machine hits both alike.
  let smallMs = Number.POSITIVE_INFINITY;
  let largeMs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    smallMs = Math.min(smallMs, elapsed(small));
    largeMs = Math.min(largeMs, elapsed(large));
  }
  return [smallMs, largeMs];
}

function assertLinear(label: string, scenario: (n: number) => () => void, n: number): void {
  const small = scenario(n);
  const large = scenario(16 * n);
  small(); // warm up
  // A quadratic parser fails every attempt; a burst of load on the other core passes on a later one.
  let smallMs = 0;
  let largeMs = 0;
  for (let attempt = 0; attempt < 3; attempt++) {
    [smallMs, largeMs] = measure(small, large);
    if (largeMs < 64 * smallMs + 10) return;
  }
  assert.fail(
    `${label}: ${n} -> ${smallMs.toFixed(1)} ms, ${16 * n} -> ${largeMs.toFixed(1)} ms, three times`,
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
