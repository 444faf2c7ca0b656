// Schedules: the online backup opens and passes PRAGMA integrity_check while ingest is writing; rotation keeps
// the newest files; a failing task is logged and the daemon goes on.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { LeaderHandle } from '../../leader/leader.js';
import { backupDatabase, exportTables, Schedules } from '../../leader/schedules/index.js';
import { silentLogger } from '../../shared/logger.js';
import { makeDataDir, startTestLeader, unitCred } from '../leader/cluster.js';

describe('schedules: backups and exports', function () {
  this.timeout(60_000);
  let leader: LeaderHandle;
  let dataDir: string;

  before(async () => {
    dataDir = makeDataDir([unitCred('u1')], '[schedules]\nbackup_keep=2\nexport_cron=*/5 * * * *\n');
    leader = await startTestLeader(dataDir);
    leader.ctx.db.prepare("INSERT INTO experiments VALUES ('exp1', '2026-01-01T00:00:00.000Z', '')").run();
  });
  after(async () => leader?.stop());

  it('writes backups that pass integrity_check while ingest runs, and keeps the newest backup_keep', async () => {
    const c = await mqtt.connectAsync(leader.broker.url, { username: 'u1', password: unitCred('u1').password, protocolVersion: 4 });
    let seq = 0;
    let writing = true;
    const pump = (async () => {
      while (writing) {
        const batch = [];
        for (let i = 0; i < 50; i++) {
          seq++;
          const ts = new Date(Date.UTC(2026, 0, 1) + seq * 1000).toISOString();
          batch.push(c.publishAsync('pioreactor/u1/exp1/growth_rate_calculating/growth_rate', JSON.stringify({ growth_rate: 0.1 + seq * 1e-6, timestamp: ts }), { qos: 1 }));
        }
        await Promise.all(batch);
      }
    })();
    const deps = { db: leader.ctx.db, dataDir, config: leader.ctx.config, log: silentLogger() };
    let t = Date.UTC(2026, 0, 1);
    const files: string[] = [];
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 3; i++) {
      files.push(await backupDatabase({ ...deps, now: () => (t += 1000) }));
      await new Promise((r) => setTimeout(r, 200));
    }
    writing = false;
    await pump;
    await c.endAsync();
    for (const f of files.slice(-2)) {
      const b = new Database(f, { readonly: true });
      assert.equal(b.pragma('integrity_check', { simple: true }), 'ok');
      const n = (b.prepare('SELECT count(*) AS n FROM growth_rates').get() as { n: number }).n;
      assert.ok(n > 0, 'the backup holds ingested rows');
      b.close();
    }
    assert.equal(readdirSync(join(dataDir, 'backups')).filter((f) => f.endsWith('.sqlite')).length, 2, 'rotated to backup_keep');
    const dir = await exportTables(deps);
    assert.ok(readdirSync(dir).includes('growth_rates.csv'));
  });

  it('an invalid cron expression or a failing task is logged, not thrown', async () => {
    const errors: string[] = [];
    const log = silentLogger();
    log.error = ((o: unknown, m?: string) => void errors.push(String(m ?? o))) as typeof log.error;
    const config = { ...leader.ctx.config, schedules: { ...leader.ctx.config.schedules, backup_cron: 'not a cron', export_cron: '* * * * * *' } };
    const s = new Schedules({ db: leader.ctx.db, dataDir: join(dataDir, 'config.ini') /* a file: mkdir fails */, config, log });
    s.start();
    assert.ok(errors.some((e) => /not a valid cron/.test(e)));
    await new Promise((r) => setTimeout(r, 2200));
    await s.stop();
    assert.ok(errors.some((e) => /scheduled export failed/.test(e)), errors.join('\n'));
  });
});
