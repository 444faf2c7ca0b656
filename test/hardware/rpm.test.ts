import assert from 'node:assert/strict';
import { VirtualClock } from '../../shared/clock.js';
import { HallRpmCounter, rpmFromIntervals } from '../../hardware/drivers/rpm.js';
import { SimGpio } from '../../hardware/sim/devices.js';

describe('hardware: hall-sensor RPM', () => {
  it('RPM = intervals*60/sum(intervals), rounded to 0.1; 0 with no interval (RpmFromFrequency)', () => {
    assert.equal(rpmFromIntervals([]), 0);
    assert.equal(rpmFromIntervals([0.12, 0.12, 0.12]), 500);
    assert.equal(rpmFromIntervals([0.1, 0.13]), 521.7);
  });

  it('counts falling edges during the window on the clock, then stops watching', async () => {
    const clock = new VirtualClock();
    const gpio = new SimGpio(clock);
    const counter = new HallRpmCounter(gpio, 21, clock);
    // A 10 Hz square wave on the hall pin: 600 RPM.
    clock.setInterval(() => void gpio.write(21, 1), 100);
    clock.advance(50);
    clock.setInterval(() => void gpio.write(21, 0), 100);
    const p = counter.measure(1.2);
    await clock.advanceAsync(1200);
    assert.equal(await p, 600);
  });
});
