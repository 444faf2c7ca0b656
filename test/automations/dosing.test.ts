// Dosing automations on the virtual clock: the framework's known answers (reference/pioreactor-control.md §6.3),
// each automation's rule (§6.4), and closed-loop runs against the simulated vial (hardware/sim).
import assert from 'node:assert/strict';
import { VirtualClock } from '../../shared/clock.js';
import { SimVial } from '../../hardware/sim/vial.js';
import { applyDose } from '../../leader/automations/base.js';
import { chemostat } from '../../leader/automations/chemostat.js';
import { fedBatch } from '../../leader/automations/fed_batch.js';
import { pidMorbidostat, PidMorbidostat } from '../../leader/automations/pid_morbidostat.js';
import { silent } from '../../leader/automations/silent.js';
import { turbidostat } from '../../leader/automations/turbidostat.js';
import { make, NominalPumps, recordingHost, settle, SimPumpExecutor } from './helpers.js';

const NO_PAUSE = { pauseBetweenSubdosesS: 0 };

describe('dosing framework: execute_io_action', () => {
  it('splits 1.25/0.01/1.26 in halves and ends at alt fraction 0.0006688099108144436 (known answer)', async () => {
    const clock = new VirtualClock();
    const pumps = new NominalPumps();
    const host = recordingHost(clock, pumps);
    const a = make(silent, host, {}, { limits: NO_PAUSE, vial: { current_volume_ml: 14, efflux_tube_volume_ml: 14, alt_media_fraction: 0 } });
    a.start();
    const moved = await settle(clock, a.executeIoAction([['media', 1.25], ['alt_media', 0.01]], 1.26));
    assert.deepEqual({ m: moved.media_ml, a: moved.alt_media_ml, w: moved.waste_ml }, { m: 1.25, a: 0.01, w: 1.26 });
    assert.equal(a.vial.alt_media_fraction, 0.0006688099108144436);
    assert.equal(a.vial.current_volume_ml, 14);
    assert.deepEqual(
      pumps.doses.map((d) => `${d.pump}:${d.ml}`),
      ['media:0.625', 'alt_media:0.005', 'waste:0.63', 'waste:1.26', 'media:0.625', 'alt_media:0.005', 'waste:0.63', 'waste:1.26'],
    );
    const events = host.published.filter(([k]) => k === 'latest_event').map(([, v]) => (v as { event_name: string }).event_name);
    assert.deepEqual(events, ['DosingStarted', 'DosingStopped'], 'DosingStarted/Stopped only at the top level');
  });

  it('overflow: V = max - 0.7, media 0.4 + alt 0.4 -> only media pumped, sleeping, pumps stopped', async () => {
    const clock = new VirtualClock();
    const pumps = new NominalPumps();
    const host = recordingHost(clock, pumps);
    const a = make(silent, host, {}, { limits: NO_PAUSE, vial: { current_volume_ml: 36 - 0.7, efflux_tube_volume_ml: 14 } });
    a.start();
    const moved = await settle(clock, a.executeIoAction([['media', 0.4], ['alt_media', 0.4]], 0.8));
    assert.deepEqual([moved.media_ml, moved.alt_media_ml, moved.waste_ml], [0.4, 0, 0]);
    assert.equal(a.state, 'sleeping');
    assert.equal(host.pumpsStopped, 1);
    assert.deepEqual(pumps.doses, [{ pump: 'media', ml: 0.4 }]);
    assert.ok(host.logs.some(([l, m]) => l === 'error' && /max fill/.test(m)));
  });

  it('refuses waste below the volume added', async () => {
    const a = make(silent, recordingHost(new VirtualClock(), new NominalPumps()), {});
    a.start();
    await assert.rejects(a.executeIoAction([['media', 1]], 0.5), /waste/);
  });

  it('bookkeeping matches the §6.2 vectors', () => {
    let s = { current_volume_ml: 0, alt_media_fraction: 0, efflux_tube_volume_ml: 14 };
    const vols: number[] = [];
    const fr: number[] = [];
    const seq: Array<['add_media' | 'add_alt_media' | 'remove_waste', number]> = [
      ['add_media', 6], ['remove_waste', 2], ['add_alt_media', 6], ['add_alt_media', 3], ['remove_waste', 3], ['add_alt_media', 2], ['remove_waste', 1], ['remove_waste', 10],
    ];
    for (const [e, v] of seq) {
      s = applyDose(s, e, v);
      vols.push(s.current_volume_ml);
      fr.push(s.alt_media_fraction);
    }
    assert.deepEqual(vols, [6, 6, 12, 15, 14, 16, 15, 14]);
    assert.deepEqual(fr.slice(0, 4), [0, 0, 0.5, 0.6]);
  });

  it('an unconfirmed pump step pauses the automation and logs an error; nothing after it runs', async () => {
    const clock = new VirtualClock();
    const vial = new SimVial({ clock, seed: 3 });
    const pumps = new SimPumpExecutor(vial, clock, { unconfirmed: (p) => p === 'waste' });
    const host = recordingHost(clock, pumps);
    const a = make(chemostat, host, { exchange_volume_ml: 0.5, duration: 20 }, { vial: { current_volume_ml: 15, efflux_tube_volume_ml: 15 } });
    a.start();
    await clock.advanceAsync(3 * 3600_000);
    assert.equal(a.state, 'sleeping');
    assert.equal(pumps.doses.length, 1, 'one media dose, then the waste step failed and nothing else ran');
    assert.ok(host.logs.some(([l, m]) => l === 'error' && /not confirmed/.test(m)));
    assert.ok(vial.state().volumeMl <= 36);
  });
});

