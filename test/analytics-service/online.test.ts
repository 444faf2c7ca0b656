/**
 * Online phases: a simulated growth-rate stream (virtual time: timestamps in the payloads), speed
 * invariance, resume after a restart from the persisted state, and end to end through an in-process
 * leader with growth_rate messages published on MQTT.
 */
import { strict as assert } from 'node:assert';
import mqtt from 'mqtt';
import { openDatabase } from '../../leader/db/open.js';
import { OnlinePhaseService, PHASE_JOB } from '../../leader/batches/online.js';
import { AnalyticsService } from '../../leader/batches/service.js';
import { silentLogger } from '../../shared/logger.js';
import { formatTimestamp } from '../../shared/timestamps.js';
import { LEADER, makeDataDir, startTestLeader } from '../leader/cluster.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
/** Growth rate of a culture: lag (3 h), exponential (mu 0.6 for 5 h), then stationary; per culture hour. */
function rate(h: number): number {
  if (h < 3) return 0.01;
  if (h < 8) return 0.6;
  return 0.02 * Math.exp(-(h - 8));
}

async function feed(svc: OnlinePhaseService, speed: number, fromH = 0, toH = 14): Promise<void> {
  for (let h = fromH; h < toH; h += 1 / 60) await svc.observe('exp1', 'u1', T0 + (h * 3_600_000) / speed, rate(h) * speed + 0.01 * Math.sin(h * 37));
}

function phasesOf(db: ReturnType<typeof openDatabase>) {
  return db.prepare('SELECT phase, started_at FROM analytics_phase_events ORDER BY rowid').all() as { phase: string; started_at: string }[];
}

describe('online phase detection', () => {
  it('labels a simulated growth-rate stream lag -> exponential -> stationary, emits events, stores annotations', async () => {
    const db = openDatabase(':memory:');
    const svc = new OnlinePhaseService({ db, log: silentLogger() });
    const events: string[] = [];
    svc.bus.on('phase.changed', (e) => events.push(`${e.unit}:${e.phase}`));
    await feed(svc, 1);
    assert.deepEqual(phasesOf(db).map((p) => p.phase), ['exponential', 'stationary']);
    assert.deepEqual(events, ['u1:exponential', 'u1:stationary']);
    const expStart = Date.parse(phasesOf(db)[0].started_at);
    assert.ok(Math.abs(expStart - (T0 + 3 * 3_600_000)) < 0.5 * 3_600_000, phasesOf(db)[0].started_at);
    assert.deepEqual(svc.current('exp1').map((c) => c.phase), ['stationary']);
    const a = new AnalyticsService(db);
    assert.deepEqual(a.getPhases('run:exp1:u1', 'streaming').map((p) => p.phase_type), ['lag', 'exponential', 'stationary']);
    await svc.stop();
  });

  it('gives the same phases at the demo speed-up when told the speed', async () => {
    const at = async (speed: number) => {
      const db = openDatabase(':memory:');
      const svc = new OnlinePhaseService({ db, log: silentLogger(), speed });
      await feed(svc, speed);
      await svc.stop();
      return phasesOf(db).map((p) => [p.phase, Math.round(((Date.parse(p.started_at) - T0) * speed) / 60_000)]);
    };
    const slow = await at(1);
    const fast = await at(60);
    assert.deepEqual(fast, slow);
  });

  it('resumes from the persisted state after a restart', async () => {
    const db = openDatabase(':memory:');
    const one = new OnlinePhaseService({ db, log: silentLogger() });
    await feed(one, 1, 0, 5);
    await one.stop();
    const two = new OnlinePhaseService({ db, log: silentLogger() });
    await feed(two, 1, 5, 14);
    await two.stop();
    assert.deepEqual(phasesOf(db).map((p) => p.phase), ['exponential', 'stationary']);
  });

  it('end to end: growth_rate on MQTT -> phase_detection job (retained settings), /api/experiments/{exp}/phases', async function () {
    this.timeout(60_000);
    const leader = await startTestLeader(makeDataDir([]));
    const c = await mqtt.connectAsync(leader.broker.url, { username: LEADER.username, password: LEADER.password, protocolVersion: 4 });
    try {
      for (let h = 0; h < 12; h += 1 / 30) {
        const body = JSON.stringify({ growth_rate: rate(h), timestamp: formatTimestamp(T0 + h * 3_600_000) });
        await c.publishAsync('pioreactor/u7/expE/growth_rate_calculating/growth_rate', body, { qos: 1 });
      }
      let rows: { pioreactor_unit: string; phase: string; history: { phase: string }[] }[] = [];
      for (let i = 0; i < 100; i++) {
        rows = (await (await fetch(`${leader.httpUrl}/api/experiments/expE/phases`)).json()) as typeof rows;
        if (rows[0]?.phase === 'stationary') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(rows[0]?.pioreactor_unit, 'u7');
      assert.equal(rows[0].phase, 'stationary');
      assert.deepEqual(rows[0].history.map((h) => h.phase), ['exponential', 'stationary']);
      const seen = new Map<string, string>();
      const r = await mqtt.connectAsync(leader.broker.url, { username: LEADER.username, password: LEADER.password, protocolVersion: 4 });
      r.on('message', (t, p) => seen.set(t.split('/').pop()!, p.toString()));
      await r.subscribeAsync(`pioreactor/u7/expE/${PHASE_JOB}/+`);
      for (let i = 0; i < 50 && seen.size < 3; i++) await new Promise((res) => setTimeout(res, 50));
      await r.endAsync();
      assert.equal(seen.get('$state'), 'ready');
      assert.equal(seen.get('phase'), 'stationary');
      assert.match(seen.get('phase_started_at') ?? '', /^2026-01-01T/);
      const batches = (await (await fetch(`${leader.httpUrl}/api/analytics/batches`)).json()) as { batch_id: string }[];
      assert.ok(batches.some((b) => b.batch_id === 'run:expE:u7'));
    } finally {
      await c.endAsync();
      await leader.stop();
    }
  });
});
