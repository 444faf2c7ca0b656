// Timestamps: write RFC 3339 UTC with milliseconds and Z; read 0, 3 or 6 fractional digits (pioreactor-mqtt.md §3, item 12).
import assert from 'node:assert/strict';
import { formatTimestamp, normaliseTimestamp, parseTimestamp } from '../../shared/timestamps.js';

describe('timestamps', () => {
  it('writes milliseconds and Z', () => {
    assert.equal(formatTimestamp(Date.UTC(2026, 10, 24, 8, 18, 24, 211)), '2026-11-24T08:18:24.211Z');
    assert.equal(formatTimestamp(Date.UTC(2026, 10, 24, 8, 18, 24)), '2026-11-24T08:18:24.000Z');
  });

  it('reads 0, 3 and 6 fractional digits to the same instant', () => {
    const ms = Date.UTC(2026, 10, 24, 8, 18, 24, 211);
    assert.equal(parseTimestamp('2026-11-24T08:18:24.211Z'), ms);
    assert.equal(parseTimestamp('2026-11-24T08:18:24.211000Z'), ms);
    assert.equal(parseTimestamp('2026-11-24T08:18:24Z'), ms - 211);
    assert.equal(normaliseTimestamp('2026-11-24T08:18:24.211000Z'), '2026-11-24T08:18:24.211Z');
  });

  it('rounds six digits to the millisecond, as msgspec does', () => {
    assert.equal(normaliseTimestamp('2026-11-24T08:18:24.211600Z'), '2026-11-24T08:18:24.212Z');
  });

  it('accepts an explicit offset and normalises it to Z', () => {
    assert.equal(normaliseTimestamp('2026-11-24T09:18:24.211+01:00'), '2026-11-24T08:18:24.211Z');
  });

  it('rejects other shapes', () => {
    for (const bad of ['2026-11-24 08:18:24Z', '2026-11-24T08:18:24.21Z', '2026-11-24T08:18:24', '2026-02-30T00:00:00Z', 'yesterday', '']) {
      assert.throws(() => parseTimestamp(bad), RangeError, bad);
    }
  });
});