describe('turbidostat', () => {
  it('keeps normalised OD within [target x (1 - 1.5 x exchange/V), 1.05 x target] for a simulated week', async function () {
    this.timeout(300_000);
    const clock = new VirtualClock();
    const vial = new SimVial({ clock, seed: 7, unit: 'u1', initialVolumeMl: 15, effluxVolumeMl: 15 });
    const pumps = new SimPumpExecutor(vial, clock);
    const host = recordingHost(clock, pumps);
    const target = 6;
    const exchange = 1;
    const a = make(turbidostat, host, { target_biomass: target, exchange_volume_ml: exchange }, { vial: { current_volume_ml: 15, efflux_tube_volume_ml: 15 } });
    a.start();
    const od0 = vial.state().od;
    let lo = Infinity;
    let hi = -Infinity;
    let started = false;
    const week = 7 * 24 * 720;
    for (let i = 0; i < week; i++) {
      await clock.advanceAsync(5000);
      const nod = vial.state().od / od0;
      if (!started && pumps.doses.length > 0) started = true;
      if (started) {
        lo = Math.min(lo, nod);
        hi = Math.max(hi, nod);
      }
      a.feedNormalizedOd(nod);
    }
    assert.ok(started, 'it diluted');
    const dilutions = pumps.doses.filter((d) => d.pump === 'media').length;
    assert.ok(dilutions > 500, `many dilutions in a week (${dilutions})`);
    assert.ok(lo >= target * (1 - (1.5 * exchange) / 15), `min nOD ${lo}`);
    assert.ok(hi <= 1.05 * target, `max nOD ${hi}`);
    assert.ok(vial.state().volumeMl <= 36 && !vial.state().overflowed);
    assert.equal(a.state, 'ready');
  });

  it('is event-driven, settles 30 s after a dilution, and only doses at or above target', async () => {
    const clock = new VirtualClock();
    const pumps = new NominalPumps();
    const host = recordingHost(clock, pumps);
    const a = make(turbidostat, host, { target_biomass: 1.5 }, { limits: NO_PAUSE, vial: { current_volume_ml: 14, efflux_tube_volume_ml: 14 } });
    a.start();
    a.feedNormalizedOd(1.4);
    await clock.advanceAsync(1000);
    assert.equal(pumps.doses.length, 0);
    a.feedNormalizedOd(1.6);
    await clock.advanceAsync(1000);
    assert.deepEqual(pumps.doses.map((d) => d.pump), ['media', 'waste', 'waste']);
    a.feedNormalizedOd(1.7); // within 30 s: settling
    await clock.advanceAsync(1000);
    assert.equal(pumps.doses.length, 3);
    await clock.advanceAsync(30_000);
    a.feedNormalizedOd(1.7);
    await clock.advanceAsync(1000);
    assert.equal(pumps.doses.length, 6);
    const ev = a.latestEvent!;
    assert.equal(ev.event_name, 'DilutionEvent');
    assert.equal(ev.data?.resolved_biomass_signal, 'normalized_od');
    assert.equal(ev.data?.volume_actually_moved_ml, 1);
  });

  it('never exceeds max fill when waste removal fails (waste pump dead, and pump_clogged)', async function () {
    this.timeout(120_000);
    for (const mode of ['waste_dead', 'pump_clogged'] as const) {
      const clock = new VirtualClock();
      const vial = new SimVial({ clock, seed: 11, initialVolumeMl: 15, effluxVolumeMl: 15 });
      if (mode === 'pump_clogged') vial.injectFault('pump_clogged');
      const pumps = new SimPumpExecutor(vial, clock, { wasteBroken: mode === 'waste_dead' });
      const host = recordingHost(clock, pumps);
      const a = make(turbidostat, host, { target_biomass: 0.5, exchange_volume_ml: 1 }, { vial: { current_volume_ml: 15, efflux_tube_volume_ml: 15 } });
      a.start();
      let maxV = 0;
      for (let i = 0; i < 2 * 720; i++) {
        await clock.advanceAsync(5000);
        a.feedNormalizedOd(1); // always above target: it wants to dilute all the time
        maxV = Math.max(maxV, vial.state().volumeMl);
      }
      assert.ok(maxV < 36, `${mode}: max volume ${maxV}`);
      assert.ok(!vial.state().overflowed);
      if (mode === 'waste_dead') {
        assert.equal(a.state, 'sleeping', 'it stopped itself before the max fill');
        assert.ok(host.logs.some(([l, m]) => l === 'warning' && /under-removed/.test(m)));
      }
    }
  });
});

