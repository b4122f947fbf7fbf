// A replay page bounded by bytes, cut on the server. An XRANGE COUNT is a number of entries, and
// entries may be 100 bytes or 1 MB: a count sized for small events would fetch megabytes per page of
// large ones, past the hub's replay budget. Guessing a count from sizes seen so far fails on the
// first large event after small ones. So a script walks the range in growing chunks and stops before
// the entry that would pass the bound: the hub is never sent more than the bound, except one entry
// when that one alone is larger, so that a huge event still moves.

import { call, type RedisClient } from './client.js';
import type { RawEntry } from './stream-entry.js';

/**
 * KEYS: stream. ARGV: start (inclusive, `-` or an id), most entries, most bytes of `data` (-1: no bound). An entry
 * whose id is the start itself (the resume point, sent again to show it is still there) is not
 * counted. Returns {cut, entries, next}: cut is 0 at the stream's end, 1 when the count or the bytes
 * stopped it (more may follow); next is the size of the entry the bytes stopped it before, else 0.
 */
const BYTE_PAGE = `
local start, left, budget = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if budget < 0 then budget = math.huge end
local out, bytes, counted, chunk = {}, 0, 0, 4
while left > 0 do
  local n = math.min(chunk, left)
  local got = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', n)
  for _, entry in ipairs(got) do
    local size = 0
    if entry[1] ~= ARGV[1] then
      local fields = entry[2]
      for i = 1, #fields - 1, 2 do
        if fields[i] == 'data' then size = #fields[i + 1] end
      end
      if counted > 0 and bytes + size > budget then return {1, out, size} end
      counted = counted + 1
    end
    bytes = bytes + size
    out[#out + 1] = entry
  end
  if #got < n then return {0, out, 0} end
  left = left - #got
  start = '(' .. got[#got][1]
  if chunk < 128 then chunk = chunk * 2 end
end
return {1, out, 0}`;

/** A page of entries and whether the stream may hold more after it. */
export interface BytePage {
  readonly entries: RawEntry[];
  /** False when the page reached the stream's end. */
  readonly cut: boolean;
  /** Bytes of data of the entry the byte bound stopped the page before (0: the count stopped it). */
  readonly next: number;
}

/**
 * Entries from `start` (inclusive): at most `count`, and no more than `maxBytes` of `data` (UTF-8
 * bytes, never fewer than the UTF-16 units the log's contract counts) unless the first alone is larger.
 */
export async function readBytePage(
  client: RedisClient,
  stream: string,
  start: string,
  count: number,
  maxBytes: number,
  timeoutMs: number,
): Promise<BytePage> {
  const budget = Number.isFinite(maxBytes) ? String(Math.max(0, Math.floor(maxBytes))) : '-1';
  const [cut, entries, next] = await call<[number, RawEntry[], number]>(
    client,
    ['EVAL', BYTE_PAGE, '1', stream, start, String(count), budget],
    timeoutMs,
    'XRANGE',
  );
  return { entries, cut: cut === 1, next };
}
