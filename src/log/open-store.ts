import type { EventLog, Retention } from './event-log.js';
import { MemoryLog } from './memory.js';
import { RedisLog } from './redis/redis-log.js';
import { parseRedisUrl } from './redis/url.js';
import { SqliteLog, type SqliteSynchronous } from './sqlite.js';
import { StoreUrlError } from './store-errors.js';

export { StoreOpenError, StoreUrlError } from './store-errors.js';

/** The store URLs `openStore` accepts, for `--help` and error messages. */
export const STORE_URL_FORMS = [
  'memory',
  'sqlite:PATH[?synchronous=full]',
  'redis://[user:pass@]host:port[/db][?stream=NAME]',
  'rediss://[user:pass@]host:port[/db][?stream=NAME]',
] as const;

const FORMS = `accepted: ${STORE_URL_FORMS.join(', ')}`;

/** What a store URL names, before anything is opened (the CLI checks URLs this way first). */
export type StoreSpec =
  | { kind: 'memory' }
  | { kind: 'sqlite'; path: string; synchronous: SqliteSynchronous }
  | { kind: 'redis'; url: string; stream: string };

/** Parses a store URL; throws StoreUrlError (a usage error) with a one-line reason. */
export function parseStoreUrl(url: string): StoreSpec {
  const text = url.trim();
  if (text === 'memory' || text === 'memory:') return { kind: 'memory' };
  if (text.startsWith('sqlite:')) {
    let path = text.slice('sqlite:'.length);
    // `?synchronous=full`: an fsync per commit, so a power loss costs nothing acknowledged either.
    let synchronous: SqliteSynchronous = 'NORMAL';
    const query = path.lastIndexOf('?');
    if (query !== -1) {
      const params = new URLSearchParams(path.slice(query + 1));
      path = path.slice(0, query);
      for (const [name, value] of params) {
        if (name !== 'synchronous' || !/^(normal|full)$/i.test(value))
          throw new StoreUrlError(
            `${JSON.stringify(url)}: the only SQLite option is synchronous=normal or synchronous=full`,
          );
        synchronous = value.toUpperCase() as SqliteSynchronous;
      }
    }
    if (path.startsWith('//')) {
      // sqlite:///abs/path is an absolute path; sqlite://host/... names no file.
      if (!path.startsWith('///'))
        throw new StoreUrlError(
          `${JSON.stringify(url)}: use sqlite:PATH (sqlite:./herald.db, sqlite:/var/lib/herald.db)`,
        );
      path = path.slice(2);
    }
    if (path === '')
      throw new StoreUrlError(`${JSON.stringify(url)}: the SQLite path is empty (use sqlite:PATH)`);
    if (path.includes('\0')) throw new StoreUrlError('the SQLite path holds a NUL character');
    return { kind: 'sqlite', path, synchronous };
  }
  if (text.startsWith('redis://') || text.startsWith('rediss://')) {
    const address = parseRedisUrl(text);
    return { kind: 'redis', url: text, stream: address.stream ?? 'herald' };
  }
  throw new StoreUrlError(`unknown store ${JSON.stringify(url)} (${FORMS})`);
}

/**
 * Opens the store a URL names, with the retention every store applies: `memory`, `sqlite:PATH`
 * (relative to the working directory; the file and its folder are created if missing),
 * `redis://[user:pass@]host:port[/db][?stream=NAME]` or `rediss://...` (TLS).
 *
 * Throws StoreUrlError for a malformed URL (a usage error: the CLI exits 2) and StoreOpenError
 * when the store cannot be opened: an unreachable Redis (checked with a PING within `timeoutMs`,
 * default 2 s), an unwritable folder, a corrupt or locked SQLite file (the CLI exits 1). Both carry
 * a one-line reason.
 */
export async function openStore(
  url: string,
  retention: Retention = {},
  options: { timeoutMs?: number } = {},
): Promise<EventLog> {
  const spec = parseStoreUrl(url);
  switch (spec.kind) {
    case 'memory':
      return new MemoryLog(retention);
    case 'sqlite':
      return new SqliteLog({ path: spec.path, synchronous: spec.synchronous, ...retention });
    case 'redis':
      return RedisLog.open({ url: spec.url, ...retention, timeoutMs: options.timeoutMs });
  }
}
