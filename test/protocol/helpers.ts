// Shared helpers for the protocol tests: run the parser over an input cut into chunks in many ways.
import { createParser, type ParserOptions, type ServerSentEvent } from '../../src/protocol/parse.js';

export interface Outcome {
  events: ServerSentEvent[];
  retries: number[];
  comments: string[];
  lastEventId: string;
}

/** Feeds every chunk, then (unless `end` is false) ends the stream, and collects what came out. */
export function run(
  chunks: readonly (Uint8Array | string)[],
  options: Partial<ParserOptions> & { end?: boolean } = {},
): Outcome {
  const out: Outcome = { events: [], retries: [], comments: [], lastEventId: '' };
  const parser = createParser({
    ...options,
    onEvent: (e) => out.events.push(e),
    onRetry: (ms) => out.retries.push(ms),
    onComment: (c) => out.comments.push(c),
  });
  for (const chunk of chunks) parser.feed(chunk);
  out.lastEventId = parser.lastEventId;
  if (options.end !== false) parser.end();
  return out;
}

const encoder = new TextEncoder();

/** Cuts `input` at the given offsets. */
export function cut<T extends string | Uint8Array>(input: T, at: readonly number[]): T[] {
  const out: T[] = [];
  let from = 0;
  for (const to of at) {
    out.push(input.slice(from, to) as T);
    from = to;
  }
  out.push(input.slice(from) as T);
  return out;
}

/**
 * Every way the tests deliver one input: whole (text and bytes), cut in two at every point (text by
 * UTF-16 unit, bytes by byte, so inside CRLF, field names and UTF-8 characters), one byte per
 * chunk, one UTF-16 unit per chunk, and with empty chunks in between.
 */
export function* deliveries(input: string | Uint8Array): Generator<[string, (Uint8Array | string)[]]> {
  const bytes = typeof input === 'string' ? encoder.encode(input) : input;
  if (typeof input === 'string') {
    yield ['whole text', [input]];
    for (let i = 0; i <= input.length; i++) yield [`text cut at ${i}`, cut(input, [i])];
    yield ['one unit per chunk', [...input.split('')]];
  }
  yield ['whole bytes', [bytes]];
  for (let i = 0; i <= bytes.length; i++) yield [`bytes cut at ${i}`, cut(bytes, [i])];
  const single: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i++) single.push(bytes.subarray(i, i + 1), new Uint8Array(0));
  yield ['one byte per chunk, empty chunks between', single];
}

export function bytes(...values: (number | string)[]): Uint8Array {
  const parts: number[] = [];
  for (const v of values) {
    if (typeof v === 'number') parts.push(v);
    else parts.push(...encoder.encode(v));
  }
  return Uint8Array.from(parts);
}
