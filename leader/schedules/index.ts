/**
 * Periodic leader work on node-cron (`[schedules]` in the config): a database backup with better-sqlite3's online
 * `db.backup()` into a rotating set of files in `<dataDir>/backups/`, and CSV exports of chosen tables into
 * `<dataDir>/exports/<stamp>/`. Two runs of a task never overlap (noOverlap) and a failure is logged, never thrown.
 */
import cron, { type ScheduledTask } from 'node-cron';
import { createWriteStream, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ColonyConfig } from '../../shared/config/index.js';
import type { ColonyLogger } from '../../shared/logger.js';
import type { Db } from '../db/open.js';

export interface ScheduleDeps {
  db: Db;
  dataDir: string;
  config: ColonyConfig;
  log: ColonyLogger;
  now?: () => number;
}

const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

/** Keep the newest `keep` entries (by name: stamps sort by time) matching `re` in `dir`. */
function rotate(dir: string, re: RegExp, keep: number): void {
  const names = readdirSync(dir).filter((n) => re.test(n)).sort();
  for (const n of names.slice(0, Math.max(0, names.length - Math.max(1, keep)))) rmSync(join(dir, n), { recursive: true, force: true });
}

/** One online backup (consistent while ingest writes), then rotation. Returns the file written. */
export async function backupDatabase(d: ScheduleDeps): Promise<string> {
  const dir = join(d.dataDir, 'backups');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `colony-${stamp((d.now ?? Date.now)())}.sqlite`);
  await d.db.backup(file);
  rotate(dir, /^colony-\d{8}T\d{6}Z\.sqlite$/, d.config.schedules.backup_keep);
  d.log.info({ file, bytes: statSync(file).size }, 'database backup written');
  return file;
}

const csvCell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = Buffer.isBuffer(v) ? v.toString('base64') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** CSV (RFC 4180) of each configured table, streamed row by row. Returns the export directory. */
export async function exportTables(d: ScheduleDeps): Promise<string> {
  const root = join(d.dataDir, 'exports');
  const dir = join(root, stamp((d.now ?? Date.now)()));
  mkdirSync(dir, { recursive: true });
  const known = new Set((d.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name));
  for (const table of d.config.schedules.export_tables.split(',').map((t) => t.trim()).filter(Boolean)) {
    if (!known.has(table)) {
      d.log.warn({ table }, 'export: no such table');
      continue;
    }
    const out = createWriteStream(join(dir, `${table}.csv`));
    const stmt = d.db.prepare(`SELECT * FROM "${table}"`);
    out.write(stmt.columns().map((c) => csvCell(c.name)).join(',') + '\r\n');
    for (const row of stmt.raw().iterate() as Iterable<unknown[]>) {
      if (!out.write(row.map(csvCell).join(',') + '\r\n')) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
  rotate(root, /^\d{8}T\d{6}Z$/, d.config.schedules.export_keep);
  d.log.info({ dir }, 'export written');
  return dir;
}

export class Schedules {
  private readonly tasks: ScheduledTask[] = [];

  constructor(private readonly d: ScheduleDeps) {}

  /** Register the configured tasks; an invalid cron expression is logged and skipped. */
  start(): void {
    const s = this.d.config.schedules;
    this.add('backup', s.backup_cron, () => backupDatabase(this.d));
    this.add('export', s.export_cron, () => exportTables(this.d));
  }

  private add(name: string, expr: string, fn: () => Promise<unknown>): void {
    if (!expr.trim()) return;
    if (!cron.validate(expr)) {
      this.d.log.error({ schedule: name, expr }, `schedules.${name}_cron is not a valid cron expression: ${name} disabled`);
      return;
    }
    const task = cron.schedule(
      expr,
      async () => {
        try {
          await fn();
        } catch (e) {
          this.d.log.error({ schedule: name, err: (e as Error).message }, `scheduled ${name} failed`);
        }
      },
      { name: `colony-${name}`, noOverlap: true },
    );
    this.tasks.push(task);
  }

  /** Run a task now (tests, a manual trigger); false if unknown. */
  async runNow(name: 'backup' | 'export'): Promise<void> {
    await (name === 'backup' ? backupDatabase(this.d) : exportTables(this.d));
  }

  async stop(): Promise<void> {
    for (const t of this.tasks) await t.destroy();
    this.tasks.length = 0;
  }
}
