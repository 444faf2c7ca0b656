import assert from 'node:assert/strict';
import { PicoAdc, PicoLedDriver, picoDacBytes, picoRawToVolts, picoScale } from '../../hardware/drivers/pico.js';
import { RecordingI2cBus } from './fakes.js';

describe('hardware: Pico HAT ADC/DAC (0x2C)', () => {
  it('scale is 32 for firmware >= 0.4, else 16; V = raw/4095/s*3.3 (reference §1)', () => {
    assert.equal(picoScale([0, 4]), 32);
    assert.equal(picoScale([1, 0]), 32);
    assert.equal(picoScale([0, 3]), 16);
    assert.equal(picoRawToVolts(4095 * 32, 32), 3.3);
    assert.equal(picoRawToVolts(4095 * 16, 16), 3.3);
    assert.ok(Math.abs(picoRawToVolts(4095 * 8, 32) - 0.825) < 1e-12);
  });

  it('reads the firmware at 0x08, then pd channel n from register pointer channel+4', async () => {
    const bus = new RecordingI2cBus()
      .reply(0x2c, 0x08, [4, 0]) // firmware 0.4 -> scale 32
      .reply(0x2c, 2 + 4, [0x00, 0x20]) // pd1 = ADC ch2, raw 8192 little-endian
      .reply(0x2c, 3 + 4, [0x00, 0x10]); // pd2 = ADC ch3, raw 4096
    const adc = await PicoAdc.open(bus);
    assert.equal(adc.hasGain, false);
    assert.equal(await adc.readVolts(1), (8192 / 4095 / 32) * 3.3);
    assert.equal(await adc.readVolts(2), (4096 / 4095 / 32) * 3.3);
    assert.deepEqual(
      bus.ops.map((o) => (o as { register: number }).register),
      [0x08, 6, 7],
    );
    await assert.rejects(adc.readVolts(3), /not wired/);
  });

  it('aux = ADC ch1 (register 5) divided by 0.134', async () => {
    const bus = new RecordingI2cBus().reply(0x2c, 5, [0x00, 0x80]); // raw 32768
    const adc = new PicoAdc(bus, 32);
    assert.ok(Math.abs((await adc.readAuxVolts()) - (32768 / 4095 / 32) * 3.3 / 0.134) < 1e-12);
  });

  it('DAC writes the raw bytes [channel, round(I/100*255)] with no register', async () => {
    assert.deepEqual(picoDacBytes('A', 80), [0, 204]);
    assert.deepEqual(picoDacBytes('D', 100), [3, 255]);
    assert.deepEqual(picoDacBytes('B', 50), [1, 128]); // 127.5 rounds up
    const bus = new RecordingI2cBus();
    const leds = new PicoLedDriver(bus);
    await leds.set('C', 0);
    await leds.set('A', 12.5);
    assert.deepEqual(bus.ops, [
      { op: 'write', addr: 0x2c, bytes: [2, 0] },
      { op: 'write', addr: 0x2c, bytes: [0, 32] },
    ]);
    assert.deepEqual(leds.all(), { A: 12.5, B: 0, C: 0, D: 0 });
  });
});
