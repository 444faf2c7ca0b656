// The topic-to-table mapping of pioreactor-mqtt.md §5.2, one message at a time.
import assert from 'node:assert/strict';
import { mapMessage, type Mapped } from '../../leader/ingest/mapping.js';

const NOW = Date.UTC(2026, 10, 24, 9, 0, 0, 5);
const T6 = '2026-11-24T08:18:24.211000Z';

function rows(topic: string, payload: string, retain = false): Extract<Mapped, { kind: 'rows' }> {
  const m = mapMessage({ topic, payload, retain, now: NOW });
  assert.equal(m.kind, 'rows', JSON.stringify(m));
  return m as Extract<Mapped, { kind: 'rows' }>;
}

describe('ingest mapping (pioreactor-mqtt.md §5.2)', () => {
  it('maps od1..od4 to od_readings with integer angle and channel and a millisecond Z timestamp', () => {
    const m = rows('pioreactor/u1/exp1/od_reading/od2', `{"calibrated":0,"timestamp":"${T6}","angle":"90","od":0.0123,"channel":"2","ir_led_intensity":80.0}`);
    assert.deepEqual(m.rows, [{ table: 'od_readings', values: { experiment: 'exp1', pioreactor_unit: 'u1', timestamp: '2026-11-24T08:18:24.211Z', od_reading: 0.0123, angle: 90, channel: 2 } }]);
    assert.deepEqual(m.rollup, [{ dataset: 'od_readings', series: '2', value: 0.0123, timestamp: '2026-11-24T08:18:24.211Z' }]);
    assert.equal(m.outbox, null, 'a real Pioreactor payload has no outbox fields and is still stored');
  });

  it('maps growth rate, od_filtered, temperature, rpm and fused OD', () => {
    assert.equal(rows('pioreactor/u1/e/growth_rate_calculating/growth_rate', `{"growth_rate":0.2,"timestamp":"${T6}"}`).rows[0].values.rate, 0.2);
    assert.equal(rows('pioreactor/u1/e/growth_rate_calculating/od_filtered', `{"od_filtered":1.4,"timestamp":"${T6}"}`).rows[0].values.normalized_od_reading, 1.4);
    assert.equal(rows('pioreactor/u1/e/temperature_automation/temperature', `{"temperature":30.5,"timestamp":"${T6}"}`).rows[0].values.temperature_c, 30.5);
    assert.equal(rows('pioreactor/u1/e/stirring/measured_rpm', `{"measured_rpm":499.5,"timestamp":"${T6}"}`).rows[0].table, 'stirring_rates');
    assert.equal(rows('pioreactor/u1/e/od_reading/od_fused', `{"od_fused":0.5,"timestamp":"${T6}"}`).rows[0].table, 'od_readings_fused');
  });

  it('marks dosing events durable and maps volume_change to volume_change_ml', () => {
    const m = rows('pioreactor/u1/e/dosing_events', `{"volume_change":0.25,"event":"add_media","source_of_event":"dosing_automation:chemostat","timestamp":"${T6}","colony_seq":4,"colony_epoch":"ep","colony_floor":2}`);
    assert.equal(m.durable, true);
    assert.equal(m.rows[0].values.volume_change_ml, 0.25);
    assert.deepEqual(m.outbox, { epoch: 'ep', seq: 4, floor: 2 });
  });

  it('timestamps bioreactor values and automation events on arrival', () => {
    const v = rows('pioreactor/u1/e/bioreactor/current_volume_ml', '14.5');
    assert.deepEqual(v.rows[0], { table: 'liquid_volumes', values: { experiment: 'e', pioreactor_unit: 'u1', timestamp: '2026-11-24T09:00:00.005Z', liquid_volume: 14.5 } });
    const ev = rows('pioreactor/u1/e/dosing_automation/latest_event', '{"event_name":"DilutionEvent","message":"m","data":{"a":1}}');
    assert.deepEqual(ev.rows[0].values, { experiment: 'e', pioreactor_unit: 'u1', timestamp: '2026-11-24T09:00:00.005Z', event_name: 'DilutionEvent', message: 'm', data: '{"a":1}' });
    const none = rows('pioreactor/u1/e/led_automation/latest_event', '{"event_name":"NoEvent","message":null,"data":null}');
    assert.equal(none.rows[0].values.data, '');
  });

  it('maps pwms/dc by pin to channel columns, 0.0 where absent', () => {
    const m = rows('pioreactor/u1/e/pwms/dc', '{"17":35.0,"18":12.5}');
    assert.deepEqual(m.rows[0].values, { experiment: 'e', pioreactor_unit: 'u1', timestamp: '2026-11-24T09:00:00.005Z', channel_1: 35, channel_2: 0, channel_3: 0, channel_4: 0, channel_5: 12.5 });
  });

  it('stores automation settings verbatim, logs with upper-case level, and profile runs', () => {
    const s = rows('pioreactor/u1/e/dosing_automation/dosing_automation_settings', `{"pioreactor_unit":"u1","experiment":"e","started_at":"${T6}","ended_at":null,"automation_name":"chemostat","settings":"eyJhIjoxfQ=="}`);
    assert.equal(s.rows[0].table, 'dosing_automation_settings');
    assert.equal(s.rows[0].values.settings, 'eyJhIjoxfQ==');
    const l = rows('pioreactor/u1/e/logs/app/notice', `{"message":"Ready.","level":"NOTICE","task":"stirring","source":"app","timestamp":"2026-11-24T08:18:24.211Z"}`);
    assert.equal(l.rows[0].values.level, 'NOTICE');
    const p = rows('pioreactor/u1/e/experiment_profile/7/experiment_profile_name', 'demo profile');
    assert.deepEqual(p.rows[0], { table: 'experiment_profile_runs', values: { started_at: '2026-11-24T09:00:00.005Z', experiment_profile_name: 'demo profile', experiment: 'e' } });
  });

  it('skips retained, empty, _testing_ and $broadcast messages, and topics that are not stored', () => {
    const g = `{"growth_rate":0.2,"timestamp":"${T6}"}`;
    assert.equal(mapMessage({ topic: 'pioreactor/u1/e/growth_rate_calculating/growth_rate', payload: g, retain: true, now: NOW }).kind, 'skip');
    assert.equal(mapMessage({ topic: 'pioreactor/u1/e/growth_rate_calculating/growth_rate', payload: '', retain: false, now: NOW }).kind, 'skip');
    assert.equal(mapMessage({ topic: 'pioreactor/u1/_testing_e/growth_rate_calculating/growth_rate', payload: g, retain: false, now: NOW }).kind, 'skip');
    assert.equal(mapMessage({ topic: 'pioreactor/$broadcast/e/growth_rate_calculating/growth_rate', payload: g, retain: false, now: NOW }).kind, 'skip');
    assert.equal(mapMessage({ topic: 'pioreactor/u1/e/stirring/target_rpm', payload: '500.0', retain: false, now: NOW }).kind, 'skip');
  });

  it('reports a malformed payload with the field, never throws', () => {
    const m = mapMessage({ topic: 'pioreactor/u1/e/od_reading/od1', payload: '{"calibrated":0,"timestamp":"x"}', retain: false, now: NOW });
    assert.equal(m.kind, 'error');
    if (m.kind === 'error') assert.match(m.reason, /timestamp/);
  });
});

describe('sequenced messages that map to no row', () => {
  it('still yield their outbox fields, so the watermark has no gap (od_reading/ods is not stored)', async () => {
    const { outboxOfUnmapped } = await import('../../leader/ingest/mapping.js');
    const ods = '{"timestamp":"2026-11-24T08:18:24.211Z","ods":{},"colony_seq":9,"colony_epoch":"e","colony_floor":3}';
    assert.equal(mapMessage({ topic: 'pioreactor/u1/x/od_reading/ods', payload: ods, retain: false, now: NOW }).kind, 'skip');
    assert.deepEqual(outboxOfUnmapped('pioreactor/u1/x/od_reading/ods', ods), { unit: 'u1', experiment: 'x', outbox: { epoch: 'e', seq: 9, floor: 3 } });
    assert.equal(outboxOfUnmapped('pioreactor/u1/x/od_reading/ods', '{"timestamp":"t"}'), null);
    assert.equal(outboxOfUnmapped('pioreactor/$broadcast/x/a/b', ods), null);
  });
});
