import type Database from 'better-sqlite3';
import type { KeptRecords } from './event-log.js';

/** Kept records of a SQLite log: a table of its own in the same file (created when missing). */
export function sqliteKeptRecords(db: Database.Database, isClosed: () => boolean): KeptRecords {
  db.exec(
    'CREATE TABLE IF NOT EXISTS herald_kept (key TEXT PRIMARY KEY, value TEXT NOT NULL, until INTEGER NOT NULL)',
  );
  const put = db.prepare('INSERT OR REPLACE INTO herald_kept (key, value, until) VALUES (?, ?, ?)');
  const drop = db.prepare('DELETE FROM herald_kept WHERE until <= ?');
  const select = db.prepare<[], { key: string; value: string }>('SELECT key, value FROM herald_kept');
  const checkOpen = () => {
    if (isClosed()) throw new Error('the log is closed');
  };
  return {
    keep: async (key, value, until) => {
      checkOpen();
      put.run(key, value, until);
    },
    all: async () => {
      checkOpen();
      drop.run(Date.now());
      return new Map(select.all().map((row) => [row.key, row.value]));
    },
  };
}
