import assert from 'node:assert/strict';
import { Tmp1075, tmp1075BytesToCelsius } from '../../hardware/drivers/tmp1075.js';
import { RecordingI2cBus } from './fakes.js';

describe('hardware: TMP1075', () => {
  it('converts bytes with T = ((b0<<4) + (b1>>4)) * 0.0625 (reference §1)', () => {
    // Datasheet table: 0x1900 -> 25 C, 0x7FF0 -> 127.9375 C, 0x0010 -> 0.0625 C.
    assert.equal(tmp1075BytesToCelsius(0x19, 0x00), 25);
    assert.equal(tmp1075BytesToCelsius(0x7f, 0xf0), 127.9375);
    assert.equal(tmp1075BytesToCelsius(0x00, 0x10), 0.0625);
    // 37.5 C = 600 counts = 0x258 -> bytes 0x25, 0x80; the low nibble of b1 is ignored.
    assert.equal(tmp1075BytesToCelsius(0x25, 0x8f), 37.5);
  });

  it('honours the two’s complement sign bit (datasheet: 0xE700 -> -25 C), which Pioreactor ignores', () => {
    assert.equal(tmp1075BytesToCelsius(0xe7, 0x00), -25);
    assert.equal(tmp1075BytesToCelsius(0xff, 0xf0), -0.0625);
  });

  it('reads 2 bytes from register 0x00 at 0x4F', async () => {
    const bus = new RecordingI2cBus().reply(0x4f, 0x00, [0x1e, 0x40]);
    assert.equal(await new Tmp1075(bus).readCelsius(), 30.25);
    assert.deepEqual(bus.ops, [{ op: 'readBytes', addr: 0x4f, register: 0x00, length: 2 }]);
  });
});
