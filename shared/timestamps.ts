/**
 * Timestamps on the wire and in the database.
 *
 * We always write RFC 3339 UTC with exactly three fractional digits and `Z`
 * (`2026-11-24T08:18:24.211Z`), which is what Pioreactor stores and what its UI's
 * log table parses. We read 0, 3 or 6 fractional digits (msgspec writes 6 and omits a
 * zero fraction), with `Z` or a `+00:00` offset.
 */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}|\d{6}))?(Z|[+-]\d{2}:\d{2})$/;

/** Format a Date or epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`. */
export function formatTimestamp(t: Date | number): string {
  const d = typeof t === 'number' ? new Date(t) : t;
  if (Number.isNaN(d.getTime())) throw new RangeError('formatTimestamp: invalid date');
  return d.toISOString();
}

/** Parse an RFC 3339 timestamp (0, 3 or 6 fractional digits) to epoch milliseconds. Throws on anything else. */
export function parseTimestamp(s: string): number {
  const m = RFC3339.exec(s);
  if (!m) throw new RangeError(`not an RFC 3339 timestamp with 0, 3 or 6 fractional digits: ${JSON.stringify(s)}`);
  const [, y, mo, d, h, mi, se, frac, zone] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(se) > 60) {
    throw new RangeError(`timestamp out of range: ${JSON.stringify(s)}`);
  }
  // Six digits are rounded to the millisecond, as msgspec does when it writes them.
  const micros = frac ? Number(frac.padEnd(6, '0')) : 0;
  let ms = Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(se)) + Math.round(micros / 1000);
  if (new Date(Date.UTC(Number(y), month - 1, day)).getUTCDate() !== day) {
    throw new RangeError(`no such day: ${JSON.stringify(s)}`);
  }
  if (zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const offsetMin = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6));
    ms -= sign * offsetMin * 60_000;
  }
  return ms;
}

/** Normalise any accepted timestamp to the stored form (milliseconds and `Z`). */
export function normaliseTimestamp(s: string): string {
  return formatTimestamp(parseTimestamp(s));
}

/** True when `s` is a timestamp we accept. */
export function isTimestamp(s: string): boolean {
  try {
    parseTimestamp(s);
    return true;
  } catch {
    return false;
  }
}
