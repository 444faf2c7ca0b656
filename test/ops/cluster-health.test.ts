/** The leader's clock-drift and version watch. */
import { strict as assert } from 'node:assert';
import type { MqttClient } from 'mqtt';
import { ClusterHealth } from '../../leader/discovery/cluster-health.js';
import { loadConfig } from '../../shared/config/index.js';
import { silentLogger } from '../../shared/logger.js';
import { formatTimestamp } from '../../shared/timestamps.js';

function make(overrides = '') {
  const published: Array<{ topic: string; payload: string }> = [];
  const mqtt = { publish: (topic: string, payload: string) => published.push({ topic, payload }) } as unknown as MqttClient;
  const now = Date.parse('2026-01-01T00:00:00Z');
  const config = loadConfig({ overrides: overrides ? { 'cluster.health': { version_mismatch: overrides } } : undefined });
  const h = new ClusterHealth({ mqtt, clock: { now: () => now } as never, log: silentLogger(), config, leaderUnit: 'leader', leaderVersion: '1.0.0' });
  return { h, published, now };
}

describe('ops: cluster health (clock drift, versions)', () => {
  it('warns once when a unit clock drifts past the threshold, with a remedy', () => {
    const { h, published, now } = make();
    h.clockReport('unit1', formatTimestamp(now + 1200));
    assert.equal(published.length, 0);
    h.clockReport('unit2', formatTimestamp(now - 42_000));
    h.clockReport('unit2', formatTimestamp(now - 42_000));
    assert.equal(published.length, 1);
    assert.equal(published[0].topic, 'pioreactor/leader/$experiment/logs/leader/warning');
    const msg = JSON.parse(published[0].payload) as { message: string; level: string };
    assert.equal(msg.level, 'WARNING');
    assert.match(msg.message, /unit2 is 42\.0 s behind the leader.*Remedy: enable NTP/);
    assert.deepEqual(h.report().map((u) => [u.unit, u.clock_offset_ms]), [['unit1', 1200], ['unit2', -42_000]]);
  });

  it('compares versions; refuses jobs only with version_mismatch=refuse', () => {
    const warn = make();
    warn.h.versionReport('unit1', JSON.stringify({ app: '0.9.0', hat: '1.2' }));
    assert.match(warn.published[0].payload, /unit1 runs Colony 0\.9\.0 but the leader runs 1\.0\.0/);
    assert.equal(warn.h.refusal('unit1'), null);
    const refuse = make('refuse');
    refuse.h.versionReport('unit1', JSON.stringify({ app: '0.9.0' }));
    refuse.h.versionReport('unit2', JSON.stringify({ app: '1.0.0' }));
    assert.match(refuse.h.refusal('unit1') ?? '', /version_mismatch=refuse/);
    assert.equal(refuse.h.refusal('unit2'), null);
  });
});
