// Fault tests of ARCHITECTURE.md §5 against both brokers: kill -9 the leader during ingest (20 times at random
// moments), restart it, and find no reading missing and no duplicate (count per unit against the fleet's
// published count), with `PRAGMA integrity_check` passing; and a unit cut off the broker for 60 s
// (COLONY_TEST_OUTAGE_SECONDS to shorten it locally) delivers everything once it is back.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FleetUnit, waitFor, type ReadingKind } from '../../bench/fleet.js';
import { DB_FILE, type LeaderHandle } from '../../leader/leader.js';
import { freePort, mosquittoPath, type TestBroker } from '../helpers/brokers.js';
import { killHard, makeDataDir, spawnLeader, startSecuredMosquitto, startTestLeader, unitCred, type ChildLeader } from './cluster.js';
import { countsFor, openReadonly } from './counts.js';

const KINDS: ReadingKind[] = ['od', 'growth_rate', 'temperature', 'log', 'od_filtered', 'rpm'];
const OUTAGE_S = Number(process.env.COLONY_TEST_OUTAGE_SECONDS ?? 60);

/** Emit readings from every unit every `everyMs` until stopped. */
function emitter(fleet: FleetUnit[], everyMs: number): { stop(): void } {
  let i = 0;
  const t = setInterval(() => {
    for (const f of fleet) f.emit(KINDS[i % KINDS.length]);
    i++;
  }, everyMs);
  return { stop: () => clearInterval(t) };
}

function seeded(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

for (const kind of ['embedded', 'mosquitto'] as const) {
  describe(`leader faults (${kind} broker)`, function () {
    this.timeout(180_000 + OUTAGE_S * 1000);
    let mosq: TestBroker | null = null;
    const units = ['u1', 'u2'];

    before(async function () {
      if (kind === 'mosquitto' && !mosquittoPath()) this.skip();
      if (kind === 'mosquitto') mosq = await startSecuredMosquitto(units.map(unitCred));
    });
    after(async () => mosq?.stop());

    it('loses and duplicates nothing across 20 kill -9s of the leader, and the database stays intact', async () => {
      const dir = makeDataDir(units.map(unitCred));
      const mqttPort = await freePort();
      const httpPort = await freePort();
      const start = () => spawnLeader(dir, { mqttPort, httpPort, brokerUrl: mosq?.url });
      let leader: ChildLeader = await start();
      const fleet = units.map((u) => new FleetUnit({ unit: u, experiment: 'exp1', url: leader.url, username: u, password: unitCred(u).password, replayAfterMs: 3000 }));
      await Promise.all(fleet.map((f) => f.connect()));
      const em = emitter(fleet, 5);
      const rand = seeded(7);
      try {
      for (let k = 0; k < 20; k++) {
        await new Promise((r) => setTimeout(r, 150 + Math.floor(rand() * 500)));
        await killHard(leader);
        leader = await start();
      }
      em.stop();
      await waitFor(() => fleet.every((f) => f.pending === 0), 60_000, 'every outbox acknowledged after the last restart');
      const db = openReadonly(join(dir, DB_FILE));
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
        for (const f of fleet) {
          assert.ok(f.published > 500, `${f.opts.unit} published ${f.published}`);
          assert.deepEqual(countsFor(db, f.opts.unit), f.publishedByKind, `rows for ${f.opts.unit}: none missing, none twice`);
        }
      } finally {
        db.close();
      }
      } finally {
        // Never leave a leader process behind, even when an assertion fails.
        em.stop();
        await Promise.all(fleet.map((f) => f.close()));
        await killHard(leader);
      }
    });

    it(`delivers everything after a unit is cut off the broker for ${OUTAGE_S} s`, async () => {
      const dir = makeDataDir(units.map(unitCred));
      const leader: LeaderHandle = await startTestLeader(dir, mosq?.url);
      const url = mosq?.url ?? leader.broker.url;
      try {
        const cut = new FleetUnit({ unit: 'u1', experiment: 'exp1', url, username: 'u1', password: unitCred('u1').password });
        const steady = new FleetUnit({ unit: 'u2', experiment: 'exp1', url, username: 'u2', password: unitCred('u2').password });
        await cut.connect();
        await steady.connect();
        const em = emitter([cut, steady], 20);
        await new Promise((r) => setTimeout(r, 1000));
        cut.cut();
        const during = cut.published;
        await new Promise((r) => setTimeout(r, OUTAGE_S * 1000));
        assert.ok(cut.pending >= cut.published - during, 'readings made during the outage wait in the outbox');
        await cut.connect();
        await new Promise((r) => setTimeout(r, 1000));
        em.stop();
        await waitFor(() => cut.pending === 0 && steady.pending === 0, 30_000, 'both outboxes acknowledged');
        assert.deepEqual(countsFor(leader.ctx.db, 'u1'), cut.publishedByKind);
        assert.deepEqual(countsFor(leader.ctx.db, 'u2'), steady.publishedByKind);
        await cut.close();
        await steady.close();
      } finally {
        await leader.stop();
      }
    });
  });
}
