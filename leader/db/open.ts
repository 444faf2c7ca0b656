/**
 * Opening the leader's SQLite database: WAL, the PRAGMAs of Pioreactor's writer, migrations.
 * Telemetry commits use synchronous=NORMAL (WAL keeps them consistent after a crash); dosing events,
 * config and audit rows are written through `withFullSync`, which commits with synchronous=FULL.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrate } from './migrations.js';

export type Db = Database.Database;

export function openDatabase(path: string, opts: { readonly?: boolean } = {}): Db {
  if (path !== ':memory:' && !opts.readonly) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { readonly: opts.readonly ?? false });
  db.pragma('busy_timeout = 15000');
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('temp_store = MEMORY');
    db.pragma('cache_size = -16000');
    db.pragma('wal_autocheckpoint = 4000');
    db.pragma('foreign_keys = OFF');
    migrate(db);
  }
  return db;
}

/** Run `fn` in a transaction committed with synchronous=FULL (dosing events, config, audit). */
export function withFullSync<T>(db: Db, fn: () => T): T {
  db.pragma('synchronous = FULL');
  try {
    return db.transaction(fn)();
  } finally {
    db.pragma('synchronous = NORMAL');
  }
}
