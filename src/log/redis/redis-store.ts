import type { StoreType } from '../store-type.js';
import { DEFAULT_STREAM, parseRedisUrl } from './url.js';

export const redisStore: StoreType<{ kind: 'redis'; url: string; stream: string }> = {
  schemes: ['redis', 'rediss'],
  forms: [
    'redis://[user:pass@]host:port[/db][?stream=NAME]',
    'rediss://[user:pass@]host:port[/db][?stream=NAME]',
  ],
  parse(url) {
    const text = url.trim();
    if (!text.startsWith('redis://') && !text.startsWith('rediss://')) return undefined;
    const address = parseRedisUrl(text);
    return { kind: 'redis', url: text, stream: address.stream ?? DEFAULT_STREAM };
  },
  async open(spec, retention, options) {
    const { RedisLog } = await import('./redis-log.js');
    return RedisLog.open({ url: spec.url, ...retention, timeoutMs: options.timeoutMs });
  },
};
