import assert from 'node:assert/strict';
import { VirtualClock } from '../../shared/clock.js';
import { Ads1115Adc } from '../../hardware/drivers/ads-adc.js';
import { ADS_FSR, Ads1x15, adsConfigWord, adsRawToVolts, chooseGain } from '../../hardware/drivers/ads1x15.js';
import { RecordingI2cBus } from './fakes.js';

describe('hardware: ADS1115 / ADS1114', () => {
  it('builds the config word from the datasheet bit fields (OS|MUX|PGA|MODE|DR=128|COMP off)', () => {
    // AIN0, gain 1 (PGA 001), single shot, 128 SPS: 0xC383 (the familiar Adafruit default word).
    assert.equal(adsConfigWord(0, 1, true), 0xc383);
    // AIN1 (MUX 101), gain 2/3 (PGA 000): 0xD183.
    assert.equal(adsConfigWord(1, 2 / 3, true), 0xd183);
    // AIN3 (MUX 111), gain 16 (PGA 101): 0xFB83.
    assert.equal(adsConfigWord(3, 16, true), 0xfb83);
    // Continuous (ADS1114): OS 0 and MODE 0, AIN0, gain 1: 0x4283.
    assert.equal(adsConfigWord(0, 1, false), 0x4283);
  });

  it('converts raw counts with V = raw/32767 * FSR at every gain (reference §1)', () => {
    const expected: [number, number][] = [[2 / 3, 6.144], [1, 4.096], [2, 2.048], [4, 1.024], [8, 0.512], [16, 0.256]];
    assert.deepEqual(ADS_FSR.map(([g, f]) => [g, f]), expected);
    for (const [gain, fsr] of expected) {
      assert.equal(adsRawToVolts(32767, gain), fsr);
      assert.ok(Math.abs(adsRawToVolts(16384, gain) - (16384 / 32767) * fsr) < 1e-12);
    }
    assert.ok(Math.abs(adsRawToVolts(8000, 1) - 1.000030518509476) < 1e-12);
  });

  it('auto-gain picks the first window with 0.85*lb <= v < 0.85*ub (check_on_gain, tol 0.85)', () => {
    assert.equal(chooseGain(5.0), 2 / 3); // 3.4816 <= 5 < 5.2224
    assert.equal(chooseGain(3.0), 1); // below 0.85*4.096 = 3.4816
    assert.equal(chooseGain(3.4816), 2 / 3); // the window's lower bound is inclusive
    assert.equal(chooseGain(1.5), 2);
    assert.equal(chooseGain(0.6), 4);
    assert.equal(chooseGain(0.3), 8);
    assert.equal(chooseGain(0.2), 16); // 0.2 < 0.85*0.256 = 0.2176
    assert.equal(chooseGain(0), 16);
    assert.equal(chooseGain(6.0), 2 / 3); // above every window: the widest range
  });

  it('single shot: writes the config MSB first to register 0x01, polls OS, reads signed 0x00', async () => {
    const bus = new RecordingI2cBus().reply(0x48, 0x01, [0x80, 0x00]).reply(0x48, 0x00, [0x1f, 0x40]);
    const adc = new Ads1x15({ bus, address: 0x48, clock: new VirtualClock(), variant: 'ADS1115', gain: 2 });
    const v = await adc.readVolts(1);
    assert.deepEqual(bus.writes(), [{ op: 'writeBytes', addr: 0x48, register: 0x01, bytes: [0xd5, 0x83] }]);
    assert.deepEqual(
      bus.ops.filter((o) => o.op === 'readBytes').map((o) => (o as { register: number }).register),
      [0x01, 0x00],
    );
    assert.equal(v, (8000 / 32767) * 2.048);
    bus.reply(0x48, 0x00, [0xff, 0xfe]); // -2 in two's complement
    assert.equal(await adc.readRaw(1), -2);
  });

  it('the HAT <= 1.0 adapter maps pd1 -> AIN1, pd2 -> AIN0 and reads aux (AIN3) at gain 1', async () => {
    const bus = new RecordingI2cBus().reply(0x48, 0x01, [0x80, 0x00]).reply(0x48, 0x00, [0x00, 0x00]);
    const chip = new Ads1x15({ bus, address: 0x48, clock: new VirtualClock(), variant: 'ADS1115', gain: 4 });
    const adc = new Ads1115Adc(chip);
    await adc.readVolts(1);
    await adc.readVolts(2);
    await adc.readAuxVolts();
    const words = bus.writes().map((o) => ((o as { bytes: number[] }).bytes[0] << 8) | (o as { bytes: number[] }).bytes[1]);
    assert.deepEqual(words, [adsConfigWord(1, 4, true), adsConfigWord(0, 4, true), adsConfigWord(3, 1, true)]);
    assert.equal(adc.gain, 4, 'the OD gain is restored after the aux read');
  });

  it('ADS1114 runs continuous: configures once per gain and waits one 128 SPS period on the clock', async () => {
    const bus = new RecordingI2cBus().reply(0x49, 0x00, [0x10, 0x00]);
    const clock = new VirtualClock();
    const adc = new Ads1x15({ bus, address: 0x49, clock, variant: 'ADS1114' });
    const p = adc.readRaw(0);
    await clock.advanceAsync(8);
    assert.equal(await p, 4096);
    const p2 = adc.readRaw(0);
    await clock.advanceAsync(8);
    await p2;
    assert.equal(bus.writes().length, 1, 'no reconfiguration when the gain is unchanged');
    assert.deepEqual(bus.writes()[0], { op: 'writeBytes', addr: 0x49, register: 0x01, bytes: [0x42, 0x83] });
  });

  it('refuses gains the chip does not have', () => {
    assert.throws(() => adsConfigWord(0, 3, true), /gain 3/);
  });
});
