import type { ClusterBoard } from '../event-log.js';
import { call, type RedisClient } from './client.js';

/**
 * The cluster's board beside the stream: one key per hub (`<stream>:hub:<id>`, expiring with PX)
 * and a sorted set of hub ids (`<stream>:hubs`) to find them; ids whose key has expired are pruned
 * on read.
 */
export function redisClusterBoard(
  client: RedisClient,
  stream: string,
  timeoutMs: number,
  isClosed: () => boolean,
): ClusterBoard {
  const checkOpen = () => {
    if (isClosed()) throw new Error('the log is closed');
  };
  return {
    write: async (hubId, record, ttlMs) => {
      checkOpen();
      const now = String(Date.now());
      await Promise.all([
        call(client, ['SET', `${stream}:hub:${hubId}`, record, 'PX', String(ttlMs)], timeoutMs),
        call(client, ['ZADD', `${stream}:hubs`, now, hubId], timeoutMs),
      ]);
    },
    read: async () => {
      checkOpen();
      const ids = await call<string[]>(client, ['ZRANGE', `${stream}:hubs`, '0', '-1'], timeoutMs);
      const records = new Map<string, string>();
      if (ids.length === 0) return records;
      const values = await call<(string | null)[]>(
        client,
        ['MGET', ...ids.map((id) => `${stream}:hub:${id}`)],
        timeoutMs,
      );
      const gone: string[] = [];
      ids.forEach((id, i) => {
        const value = values[i];
        if (typeof value === 'string') records.set(id, value);
        else gone.push(id);
      });
      if (gone.length > 0) void call(client, ['ZREM', `${stream}:hubs`, ...gone], timeoutMs).catch(() => {});
      return records;
    },
    remove: async (hubId) => {
      if (isClosed()) return;
      await Promise.all([
        call(client, ['DEL', `${stream}:hub:${hubId}`], timeoutMs),
        call(client, ['ZREM', `${stream}:hubs`, hubId], timeoutMs),
      ]);
    },
  };
}
