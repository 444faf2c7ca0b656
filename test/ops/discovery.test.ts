/** Discovery: the `/api/workers/discover` route (in-memory and static), and a real mDNS publish + browse. */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setDiscovery } from '../../leader/api/discover.js';
import { MemoryDiscovery, parseStaticWorkers, type SeenUnit } from '../../leader/discovery/discovery.js';
import type { LeaderHandle } from '../../leader/leader.js';
import { makeDataDir, startTestLeader } from '../leader/cluster.js';

const FIXTURE = join(process.cwd(), 'test/ops/fixtures/mdns-roundtrip.ts');

function roundtrip(opts: Record<string, unknown>, unit: string, prefix: string[] = []): SeenUnit[] | string {
  const cmd = [...prefix, process.execPath, '--import', 'tsx', FIXTURE, JSON.stringify(opts), unit];
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', timeout: 15_000, cwd: process.cwd() });
  if (r.status !== 0) return `exit ${r.status}: ${r.stderr}`;
  return JSON.parse(r.stdout) as SeenUnit[];
}

describe('ops: discovery', () => {
  let leader: LeaderHandle | null = null;
  afterEach(async () => {
    await leader?.stop();
    leader = null;
  });

  it('GET /api/workers/discover lists advertised units that are not in the inventory', async () => {
    leader = await startTestLeader(makeDataDir([]));
    const mem = new MemoryDiscovery();
    setDiscovery(leader.ctx, mem);
    mem.advertise({ unit: 'unit1', version: '0.1.0' });
    mem.advertise({ unit: 'unit2', version: '0.1.0' }, 'unit2.local', ['10.0.0.2']);
    await leader.app.inject({ method: 'PUT', url: '/api/workers', payload: { pioreactor_unit: 'unit1' } });
    const r = await leader.app.inject({ method: 'GET', url: '/api/workers/discover' });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json(), [{ pioreactor_unit: 'unit2', host: 'unit2.local', addresses: ['10.0.0.2'], version: '0.1.0', source: 'memory' }]);
  });

  it('falls back to [discovery] static_workers when mDNS is off', async () => {
    leader = await startTestLeader(makeDataDir([], '[discovery]\nenabled=false\nstatic_workers=unit5, unit6=10.0.0.6\nbrowse_seconds=0.1\n'));
    const r = await leader.app.inject({ method: 'GET', url: '/api/workers/discover' });
    assert.deepEqual(
      r.json().map((w: { pioreactor_unit: string; source: string }) => [w.pioreactor_unit, w.source]),
      [['unit5', 'static'], ['unit6', 'static']],
    );
    assert.deepEqual(parseStaticWorkers('ok1, bad/name').errors.length, 1);
  });

  it('an agent advertisement is browsed over mDNS (loopback, else a network namespace)', function () {
    this.timeout(40_000);
    const unit = `mdns${randomBytes(3).toString('hex')}`;
    const port = 20000 + Math.floor(Math.random() * 20000);
    const onLo = roundtrip({ interface: '127.0.0.1', port }, unit);
    if (Array.isArray(onLo) && onLo.some((s) => s.unit === unit)) return;
    // Loopback carries no multicast here (lo lacks the MULTICAST flag): use a private namespace where it does.
    if (spawnSync('ip', ['-V']).status !== 0) return this.skip(); // `ip` (iproute2) missing: no namespace to try
    const ns = `colony-mdns-${process.pid}`;
    const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
    if (add.status !== 0) {
      console.log(`      skipped: loopback has no multicast and "ip netns add" is not permitted (${add.stderr.trim()})`);
      return this.skip();
    }
    try {
      const setup = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', 'ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo'], { encoding: 'utf8' });
      assert.equal(setup.status, 0, setup.stderr);
      const seen = roundtrip({ port }, unit, ['ip', 'netns', 'exec', ns]);
      assert.ok(Array.isArray(seen), String(seen));
      const me = seen.find((s) => s.unit === unit);
      assert.ok(me, `not browsed: ${JSON.stringify(seen)}`);
      assert.equal(me.version, '9.9.9');
      assert.equal(me.source, 'mdns');
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });
});