describe('chemostat', () => {
  it('dilution rate matches exchange_volume_ml / (V x duration) within 2 %', async function () {
    this.timeout(60_000);
    const clock = new VirtualClock();
    const vial = new SimVial({ clock, seed: 5, initialVolumeMl: 15, effluxVolumeMl: 15 });
    const pumps = new SimPumpExecutor(vial, clock);
    const a = make(chemostat, recordingHost(clock, pumps), { exchange_volume_ml: 0.5, duration: 20 }, { vial: { current_volume_ml: 15, efflux_tube_volume_ml: 15 } });
    a.start();
    await clock.advanceAsync(3600_000 + 10_000);
    const m0 = vial.state().mediaAddedMl;
    for (let h = 0; h < 24; h++) await clock.advanceAsync(3600_000);
    const m1 = vial.state().mediaAddedMl;
    const D = (m1 - m0) / 24 / 15;
    const expected = 0.5 / 15 / (20 / 60);
    assert.ok(Math.abs(D - expected) / expected < 0.02, `D = ${D} vs ${expected}`);
    assert.ok(Math.abs(vial.state().volumeMl - 15) < 1e-6, 'waste brings it back to the efflux tube');
  });

  it('keeps its phase across a restart and never repeats the cycle already run', async () => {
    const clock = new VirtualClock();
    const pumps = new NominalPumps();
    const a = make(chemostat, recordingHost(clock, pumps), { duration: 20 }, { limits: NO_PAUSE });
    a.start();
    await clock.advanceAsync(10_000); // first run at 2 s
    assert.equal(pumps.doses.filter((d) => d.pump === 'media').length, 1);
    const last = a.lastRunAt;
    a.stop();
    const b = make(chemostat, recordingHost(clock, pumps), { duration: 20 }, { limits: NO_PAUSE, lastRunAt: last });
    b.start();
    await clock.advanceAsync(60_000);
    assert.equal(pumps.doses.filter((d) => d.pump === 'media').length, 1, 'no dose at the restart');
    await clock.advanceAsync(20 * 60_000);
    assert.equal(pumps.doses.filter((d) => d.pump === 'media').length, 2, 'the next one at the old phase');
  });

  it('set duration reschedules; pausing skips runs', async () => {
    const clock = new VirtualClock();
    const pumps = new NominalPumps();
    const a = make(chemostat, recordingHost(clock, pumps), { duration: 20 }, { limits: NO_PAUSE });
    a.start();
    await clock.advanceAsync(5000);
    a.setState('sleeping');
    await clock.advanceAsync(60 * 60_000);
    assert.equal(pumps.doses.filter((d) => d.pump === 'media').length, 1);
    a.setState('ready');
    a.setSetting('duration', '5');
    await clock.advanceAsync(5 * 60_000);
    assert.ok(pumps.doses.filter((d) => d.pump === 'media').length >= 2);
    assert.throws(() => a.setSetting('duration', 'abc'), /number/);
    assert.throws(() => a.setSetting('automation_name', 'x'), /settable/);
  });
});

