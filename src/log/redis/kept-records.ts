import type { KeptRecords } from '../event-log.js';
import { call, type RedisClient } from './client.js';

/**
 * Kept records in one hash beside the stream (`<stream>:kept`), each field's value holding its
 * expiry and value as JSON; expired fields are deleted when read. One key, so it lives in one slot
 * of a Redis Cluster.
 */
export function redisKeptRecords(
  client: RedisClient,
  stream: string,
  timeoutMs: number,
  isClosed: () => boolean,
): KeptRecords {
  const key = `${stream}:kept`;
  return {
    keep: async (name, value, until) => {
      if (isClosed()) throw new Error('the log is closed');
      await call(client, ['HSET', key, name, JSON.stringify({ until, value })], timeoutMs);
    },
    all: async () => {
      if (isClosed()) throw new Error('the log is closed');
      // RESP2 (as every command here): a flat list of field, value pairs.
      const fields = await call<string[]>(client, ['HGETALL', key], timeoutMs);
      const now = Date.now();
      const records = new Map<string, string>();
      const expired: string[] = [];
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const name = fields[i]!;
        const record = parseRecord(fields[i + 1]!);
        if (record === undefined || record.until <= now) expired.push(name);
        else records.set(name, record.value);
      }
      if (expired.length > 0) void call(client, ['HDEL', key, ...expired], timeoutMs).catch(() => {});
      return records;
    },
  };
}

function parseRecord(raw: string): { until: number; value: string } | undefined {
  try {
    const record = JSON.parse(raw) as { until?: unknown; value?: unknown };
    if (typeof record.until === 'number' && typeof record.value === 'string')
      return { until: record.until, value: record.value };
  } catch {
    // not ours: dropped
  }
  return undefined;
}
