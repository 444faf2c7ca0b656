import assert from 'node:assert/strict';
import { Dac43608LedDriver, dac43608DataBytes } from '../../hardware/drivers/dac43608.js';
import { RecordingI2cBus } from './fakes.js';

describe('hardware: DAC43608 LED driver (HAT <= 1.0)', () => {
  it('puts the 8-bit code in bits [11:4] of the data register, MSB first (datasheet)', () => {
    assert.deepEqual(dac43608DataBytes(100), [0x0f, 0xf0]);
    assert.deepEqual(dac43608DataBytes(80), [0x0c, 0xc0]); // code 204 = 0xCC
    assert.deepEqual(dac43608DataBytes(0), [0x00, 0x00]);
  });

  it('LED A..D are registers 8..11; the first use powers the channel up; 0 powers it down', async () => {
    const bus = new RecordingI2cBus();
    const leds = new Dac43608LedDriver(bus);
    await leds.set('A', 80);
    await leds.set('C', 50);
    await leds.set('A', 0);
    assert.deepEqual(bus.writes(), [
      { op: 'writeBytes', addr: 0x49, register: 0x08, bytes: [0x0c, 0xc0] },
      { op: 'writeBytes', addr: 0x49, register: 0x01, bytes: [0x00, 0xfe] },
      { op: 'writeBytes', addr: 0x49, register: 0x0a, bytes: [0x08, 0x00] },
      { op: 'writeBytes', addr: 0x49, register: 0x01, bytes: [0x00, 0xfa] },
      { op: 'writeBytes', addr: 0x49, register: 0x01, bytes: [0x00, 0xfb] },
    ]);
    assert.deepEqual(leds.all(), { A: 0, B: 0, C: 50, D: 0 });
  });
});
