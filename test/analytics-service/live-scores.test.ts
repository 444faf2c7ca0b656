// Running golden-batch scores (issue 9): a golden profile built from two finished cluster runs is chosen for a new
// experiment; as that experiment's runs grow, each unit's score against it is stored (with its history), published
// as the unit's `batch_scoring` job (retained `score`, will `lost`) and served at /api/experiments/{exp}/scores.
// A run that grows like the references scores higher than one that does not, and reaches further into the profile
// as it grows. Plus the pure pieces: open-end scoring of a prefix, and binning to the profile grid.
import { strict as assert } from 'node:assert';
import mqtt from 'mqtt';
import { VirtualClock } from '../../shared/clock.js';
import { silentLogger } from '../../shared/logger.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import type { GoldenProfile } from '../../leader/analytics/golden.js';
import { binTrajectory, scoreSoFar } from '../../leader/analytics/scoring.js';
import { LiveScoreService } from '../../leader/batches/live-scores.js';
import type { LeaderHandle } from '../../leader/leader.js';
import { LEADER, makeDataDir, startTestLeader } from '../leader/cluster.js';
import { grow as growIn, H, logistic, stalled, T0 } from './growing-runs.js';


describe('running scores against a golden profile', function () {
  this.timeout(60_000);

  describe('scoreSoFar and binTrajectory', () => {
    const grid = Array.from({ length: 41 }, (_, i) => i * 0.5);
    const profile: GoldenProfile = { variables: ['od'], elapsedHours: grid, mean: grid.map((h) => [logistic(h, 3)]), std: grid.map(() => [0.1]), sourceRuns: ['a', 'b'] };

    it('a run that follows the profile scores 100 and is placed where it has got to', () => {
      const half = grid.filter((h) => h <= 8).map((h) => [logistic(h, 3)]);
      const r = scoreSoFar(profile, half);
      assert.equal(r.score, 100);
      assert.equal(r.matchedHours, 8);
    });

    it('a run that does not grow scores lower than one that does, at the same age', () => {
      const good = grid.filter((h) => h <= 10).map((h) => [logistic(h, 3.5) * 1.05]);
      const bad = grid.filter((h) => h <= 10).map((h) => [stalled(h)]);
      const g = scoreSoFar(profile, good);
      const b = scoreSoFar(profile, bad);
      assert.ok(g.score > b.score + 10, `good ${g.score} vs stalled ${b.score}`);
    });

    it('a run that has gone on past the end of the profile is compared with its final state, not scored 0', () => {
      const short: GoldenProfile = { ...profile, elapsedHours: grid.slice(0, 21), mean: profile.mean.slice(0, 21), std: profile.std.slice(0, 21) };
      const long = Array.from({ length: 80 }, (_, i) => [logistic(Math.min(i * 0.5, 10), 3)]);
      const r = scoreSoFar(short, long);
      assert.ok(r.score > 90, `score ${r.score}`);
      assert.equal(r.matchedHours, 10);
      const drifted = Array.from({ length: 80 }, (_, i) => [i * 0.5 <= 10 ? logistic(i * 0.5, 3) : stalled(i * 0.5)]);
      assert.ok(scoreSoFar(short, drifted).score < r.score - 10, 'a run that collapses after the profile ends scores lower');
    });

    it('refuses a trajectory with the wrong number of variables', () => {
      assert.throws(() => scoreSoFar(profile, [[1, 2]]), /2 variables, profile has 1/);
    });

    it('bins samples to the grid: averages within a bin, carries a missing variable forward', () => {
      const rows = binTrajectory(
        [
          { ts: T0, values: [1, 10] },
          { ts: T0 + 0.1 * H, values: [3, NaN] },
          { ts: T0 + 0.6 * H, values: [5, NaN] },
          { ts: T0 + 1.6 * H, values: [7, 30] },
        ],
        0.5,
      );
      assert.deepEqual(rows, [
        [2, 10],
        [5, 10],
        [5, 10],
        [7, 30],
      ]);
    });
  });

  describe('on a leader', () => {
    let leader: LeaderHandle;
    let sub: mqtt.MqttClient;
    const retained = new Map<string, string>();

    const inject = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) => {
      const r = await leader.app.inject({ method, url, payload: payload as object | undefined });
      return { status: r.statusCode, body: r.body ? (JSON.parse(r.body) as unknown) : null };
    };
    const grow = (exp: string, unit: string, f: (h: number) => number, from: number, to: number) => growIn(leader.ctx.db, exp, unit, f, from, to);

    before(async () => {
      leader = await startTestLeader(makeDataDir([], '[leader]\nlive_score_interval_seconds=0\n'));
      for (const exp of ['ref', 'live']) {
        assert.equal((await inject('POST', '/api/experiments', { experiment: exp, created_at: formatTimestamp(T0) })).status, 201);
        for (const u of ['u1', 'u2']) {
          await inject('PUT', '/api/workers', { pioreactor_unit: u });
          await inject('PUT', `/api/experiments/${exp}/workers`, { pioreactor_unit: u });
        }
      }
      grow('ref', 'u1', (h) => logistic(h, 3), 0, 24);
      grow('ref', 'u2', (h) => logistic(h, 3.5, 0.55), 0, 24);
      sub = await mqtt.connectAsync(leader.broker.url, { username: LEADER.username, password: LEADER.password, protocolVersion: 4 });
      sub.on('message', (t, p) => retained.set(t, p.toString()));
      await sub.subscribeAsync('pioreactor/+/live/batch_scoring/#', { qos: 1 });
    });
    after(async () => {
      await sub?.endAsync();
      await leader?.stop();
    });

    it('stores, publishes and serves each unit\'s score as the runs grow; the stalled run scores lower', async () => {
      const golden = await inject('POST', '/api/analytics/golden', { batches: ['run:ref:u1', 'run:ref:u2'], variables: ['od_filtered'], signal: 'od_filtered', name: 'two good runs', resolution_minutes: 30 });
      assert.equal(golden.status, 201, JSON.stringify(golden.body));
      const profileId = (golden.body as { profile_id: string }).profile_id;

      assert.equal((await inject('POST', '/api/experiments/live/scores')).status, 409, 'no profile chosen yet');
      assert.equal((await inject('PUT', '/api/experiments/nope/golden_profile', { profile: profileId })).status, 404);
      assert.equal((await inject('PUT', '/api/experiments/live/golden_profile', { profile: 'no-such-profile' })).status, 404);
      const chosen = await inject('PUT', '/api/experiments/live/golden_profile', { profile: profileId });
      assert.equal(chosen.status, 200);
      assert.equal((chosen.body as { profile_name: string }).profile_name, 'two good runs');

      grow('live', 'u1', (h) => logistic(h, 3.2), 0, 6);
      grow('live', 'u2', stalled, 0, 6);
      const first = (await inject('POST', '/api/experiments/live/scores')).body as { pioreactor_unit: string; score: number; matched_h: number }[];
      assert.deepEqual(first.map((s) => s.pioreactor_unit).sort(), ['u1', 'u2']);

      grow('live', 'u1', (h) => logistic(h, 3.2), 6, 12);
      grow('live', 'u2', stalled, 6, 12);
      const second = (await inject('POST', '/api/experiments/live/scores')).body as { pioreactor_unit: string; score: number; matched_h: number }[];
      const at = (list: typeof second, u: string) => list.find((s) => s.pioreactor_unit === u)!;
      assert.ok(at(second, 'u1').score > at(second, 'u2').score + 10, `u1 ${at(second, 'u1').score} vs stalled u2 ${at(second, 'u2').score}`);
      assert.ok(at(second, 'u1').matched_h > at(first, 'u1').matched_h, `u1 reached ${at(first, 'u1').matched_h} h, then ${at(second, 'u1').matched_h} h of the profile`);

      const served = (await inject('GET', '/api/experiments/live/scores')).body as { profile: { profile_id: string }; units: { pioreactor_unit: string; score: number; history: unknown[] }[] };
      assert.equal(served.profile.profile_id, profileId);
      const u1 = served.units.find((u) => u.pioreactor_unit === 'u1')!;
      assert.equal(u1.history.length, 2, 'both passes are kept');
      assert.equal(u1.score, at(second, 'u1').score);

      for (let i = 0; i < 50 && retained.get('pioreactor/u1/live/batch_scoring/score') !== String(at(second, 'u1').score); i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(retained.get('pioreactor/u1/live/batch_scoring/score'), String(at(second, 'u1').score));
      assert.equal(retained.get('pioreactor/u1/live/batch_scoring/$state'), 'ready');
      assert.equal(retained.get('pioreactor/u2/live/batch_scoring/golden_profile'), 'two good runs');
    });

    it('scores on its own timer (virtual clock) and its job turns lost when the leader drops it', async () => {
      const clock = new VirtualClock(T0 + 12 * H);
      const before = leader.ctx.db.prepare('SELECT COUNT(*) FROM analytics_scores WHERE live = 1').pluck().get() as number;
      const s = new LiveScoreService({ db: leader.ctx.db, clock, log: silentLogger(), intervalMs: 60_000, brokerUrl: leader.broker.url, username: LEADER.username, password: LEADER.password });
      s.start();
      await clock.advanceAsync(59_000);
      assert.equal(leader.ctx.db.prepare('SELECT COUNT(*) FROM analytics_scores WHERE live = 1').pluck().get(), before, 'nothing before the interval');
      await clock.advanceAsync(1_000);
      for (let i = 0; i < 50 && (leader.ctx.db.prepare('SELECT COUNT(*) FROM analytics_scores WHERE live = 1').pluck().get() as number) < before + 2; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(leader.ctx.db.prepare('SELECT COUNT(*) FROM analytics_scores WHERE live = 1').pluck().get(), before + 2, 'one score per unit');
      await s.scoreNow(); // the job connections are open
      await s.stop();
      for (let i = 0; i < 50 && retained.get('pioreactor/u1/live/batch_scoring/$state') !== 'lost'; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(retained.get('pioreactor/u1/live/batch_scoring/$state'), 'lost');
    });

    it('stops scoring an experiment when its profile is cleared', async () => {
      assert.equal((await inject('DELETE', '/api/experiments/live/golden_profile')).status, 204);
      assert.equal((await inject('GET', '/api/experiments/live/golden_profile')).status, 404);
      assert.equal((await inject('POST', '/api/experiments/live/scores')).status, 409);
      assert.deepEqual((await inject('GET', '/api/experiments/live/scores')).body, { profile: null, units: [] });
    });
  });
});
