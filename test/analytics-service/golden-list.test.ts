// GET /api/analytics/golden and ColonyAnalytics.listGoldenProfiles: the stored golden profiles, newest first, as
// summaries (id, name, signal, variables, source batches, created_at, grid points) without the mean and std
// arrays; the same list from a local data dir and from a leader.
import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColonyAnalytics, DB_FILE } from '../../leader/batches/client.js';
import type { GoldenProfileSummary } from '../../leader/batches/service.js';
import { openDatabase } from '../../leader/db/open.js';
import type { LeaderHandle } from '../../leader/leader.js';
import { makeDataDir, startTestLeader } from '../leader/cluster.js';
import { grow, logistic, seedExperiment } from './growing-runs.js';

const KEYS = ['created_at', 'name', 'points', 'profile_id', 'signal', 'source_batch_ids', 'variables'];

/** Two finished synthetic runs of experiment `ref` (od_filtered every 5 minutes over 24 h). */
function seedRuns(dataDir: string): void {
  const db = openDatabase(join(dataDir, DB_FILE));
  try {
    seedExperiment(db, 'ref', ['u1', 'u2']);
    grow(db, 'ref', 'u1', (h) => logistic(h, 3), 0, 24);
    grow(db, 'ref', 'u2', (h) => logistic(h, 3.5, 0.55), 0, 24);
  } finally {
    db.close();
  }
}

const RUNS = ['run:ref:u1', 'run:ref:u2'];
const OPTS = { signal: 'od_filtered', resolution_minutes: 30 };

describe('listing golden profiles (GET /api/analytics/golden, listGoldenProfiles)', function () {
  this.timeout(60_000);

  describe('on a leader', () => {
    let leader: LeaderHandle;
    before(async () => {
      const dd = makeDataDir([], '[leader]\nlive_score_interval_seconds=0\n');
      seedRuns(dd);
      leader = await startTestLeader(dd);
    });
    after(async () => {
      await leader?.stop();
    });

    it('answers an empty list before any profile is built', async () => {
      const r = await leader.app.inject({ method: 'GET', url: '/api/analytics/golden' });
      assert.equal(r.statusCode, 200);
      assert.deepEqual(JSON.parse(r.body), []);
    });

    it('lists the profiles newest first, without mean and std; the remote client reads the same list', async () => {
      const c = new ColonyAnalytics({ endpoint: leader.httpUrl, env: {} });
      const first = await c.createGoldenProfile(RUNS, ['od_filtered'], { ...OPTS, name: 'first' });
      await new Promise((r) => setTimeout(r, 5)); // a later created_at
      const second = await c.createGoldenProfile(RUNS, ['od_filtered'], { ...OPTS, metadata: { note: 'unnamed' } });

      const r = await leader.app.inject({ method: 'GET', url: '/api/analytics/golden' });
      assert.equal(r.statusCode, 200);
      const list = JSON.parse(r.body) as GoldenProfileSummary[];
      assert.deepEqual(
        list.map((p) => p.profile_id),
        [second.profile_id, first.profile_id],
      );
      for (const p of list) assert.deepEqual(Object.keys(p).sort(), KEYS, 'no mean, std, elapsed_hours or metadata');
      assert.deepEqual(list[1], {
        profile_id: first.profile_id,
        name: 'first',
        signal: 'od_filtered',
        variables: ['od_filtered'],
        source_batch_ids: RUNS,
        created_at: first.created_at,
        points: first.elapsed_hours.length,
      });
      assert.equal(list[0].name, null);
      assert.ok(list[1].points > 10);

      assert.deepEqual(await c.listGoldenProfiles(), list);
      // the whole profile is still one GET away
      assert.deepEqual((await c.getGoldenProfile(list[0].profile_id))?.mean, second.mean);
      // /golden/:id is not shadowed by the list route
      assert.equal((await leader.app.inject({ method: 'GET', url: '/api/analytics/golden/nope' })).statusCode, 404);
    });
  });

  it('a local ColonyAnalytics lists the profiles of its data dir the same way', async () => {
    const dd = mkdtempSync(join(tmpdir(), 'colony-golden-list-'));
    seedRuns(dd);
    const c = new ColonyAnalytics({ dataDir: dd });
    try {
      assert.equal(c.mode, 'local');
      assert.deepEqual(await c.listGoldenProfiles(), []);
      const a = await c.createGoldenProfile(RUNS, ['od_filtered'], { ...OPTS, name: 'a' });
      await new Promise((r) => setTimeout(r, 5));
      const b = await c.createGoldenProfile(RUNS, ['od_filtered'], { ...OPTS, name: 'b' });
      const list = await c.listGoldenProfiles();
      assert.deepEqual(
        list.map((p) => [p.profile_id, p.name]),
        [
          [b.profile_id, 'b'],
          [a.profile_id, 'a'],
        ],
      );
      assert.equal(list[0].points, b.elapsed_hours.length);
      assert.ok(!('mean' in list[0]) && !('std' in list[0]));
    } finally {
      c.close();
    }
  });
});
