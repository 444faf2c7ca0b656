import assert from 'node:assert/strict';
import { VirtualClock } from '../../shared/clock.js';
import { loadConfig } from '../../shared/config/index.js';
import { createBackend, isSimBackend, type SimBackend } from '../../hardware/index.js';
import { SimVial } from '../../hardware/sim/vial.js';

const HOUR = 3_600_000;

async function simBackend(clock: VirtualClock, seed = 1, speed = 1, unit?: string): Promise<SimBackend> {
  const b = await createBackend({ backend: 'sim', config: loadConfig(), clock, seed, speed, unit });
  assert.ok(isSimBackend(b));
  return b;
}

describe('hardware: sim backend', () => {
  it('is deterministic for a seed, however often it is read; units and seeds differ', async () => {
    const run = async (pollEveryMs: number, seed = 1, unit?: string) => {
      const clock = new VirtualClock();
      const b = await simBackend(clock, seed, 1, unit);
      await b.leds.set('A', 80);
      await b.pwmFor('heating')!.setDutyCycle(20);
      await b.pwmFor('stirring')!.setDutyCycle(30);
      const end = clock.now() + 10 * HOUR;
      while (clock.now() + pollEveryMs <= end) {
        clock.advance(pollEveryMs);
        await b.adc.readVolts(2);
      }
      clock.advance(end - clock.now());
      return { s: b.sim.state(), od: await b.adc.readVolts(2), plate: await b.temperature.readCelsius() };
    };
    const a = await run(60_000);
    const b = await run(7_000 + 0.5); // odd polling, off the 1 s grid
    const a2 = await run(60_000);
    assert.deepEqual(a, a2);
    assert.equal(a.s.biomass, b.s.biomass);
    assert.equal(a.s.liquidC, b.s.liquidC);
    assert.notEqual((await run(60_000, 2)).s.biomass, a.s.biomass);
    assert.notEqual((await run(60_000, 1, 'unit2')).s.biomass, a.s.biomass);
  });

  it('heater unplugged: the plate stays at ambient', async () => {
    const clock = new VirtualClock();
    const b = await simBackend(clock);
    b.sim.injectFault('heater_unplugged');
    await b.pwmFor('heating')!.setDutyCycle(50);
    clock.advance(HOUR);
    assert.ok(Math.abs((await b.temperature.readCelsius()) - b.sim.params.thermal.ambientC) < 0.2);
    b.sim.clearFault('heater_unplugged');
    clock.advance(HOUR);
    assert.ok((await b.temperature.readCelsius()) > b.sim.params.thermal.ambientC + 10);
  });

  it('motor stuck: rpm 0 at any duty', async () => {
    const clock = new VirtualClock();
    const b = await simBackend(clock);
    await b.pwmFor('stirring')!.setDutyCycle(40);
    let p = b.rpm.measure(2);
    await clock.advanceAsync(2000);
    assert.ok((await p) > 300);
    b.sim.injectFault('motor_stuck');
    await b.pwmFor('stirring')!.setDutyCycle(100);
    p = b.rpm.measure(2);
    await clock.advanceAsync(2000);
    assert.equal(await p, 0);
  });

  it('LED dead: the 90-degree photodiode reads only the dark offset; photodiode disconnected: 0 V', async () => {
    const clock = new VirtualClock();
    const b = await simBackend(clock);
    await b.leds.set('A', 80);
    clock.advance(1000);
    const lit = await b.adc.readVolts(2);
    b.sim.injectFault('led_dead');
    const dark = await b.adc.readVolts(2);
    assert.ok(lit > 0.015, `lit ${lit}`);
    assert.ok(dark < 0.004, `dark ${dark}`);
    assert.ok(Math.abs(dark - b.sim.params.optics.dark) < 0.0015);
    b.sim.clearFault('led_dead');
    b.sim.injectFault('photodiode_disconnected');
    assert.equal(await b.adc.readVolts(2), 0);
  });

  it('REF reads ~constant x IR intensity; the signal scales with IR too', async () => {
    const clock = new VirtualClock();
    const b = await simBackend(clock);
    await b.leds.set('A', 40);
    const ref40 = await b.adc.readVolts(1);
    const sig40 = await b.adc.readVolts(2);
    await b.leds.set('A', 80);
    const ref80 = await b.adc.readVolts(1);
    const sig80 = await b.adc.readVolts(2);
    assert.ok(Math.abs(ref80 / ref40 - 2) < 0.05);
    assert.ok(Math.abs(sig80 / sig40 - 2) < 0.15);
  });

  it('pumps move volume (media in, waste down to the efflux tube), track alt-media and overflow', async () => {
    const clock = new VirtualClock();
    const b = await simBackend(clock);
    const rates = b.sim.pumpRates;
    assert.ok(rates.media > 0.3 && rates.media < 1);
    await b.pwmFor('media')!.setDutyCycle(100);
    clock.advance(2500); // 2.5 s: the step containing the 0.5 s remainder is not integrated yet
    await b.pwmFor('media')!.off();
    clock.advance(1000);
    let s = b.sim.state();
    assert.ok(Math.abs(s.volumeMl - (15 + rates.media * 2.5)) < 1e-9, `volume ${s.volumeMl}`);
    assert.ok(Math.abs(s.mediaAddedMl - rates.media * 2.5) < 1e-9);
    await b.pwmFor('alt_media')!.setDutyCycle(100);
    clock.advance(4000);
    await b.pwmFor('alt_media')!.off();
    clock.advance(1000);
    s = b.sim.state();
    const alt = rates.alt_media * 4;
    assert.ok(Math.abs(s.altMediaFraction - alt / s.volumeMl) < 1e-9);
    await b.pwmFor('waste')!.setDutyCycle(100);
    clock.advance(60_000);
    s = b.sim.state();
    assert.ok(Math.abs(s.volumeMl - 15) < 1e-9, 'waste stops at the efflux tube');
    assert.ok(s.wasteRemovedMl > 0);
    await b.pwmFor('waste')!.off();
    await b.pwmFor('media')!.setDutyCycle(100);
    clock.advance(120_000);
    s = b.sim.state();
    assert.equal(s.volumeMl, 40);
    assert.equal(s.overflowed, true);
  });

  it('pump clogged: no volume change', async () => {
    const clock = new VirtualClock();
    const b = await simBackend(clock);
    b.sim.injectFault('pump_clogged');
    await b.pwmFor('media')!.setDutyCycle(100);
    clock.advance(10_000);
    assert.equal(b.sim.state().volumeMl, 15);
  });

  it('speed scales growth but not heat', () => {
    const vial = (speed: number) => {
      const clock = new VirtualClock();
      const v = new SimVial({ clock, seed: 3, speed });
      v.setPwm('heating', 25);
      clock.advance(2 * HOUR);
      return v.state();
    };
    const slow = vial(1);
    const fast = vial(10);
    assert.ok(fast.biomass > 5 * slow.biomass, `${fast.biomass} vs ${slow.biomass}`);
    assert.equal(fast.plateC, slow.plateC);
    assert.equal(fast.liquidC, slow.liquidC);
  });

  it('allOff turns every PWM and LED off', async () => {
    const clock = new VirtualClock();
    const b = await simBackend(clock);
    await b.leds.set('A', 80);
    for (const p of b.allPwms()) await p.setDutyCycle(50);
    await b.allOff();
    assert.deepEqual(b.allPwms().map((p) => p.dutyCycle), [0, 0, 0, 0, 0]);
    assert.deepEqual(b.leds.all(), { A: 0, B: 0, C: 0, D: 0 });
    assert.equal(b.sim.pwm('heating'), 0);
  });
});
