import { after, describe } from 'node:test';
import type { EventLog } from '../../src/log/event-log.js';
import { RedisLog } from '../../src/log/redis/redis-log.js';
import { redisUnavailable, startRedis } from '../support/redis.js';
import { describeLogConformance } from './conformance.js';

if (redisUnavailable) {
  describe('EventLog conformance: redis', { skip: redisUnavailable }, () => {});
} else {
  const redis = await startRedis();
  after(() => redis.stop());
  let streams = 0;
  describeLogConformance('redis', {
    async open(retention) {
      const options = {
        url: redis.url,
        stream: `conformance-${process.pid}-${++streams}`,
        maintenanceMs: 50,
        ...retention,
      };
      const log = await RedisLog.open(options);
      const opened: EventLog[] = [log];
      return {
        log,
        // The stream outlives a hub's restart (the server keeps running).
        async reopen() {
          const again = await RedisLog.open(options);
          opened.push(again);
          return again;
        },
        async another() {
          const other = await RedisLog.open(options);
          opened.push(other);
          return other;
        },
        async cleanup() {
          for (const l of opened) await l.close();
        },
      };
    },
    futureId: (head) => `${Number(head.split('-')[0]) + 100_000}-0`,
    estimatedSize: true,
    bytesSent: () => redis.bytesSent(),
  });
}