describe('pid_morbidostat', () => {
  const vial = { current_volume_ml: 14, efflux_tube_volume_ml: 14 };
  it('X = round(target_gr x V x duration/60, 4): 0.09, 14 mL, 60 min -> 1.26 mL', () => {
    const a = make(pidMorbidostat, recordingHost(new VirtualClock(), new NominalPumps()), { target_growth_rate: 0.09, target_normalized_od: 1, duration: 60 }, { vial });
    assert.equal((a as PidMorbidostat).volumeToCycle, 1.26);
  });

  it('decision table: od 0.5 -> NoEvent; od 0.95 -> AddAltMediaEvent (frac 0: all media); above 1.25 x target -> 2.5 X', async () => {
    const clock = new VirtualClock();
    const pumps = new NominalPumps();
    const a = make(pidMorbidostat, recordingHost(clock, pumps), { target_growth_rate: 0.09, target_normalized_od: 1.0, duration: 60 }, { limits: NO_PAUSE, vial });
    a.start();
    a.feedGrowthRate(0.08);
    a.feedNormalizedOd(0.5);
    let ev = await settle(clock, a.runOnce());
    assert.equal(ev?.event_name, 'NoEvent');
    assert.match(ev!.message!, /latest OD less than OD to start diluting/);
    assert.equal(pumps.doses.length, 0);
    a.feedNormalizedOd(0.95);
    ev = await settle(clock, a.runOnce());
    assert.equal(ev?.event_name, 'AddAltMediaEvent');
    assert.deepEqual(ev!.data, { fraction_of_alt_media_to_add: 0, alt_media_ml: 0, media_ml: 1.26 });
    assert.deepEqual(pumps.doses.map((d) => `${d.pump}:${d.ml}`), ['media:0.63', 'waste:0.63', 'waste:1.26', 'media:0.63', 'waste:0.63', 'waste:1.26']);
    // growth above target: the negated PID gives alt media
    pumps.doses.length = 0;
    a.feedGrowthRate(0.5);
    a.feedNormalizedOd(1.3);
    ev = await settle(clock, a.runOnce());
    const frac = ev!.data!.fraction_of_alt_media_to_add as number;
    assert.ok(Math.abs(frac - 0.41) < 1e-12, String(frac));
    const vol = 2.5 * 1.26;
    assert.ok(Math.abs((ev!.data!.alt_media_ml as number) - frac * vol) < 1e-9);
    assert.ok(Math.abs((ev!.data!.media_ml as number) - (1 - frac) * vol) < 1e-9);
  });

  it('a missing input gives a warning and ErrorOccurred', async () => {
    const clock = new VirtualClock();
    const host = recordingHost(clock, new NominalPumps());
    const a = make(pidMorbidostat, host, { target_growth_rate: 0.09, target_normalized_od: 1.0 }, { vial });
    a.start();
    const ev = await settle(clock, a.runOnce());
    assert.equal(ev?.event_name, 'ErrorOccurred');
    assert.ok(host.logs.some(([l]) => l === 'warning'));
  });
});

describe('fed_batch', () => {
  it('adds media each run; skips with an error and sleeps when the dose would reach max fill', async () => {
    const clock = new VirtualClock();
    const pumps = new NominalPumps();
    const host = recordingHost(clock, pumps);
    const a = make(fedBatch, host, { dosing_volume_ml: 1, duration: 60 }, { limits: NO_PAUSE, vial: { current_volume_ml: 33.5, efflux_tube_volume_ml: 14 } });
    a.start();
    assert.ok(host.logs.some(([l]) => l === 'warning'), 'warns that nothing is removed');
    await clock.advanceAsync(5000);
    assert.equal(a.latestEvent?.event_name, 'AddMediaEvent');
    assert.equal(a.latestEvent?.message, 'Added 1 mL');
    assert.equal(a.vial.current_volume_ml, 34.5);
    await clock.advanceAsync(60 * 60_000); // 34.5 + 1 < 36: one more
    assert.equal(a.vial.current_volume_ml, 35.5);
    await clock.advanceAsync(60 * 60_000); // 35.5 + 1 >= 36: skipped
    assert.equal(a.latestEvent?.event_name, 'NoEvent');
    assert.equal(a.latestEvent?.message, 'Skipped dosing to avoid overflow.');
    assert.equal(a.state, 'sleeping');
    assert.deepEqual(pumps.doses, [{ pump: 'media', ml: 1 }, { pump: 'media', ml: 1 }]);
  });
});
