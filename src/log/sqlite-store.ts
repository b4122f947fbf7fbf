import type { SqliteSynchronous } from './sqlite.js';
import { StoreUrlError } from './store-errors.js';
import type { StoreType } from './store-type.js';

export const sqliteStore: StoreType<{ kind: 'sqlite'; path: string; synchronous: SqliteSynchronous }> = {
  schemes: ['sqlite'],
  forms: ['sqlite:PATH[?synchronous=full]'],
  parse(url) {
    const text = url.trim();
    if (!text.startsWith('sqlite:')) return undefined;
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
  },
  async open(spec, retention) {
    const { SqliteLog } = await import('./sqlite.js');
    return new SqliteLog({ path: spec.path, synchronous: spec.synchronous, ...retention });
  },
};
