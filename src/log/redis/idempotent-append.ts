// An idempotent append is one script: the key check and the XADD run atomically, so two hubs
// racing with one key store one event, and an append that timed out (Redis stalled) but ran later
// is found by its retry. Keys live in a hash (key -> entry id) beside a sorted set (key -> first
// use, by Redis's clock, the clock of every hub): a key older than the window counts as unknown,
// and each call forgets a bounded number of expired keys and the oldest past the count bound.

import type { IdempotencyRule } from '../event-log.js';
import { call, type RedisClient } from './client.js';

/** Expired keys one call forgets at most (the rest go in later calls or with the keys' expiry). */
const SWEEP = 100;

/**
 * KEYS: stream, key -> id hash, key -> time sorted set. ARGV: key, window ms, max keys, then the
 * entry's fields. Returns {1, id} when it appended, {0, id} with the first id when the key was known.
 */
const APPEND_ONCE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
local oldest = now - window
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
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 4))
redis.call('HSET', KEYS[2], ARGV[1], id)
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
return {1, id}`;

/** The keys of a stream's idempotency records. */
export function idempotencyKeysOf(stream: string): [ids: string, times: string] {
  return [`${stream}:idempotency`, `${stream}:idempotency-times`];
}

/** XADD of `fields` unless `rule.key` was used within the window: the entry id, and whether it is new. */
export async function appendOnce(
  client: RedisClient,
  stream: string,
  fields: readonly string[],
  rule: IdempotencyRule,
  timeoutMs: number,
): Promise<{ id: string; appended: boolean }> {
  const [ids, times] = idempotencyKeysOf(stream);
  const [appended, id] = await call<[number, string]>(
    client,
    [
      'EVAL',
      APPEND_ONCE,
      '3',
      stream,
      ids,
      times,
      rule.key,
      String(rule.windowMs),
      String(rule.maxKeys),
      ...fields,
    ],
    timeoutMs,
    'XADD',
  );
  return { id, appended: appended === 1 };
}
