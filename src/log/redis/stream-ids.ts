/** The id before every entry: where a tail of an empty stream starts. */
export const START = '0-0';

/** `<ms>-<seq>` with canonical decimal numbers, or undefined. */
export function parseStreamId(id: string): [string, string] | undefined {
  const match = /^(0|[1-9]\d{0,19})-(0|[1-9]\d{0,19})$/.exec(id);
  return match ? [match[1]!, match[2]!] : undefined;
}

function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders two stream ids; malformed ids sort before every valid one (as "unknown"). */
export function compareStreamIds(a: string, b: string): number {
  const x = parseStreamId(a);
  const y = parseStreamId(b);
  if (!x || !y) return (x ? 1 : 0) - (y ? 1 : 0);
  return compareDecimal(x[0], y[0]) || compareDecimal(x[1], y[1]);
}
