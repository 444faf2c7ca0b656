// The setting-value codec as Pioreactor writes it (pioreactor-mqtt.md §0, §1.4 and checklist item 10).
import assert from 'node:assert/strict';
import { decodeValue, encodeValue, parseBoolean, pythonFloat } from '../../shared/codec.js';

describe('setting-value codec', () => {
  it('writes floats as Python str() does', () => {
    const cases: Array<[number, string]> = [
      [500, '500.0'],
      [0.1, '0.1'],
      [35, '35.0'],
      [-2.5, '-2.5'],
      [1e-5, '1e-05'],
      [0.0001, '0.0001'],
      [123456.789, '123456.789'],
      [1e16, '1e+16'],
      [1.5e16, '1.5e+16'],
      [9999999999999998, '9999999999999998.0'],
      [0, '0.0'],
      [Infinity, 'inf'],
      [NaN, 'nan'],
    ];
    for (const [x, s] of cases) assert.equal(pythonFloat(x), s, `str(${x})`);
    assert.equal(encodeValue(500, 'float'), '500.0');
  });

  it('writes booleans as True/False and integers as digits', () => {
    assert.equal(encodeValue(true, 'boolean'), 'True');
    assert.equal(encodeValue(false, 'boolean'), 'False');
    assert.equal(encodeValue(7, 'integer'), '7');
    assert.throws(() => encodeValue(7.5, 'integer'), /not an integer/);
  });

  it('accepts the boolean inputs of the reference, case-insensitively, and nothing else as true', () => {
    for (const t of ['true', '1', 'y', 'on', 'yes', 't', 'TRUE', 'Yes', 'T', 'True']) assert.equal(parseBoolean(t), true, t);
    for (const f of ['false', '0', 'no', 'off', 'False', 'nope', '2']) assert.equal(parseBoolean(f), false, f);
  });

  it('maps null to the empty payload and back', () => {
    assert.equal(encodeValue(null, 'float'), '');
    assert.equal(decodeValue('', 'float'), null);
    assert.equal(decodeValue(new Uint8Array(0), 'json'), null);
  });

  it('writes JSON compactly and decodes each datatype', () => {
    assert.equal(encodeValue({ a: 1, b: [1, 2] }, 'json'), '{"a":1,"b":[1,2]}');
    assert.deepEqual(decodeValue('{"a":1}', 'json'), { a: 1 });
    assert.equal(decodeValue('500.0', 'float'), 500);
    assert.equal(decodeValue('12', 'integer'), 12);
    assert.equal(decodeValue('abc', 'string'), 'abc');
    assert.equal(decodeValue(Buffer.from('on'), 'boolean'), true);
  });

  it('rejects payloads that do not cast, with a reason', () => {
    assert.throws(() => decodeValue('fast', 'float'), /could not convert "fast" to float/);
    assert.throws(() => decodeValue('1.5', 'integer'), /to integer/);
    assert.throws(() => decodeValue('{', 'json'), /invalid JSON/);
  });
});
