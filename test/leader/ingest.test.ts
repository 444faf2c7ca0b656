// Leader ingest end to end, against the embedded broker and against mosquitto: every reading a unit publishes
// lands once (count per unit and kind equals the fleet's published count), acks trim the unit's outbox, the ACL
// holds, and 1,000 malformed payloads leave the leader up with the good rows in.
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { FleetUnit, waitFor, type ReadingKind } from '../../bench/fleet.js';
import type { LeaderHandle } from '../../leader/leader.js';
import { mosquittoPath, type TestBroker } from '../helpers/brokers.js';
import { BROWSER, makeDataDir, startSecuredMosquitto, startTestLeader, unitCred } from './cluster.js';
import { countsFor } from './counts.js';

const KINDS: ReadingKind[] = ['od', 'growth_rate', 'od_filtered', 'temperature', 'rpm', 'log'];
const UNITS = ['u1', 'u2', 'u3'];

for (const kind of ['embedded', 'mosquitto'] as const) {
  describe(`leader ingest (${kind} broker)`, function () {
    this.timeout(60_000);
    let leader: LeaderHandle;
    let mosq: TestBroker | null = null;
    let url: string;

    before(async function () {
      if (kind === 'mosquitto' && !mosquittoPath()) this.skip();
      const creds = [...UNITS.map(unitCred), BROWSER, unitCred('u9')];
      const dir = makeDataDir(creds);
      if (kind === 'mosquitto') mosq = await startSecuredMosquitto(creds);
      leader = await startTestLeader(dir, mosq?.url);
      url = mosq?.url ?? leader.broker.url;
      leader.ctx.db.prepare("INSERT OR IGNORE INTO experiments VALUES ('exp1', '2026-01-01T00:00:00.000Z', '')").run();
    });

    after(async () => {
      await leader?.stop();
      await mosq?.stop();
    });

    it('stores every published reading exactly once and acks trim each outbox', async () => {
      const fleet = UNITS.map((u) => new FleetUnit({ unit: u, experiment: 'exp1', url, username: u, password: unitCred(u).password, replayAfterMs: 2000 }));
      await Promise.all(fleet.map((f) => f.connect()));
      for (let i = 0; i < 300; i++) for (const f of fleet) f.emit(KINDS[i % KINDS.length]);
      await waitFor(() => fleet.every((f) => f.pending === 0), 20_000, 'every outbox acknowledged');
      for (const f of fleet) assert.deepEqual(countsFor(leader.ctx.db, f.opts.unit), f.publishedByKind, `rows for ${f.opts.unit}`);
      // A replay of everything (as after a reconnect) adds nothing.
      const before = leader.ctx.ingest!.writer.stats.duplicates;
      await Promise.all(fleet.map((f) => f.close()));
      const again = new FleetUnit({ unit: 'u1', experiment: 'exp1', url, username: 'u1', password: unitCred('u1').password });
      Object.assign(again, { epoch: fleet[0].epoch });
      await again.connect();
      for (let i = 0; i < 50; i++) again.emit('od');
      await waitFor(() => leader.ctx.ingest!.writer.stats.duplicates >= before + 50, 10_000, 'replayed seqs counted as duplicates');
      assert.equal(countsFor(leader.ctx.db, 'u1').od, fleet[0].publishedByKind.od);
      await again.close();
    });

    it('refuses a unit publishing under another unit, and the browser publishing at all', async () => {
      const watcher = await mqtt.connectAsync(url, { username: 'leader', password: 'leader-secret-1', protocolVersion: 4 });
      const seen: string[] = [];
      watcher.on('message', (t) => seen.push(t));
      await watcher.subscribeAsync('pioreactor/#', { qos: 1 });
      const u9 = await mqtt.connectAsync(url, { username: 'u9', password: unitCred('u9').password, protocolVersion: 4, reconnectPeriod: 0 });
      u9.on('error', () => undefined);
      // The allowed publish goes first: aedes closes a client's connection when it breaks the ACL.
      u9.publish('pioreactor/u9/exp1/acl_probe/own', '1', { qos: 0 });
      await waitFor(() => seen.includes('pioreactor/u9/exp1/acl_probe/own'), 5000, 'the allowed publish');
      u9.publish('pioreactor/u1/exp1/stirring/target_rpm/set', '9999', { qos: 0 });
      const browser = await mqtt.connectAsync(url, { username: 'browser', password: BROWSER.password, protocolVersion: 4, reconnectPeriod: 0 });
      browser.on('error', () => undefined);
      browser.publish('pioreactor/u1/exp1/stirring/$state/set', 'disconnected', { qos: 0 });
      browser.publish('pioreactor/browser/exp1/acl_probe/own', '1', { qos: 0 });
      // Let any wrongly forwarded message arrive before checking that none did.
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(!seen.includes('pioreactor/u1/exp1/stirring/target_rpm/set'), 'u9 must not publish under u1');
      assert.ok(!seen.includes('pioreactor/u1/exp1/stirring/$state/set'), 'the browser must not publish');
      assert.ok(!seen.includes('pioreactor/browser/exp1/acl_probe/own'), 'the browser must not publish anywhere');
      // The browser may subscribe (read-only identity).
      const reader = await mqtt.connectAsync(url, { username: 'browser', password: BROWSER.password, protocolVersion: 4 });
      const granted = await reader.subscribeAsync('pioreactor/+/exp1/#', { qos: 0 });
      assert.equal(granted[0].qos, 0);
      await reader.endAsync(true);
      const bad = await mqtt.connectAsync(url, { username: 'u9', password: 'wrong', protocolVersion: 4, reconnectPeriod: 0 }).catch((e: Error) => e);
      assert.ok(bad instanceof Error, 'a wrong password is refused');
      await Promise.all([watcher.endAsync(true), u9.endAsync(true), browser.endAsync(true)]);
    });

    it('survives 1,000 random or truncated payloads on ingested topics and keeps the good rows', async () => {
      const pub = await mqtt.connectAsync(url, { username: 'u2', password: unitCred('u2').password, protocolVersion: 4 });
      const good = JSON.stringify({ growth_rate: 0.33, timestamp: '2026-11-24T08:18:24.211Z' });
      const targets = ['od_reading/od1', 'growth_rate_calculating/growth_rate', 'temperature_automation/temperature', 'stirring/measured_rpm', 'growth_rate_calculating/od_filtered'];
      let rng = 12345;
      const rand = () => ((rng = (rng * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
      const before = countsFor(leader.ctx.db, 'u2').growth_rate;
      const malformedBefore = leader.ctx.ingest!.stats.malformed;
      for (let i = 0; i < 1000; i++) {
        const topic = `pioreactor/u2/exp1/${targets[i % targets.length]}`;
        let payload: Buffer;
        const r = rand();
        if (r < 0.3) payload = Buffer.from(good.slice(0, Math.floor(rand() * (good.length - 1))));
        else if (r < 0.6) payload = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
        else if (r < 0.8) payload = Buffer.from(JSON.stringify({ growth_rate: 'fast', od: null, timestamp: 'yesterday', temperature: [1] }));
        else payload = Buffer.from('{"od_filtered": 1e999, "timestamp": "2026-13-01T00:00:00Z"}');
        pub.publish(topic, payload, { qos: 0 });
        if (i % 100 === 0) pub.publish('pioreactor/u2/exp1/growth_rate_calculating/growth_rate', good, { qos: 1 });
      }
      await waitFor(() => countsFor(leader.ctx.db, 'u2').growth_rate >= before + 10, 10_000, 'the good rows');
      assert.equal(countsFor(leader.ctx.db, 'u2').growth_rate, before + 10);
      assert.ok(leader.ctx.ingest!.stats.malformed - malformedBefore >= 900, 'malformed payloads were counted, not stored');
      const health = await leader.app.inject({ method: 'GET', url: '/api/health' });
      assert.equal(health.statusCode, 200);
      assert.equal(health.json().database, 'ok');
      await pub.endAsync();
    });
  });
}
