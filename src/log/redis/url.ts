import { StoreUrlError } from '../store-errors.js';

/** Where a Redis is, as a `redis://` or `rediss://` URL says it. */
export interface RedisAddress {
  host: string;
  port: number;
  tls: boolean;
  username?: string;
  password?: string;
  database?: number;
  /** The `stream` query parameter, when given. */
  stream?: string;
}

/** The stream's key when neither the URL nor the options name one. */
export const DEFAULT_STREAM = 'herald';

/** Parses and checks a Redis URL; throws StoreUrlError with a one-line reason. */
export function parseRedisUrl(url: string): RedisAddress {
  const forms = 'use redis://[user:pass@]host:port[/db][?stream=NAME] or rediss://... for TLS';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StoreUrlError(`not a valid Redis URL: ${JSON.stringify(url)} (${forms})`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new StoreUrlError(`not a Redis URL: ${JSON.stringify(url)} (${forms})`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new StoreUrlError(`the Redis URL has no host: ${JSON.stringify(url)} (${forms})`);
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  let database: number | undefined;
  if (parsed.pathname !== '' && parsed.pathname !== '/') {
    const text = parsed.pathname.slice(1);
    if (!/^\d{1,5}$/.test(text))
      throw new StoreUrlError(`the Redis database must be a number, not ${JSON.stringify(text)} (${forms})`);
    database = Number(text);
  }
  let stream: string | undefined;
  for (const [key, value] of parsed.searchParams) {
    if (key !== 'stream')
      throw new StoreUrlError(`unknown Redis URL parameter ${JSON.stringify(key)} (only stream=NAME)`);
    if (value === '') throw new StoreUrlError('the stream name in the Redis URL is empty');
    stream = value;
  }
  if (parsed.hash) throw new StoreUrlError(`the Redis URL has a fragment: ${JSON.stringify(parsed.hash)}`);
  return {
    host,
    port,
    tls: parsed.protocol === 'rediss:',
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    database,
    stream,
  };
}
