// Parser and encoder throughput, Herald against eventsource-parser in the same process.
// Two comparisons per scenario, on the same stream cut at the same offsets:
//  - bytes: Herald is fed Uint8Array chunks (its figure includes UTF-8 decoding); eventsource-parser
//    takes only strings, so it gets each chunk through a streaming TextDecoder first, as a client
//    reading a response body must do;
//  - text: both are fed the already decoded string chunks (decoding outside the timing).
// Each figure is the median of RUNS runs after a warm-up, the pipelines interleaved. The consumer
// reads each event's data (see `use`). Run with `npm run bench parser`.
import { createParser as createReference } from 'eventsource-parser';
import { encodeEvent } from '../../src/protocol/encode.js';
import { createParser } from '../../src/protocol/parse.js';

const RUNS = 15;
const encoder = new TextEncoder();

interface Scenario {
  name: string;
  text: string;
  events: number;
  chunk: number;
}

function smallEvents(count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) {
    out += encodeEvent({
      id: String(i),
      type: 'tick',
      data: `{"symbol":"ACME","price":${100 + (i % 50)},"seq":${i}}`,
    });
  }
  return out;
}

function largeEvents(count: number): string {
  const line = 'x'.repeat(79);
  const data = Array.from({ length: 500 }, () => line).join('\n');
  let out = '';
  for (let i = 0; i < count; i++) out += encodeEvent({ id: String(i), data });
  return out;
}

function utf8Events(count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += encodeEvent({ data: `Grüße, 世界 😀 #${i}\nzweite Zeile` });
  return out;
}

/** Cuts bytes into `size`-byte chunks, and the same offsets of text (decoded per chunk, streaming). */
function chunksOf(text: string, size: number): { bytes: Uint8Array[]; strings: string[] } {
  const all = encoder.encode(text);
  const bytes: Uint8Array[] = [];
  for (let i = 0; i < all.length; i += size) bytes.push(all.subarray(i, i + size));
  const decoder = new TextDecoder();
  const strings = bytes.map((b) => decoder.decode(b, { stream: true }));
  return { bytes, strings };
}

/**
 * What the benchmark's consumer does with each event's data: read its last character. A parser may
 * hand out data as a V8 rope (eventsource-parser builds multi-line data by concatenation) that is
 * only flattened when read, so an unread event would not count that cost. Returns 1 (one event).
 */
function use(data: string): number {
  return data.charCodeAt(data.length - 1) === -1 ? 0 : 1;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

function time(work: () => number, expected: number): number {
  const start = process.hrtime.bigint();
  const got = work();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (got !== expected) throw new Error(`expected ${expected} events, got ${got}`);
  return ms;
}

function measure(scenario: Scenario) {
  const { bytes, strings } = chunksOf(scenario.text, scenario.chunk);
  const size = encoder.encode(scenario.text).length;
  const decoded = (chunk: Uint8Array | string, decoder: TextDecoder) =>
    typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  /** A pipeline: a fresh parser fed every chunk; returns the number of events it read. */
  const pipeline = (parser: 'herald' | 'reference', chunks: readonly (Uint8Array | string)[]) => () => {
    let n = 0;
    const onEvent = (e: { data: string }) => {
      n += use(e.data);
    };
    if (parser === 'herald') {
      const p = createParser({ onEvent });
      for (const c of chunks) p.feed(c);
    } else {
      const decoder = new TextDecoder();
      const p = createReference({ onEvent });
      for (const c of chunks) p.feed(decoded(c, decoder));
    }
    return n;
  };
  const heraldBytes = pipeline('herald', bytes);
  const referenceBytes = pipeline('reference', bytes);
  const heraldText = pipeline('herald', strings);
  const referenceText = pipeline('reference', strings);
  const pipelines = [heraldBytes, referenceBytes, heraldText, referenceText];
  const runs = pipelines.map(() => [] as number[]);
  for (let i = 0; i < 3; i++) for (const p of pipelines) p();
  // Interleaved so that noise on a shared machine hits all pipelines alike.
  for (let i = 0; i < RUNS; i++) {
    for (let j = 0; j < pipelines.length; j++) runs[j]!.push(time(pipelines[j]!, scenario.events));
  }
  const [hb, rb, ht, rt] = runs.map(median) as [number, number, number, number];
  const mbs = (t: number) => `${(size / 1e6 / (t / 1000)).toFixed(1)} MB/s`;
  const evs = (t: number) => `${Math.round(scenario.events / (t / 1000)).toLocaleString('en-US')} ev/s`;
  return [
    scenario.name,
    `${mbs(hb)}, ${evs(hb)}`,
    `${mbs(rb)}, ${evs(rb)}`,
    `**${(rb / hb).toFixed(2)}x**`,
    `${mbs(ht)}, ${evs(ht)}`,
    `${mbs(rt)}, ${evs(rt)}`,
    `**${(rt / ht).toFixed(2)}x**`,
  ];
}

const small = smallEvents(20_000);
const smallShort = smallEvents(2_000);
const large = largeEvents(40);
const utf8 = utf8Events(20_000);
const scenarios: Scenario[] = [
  { name: 'small events, 64 KiB chunks', text: small, events: 20_000, chunk: 65536 },
  { name: 'small events, 64-byte chunks', text: small, events: 20_000, chunk: 64 },
  { name: 'small events, 1-byte chunks', text: smallShort, events: 2_000, chunk: 1 },
  { name: 'large events (500 lines), 64 KiB chunks', text: large, events: 40, chunk: 65536 },
  { name: 'large events (500 lines), 64-byte chunks', text: large, events: 40, chunk: 64 },
  { name: 'large events (500 lines), 1-byte chunks', text: largeEvents(2), events: 2, chunk: 1 },
  { name: 'UTF-8 events, 64-byte chunks', text: utf8, events: 20_000, chunk: 64 },
];

const rows = [
  [
    'scenario',
    'Herald, bytes',
    'eventsource-parser + TextDecoder, bytes',
    'ratio',
    'Herald, text',
    'eventsource-parser, text',
    'ratio',
  ],
];
for (const s of scenarios) rows.push(measure(s));

// Encoder: events per second for a typical small event and a multi-line one.
function encodeRate(event: Parameters<typeof encodeEvent>[0]): string {
  const n = 200_000;
  const rates: number[] = [];
  for (let r = 0; r < RUNS + 2; r++) {
    let length = 0;
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) length += encodeEvent(event).length;
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (length === 0) throw new Error('nothing encoded');
    if (r >= 2) rates.push(n / (ms / 1000));
  }
  return Math.round(median(rates)).toLocaleString('en-US');
}

console.log(`| ${rows[0]!.join(' | ')} |`);
console.log(`|${rows[0]!.map(() => ' --- ').join('|')}|`);
for (const row of rows.slice(1)) console.log(`| ${row.join(' | ')} |`);
console.log('\nratio = eventsource-parser time / Herald time (above 1: Herald is faster)\n');
console.log(
  `encodeEvent, small event (id, type, one data line): ${encodeRate({ id: '12345', type: 'tick', data: '{"symbol":"ACME","price":101}' })} events/s`,
);
console.log(
  `encodeEvent, 20-line data: ${encodeRate({ data: Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n') })} events/s`,
);
