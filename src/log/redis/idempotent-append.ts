// Batches and idempotent appends are one script: the key check and the XADDs run atomically, so a
// batch's entries are consecutive in the stream, two hubs racing with one key store one batch, and
// an append that timed out (Redis stalled) but ran later is found by its retry. Keys live in a hash
// (key -> the entry ids, space-separated) beside a sorted set (key -> first use, by Redis's clock,
// the clock of every hub): a key older than the window counts as unknown, and each call forgets a
// bounded number of expired keys and the oldest past the count bound.

import type { IdempotencyRule } from '../event-log.js';
import { call, type RedisClient } from './client.js';

/** Expired keys one call forgets at most (the rest go in later calls or with the keys' expiry). */
const SWEEP = 100;

/**
 * KEYS: stream, key -> ids hash, key -> time sorted set. ARGV: key ('' for none), window ms, max
 * keys, then each entry as its field count and its fields. Returns {1, id...} when it appended,
 * {0, ids} with the first append's ids (space-separated) when the key was known.
 */
const APPEND_ALL = `
local keyed = ARGV[1] ~= ''
local now, oldest, window
if keyed then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  window = tonumber(ARGV[2])
  oldest = now - window
  local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. oldest, 'LIMIT', 0, ${SWEEP})
  if #expired > 0 then
    redis.call('ZREM', KEYS[3], unpack(expired))
    redis.call('HDEL', KEYS[2], unpack(expired))
  end
  local known = redis.call('HGET', KEYS[2], ARGV[1])
  if known then
    local first = redis.call('ZSCORE', KEYS[3], ARGV[1])
    if first and tonumber(first) >= oldest then return {0, known} end
  end
end
local answer = {1}
local at = 4
while at <= #ARGV do
  local n = tonumber(ARGV[at])
  answer[#answer + 1] = redis.call('XADD', KEYS[1], '*', unpack(ARGV, at + 1, at + n))
  at = at + n + 1
end
if keyed then
  redis.call('HSET', KEYS[2], ARGV[1], table.concat(answer, ' ', 2))
  redis.call('ZADD', KEYS[3], now, ARGV[1])
  local over = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[3])
  if over > 0 then
    if over > ${SWEEP} then over = ${SWEEP} end
    local gone = redis.call('ZRANGE', KEYS[3], 0, over - 1)
    redis.call('ZREM', KEYS[3], unpack(gone))
    redis.call('HDEL', KEYS[2], unpack(gone))
  end
  redis.call('PEXPIRE', KEYS[2], window)
  redis.call('PEXPIRE', KEYS[3], window)
end
return answer`;

/** The keys of a stream's idempotency records. */
export function idempotencyKeysOf(stream: string): [ids: string, times: string] {
  return [`${stream}:idempotency`, `${stream}:idempotency-times`];
}

/**
 * XADDs every entry of `entries` (each its fields), consecutively, unless `rule.key` was used
 * within the window: the entry ids (the first append's when the key was known), and whether they
 * are new.
 */
export async function appendAll(
  client: RedisClient,
  stream: string,
  entries: readonly (readonly string[])[],
  rule: IdempotencyRule | undefined,
  timeoutMs: number,
): Promise<{ ids: string[]; appended: boolean }> {
  const [ids, times] = idempotencyKeysOf(stream);
  const args = ['EVAL', APPEND_ALL, '3', stream, ids, times];
  args.push(rule?.key ?? '', String(rule?.windowMs ?? 0), String(rule?.maxKeys ?? 0));
  for (const fields of entries) args.push(String(fields.length), ...fields);
  const [appended, ...answer] = await call<[number, ...string[]]>(client, args, timeoutMs, 'XADD');
  return appended === 1 ? { ids: answer, appended: true } : { ids: answer[0]!.split(' '), appended: false };
}
