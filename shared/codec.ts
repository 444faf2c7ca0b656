/**
 * The setting-value codec, as Pioreactor writes values on the wire (reference: pioreactor-mqtt.md §0 and §1.4).
 *
 * - float: Python's `str()` of a float, so `500.0`, `0.1`, `1e-05`, `1.5e+16`, `inf`, `nan`
 * - integer: plain digits
 * - boolean: `True` / `False`; accepted on input as any of `true,1,y,on,yes,t` (any case), else false
 * - string: raw text
 * - json: compact JSON
 * - null: a zero-length payload (which, retained, deletes the retained message)
 */

export type Datatype = 'float' | 'integer' | 'boolean' | 'string' | 'json';

const TRUTHY = new Set(['true', '1', 'y', 'on', 'yes', 't']);

/** Python's repr/str of a float: shortest round-trip digits, scientific outside 1e-4 <= |x| < 1e16. */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expStr] = x.toExponential().split('e');
  const exp = Number(expStr);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const sign = neg ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intLen = exp + 1;
  if (digits.length <= intLen) return `${sign}${digits.padEnd(intLen, '0')}.0`;
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

/** Parse a boolean as Pioreactor's `/set` handler does. */
export function parseBoolean(text: string): boolean {
  return TRUTHY.has(text.trim().toLowerCase());
}

/** Encode a value for the wire. `null`/`undefined` become the empty payload. */
export function encodeValue(value: unknown, datatype: Datatype): string {
  if (value === null || value === undefined) return '';
  switch (datatype) {
    case 'float': {
      const n = typeof value === 'number' ? value : Number(value);
      if (typeof value !== 'number' && Number.isNaN(n)) throw new TypeError(`not a float: ${String(value)}`);
      return pythonFloat(n);
    }
    case 'integer': {
      const n = typeof value === 'number' ? value : Number(value);
      if (!Number.isInteger(n)) throw new TypeError(`not an integer: ${String(value)}`);
      return String(n);
    }
    case 'boolean':
      return (typeof value === 'boolean' ? value : parseBoolean(String(value))) ? 'True' : 'False';
    case 'string':
      return String(value);
    case 'json':
      return JSON.stringify(value);
  }
}

/** Decode a wire payload by datatype. The empty payload decodes to `null`. Throws a TypeError naming the problem. */
export function decodeValue(payload: string | Uint8Array, datatype: Datatype): unknown {
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  if (text.length === 0) return null;
  switch (datatype) {
    case 'string':
      return text;
    case 'boolean':
      return parseBoolean(text);
    case 'float': {
      const t = text.trim().toLowerCase();
      if (t === 'inf' || t === '+inf') return Infinity;
      if (t === '-inf') return -Infinity;
      if (t === 'nan') return NaN;
      const n = Number(t);
      if (t === '' || Number.isNaN(n)) throw new TypeError(`could not convert ${JSON.stringify(text)} to float`);
      return n;
    }
    case 'integer': {
      const t = text.trim();
      if (!/^[+-]?\d+$/.test(t)) throw new TypeError(`could not convert ${JSON.stringify(text)} to integer`);
      return Number(t);
    }
    case 'json':
      try {
        return JSON.parse(text);
      } catch (e) {
        throw new TypeError(`invalid JSON: ${(e as Error).message}`, { cause: e });
      }
  }
}
