/**
 * CSV writer (RFC 4180): comma separator, CRLF line ends, a field is quoted when it contains a comma,
 * quote, CR or LF (or starts/ends with a space, so spreadsheets keep it), and quotes are doubled.
 * Value formats follow the reference export (§8, pandas style) where it specifies them:
 * - timestamp_ms: `YYYY-MM-DD HH:MM:SS+00:00`, with `.ffffff` added only when the milliseconds are not 0;
 * - missing values and NaN: empty field; ±Infinity: `inf` / `-inf`;
 * - bool: `true` / `false`; int64: decimal digits.
 */
import { assertSameSpec, isMissing, rowCount, specOf, toInt64, toMillis, type Column, type ColumnSpec, type ColumnTable, type TableSource } from './table.js';

export function csvField(text: string): string {
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function formatTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-01-01T00:00:00.000Z
  const frac = iso.slice(20, 23);
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac === '000' ? '' : `.${frac}000`}+00:00`;
}

function formatValue(c: Column, i: number): string {
  const v = c.values[i];
  if (isMissing(v)) return '';
  switch (c.type) {
    case 'float64': {
      const n = v as number;
      if (Number.isNaN(n)) return '';
      if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
      return String(n);
    }
    case 'int64':
      return toInt64(v as number | bigint, c.name).toString();
    case 'utf8':
      return csvField(v as string);
    case 'timestamp_ms':
      return formatTimestamp(toMillis(v as number | Date, c.name));
    case 'bool':
      return v ? 'true' : 'false';
  }
}

function headerLine(spec: readonly ColumnSpec[]): string {
  return spec.map((c) => csvField(c.name)).join(',') + '\r\n';
}

function rowsText(table: ColumnTable): string {
  const n = rowCount(table);
  let out = '';
  for (let i = 0; i < n; i++) out += table.columns.map((c) => formatValue(c, i)).join(',') + '\r\n';
  return out;
}

/** The whole table as one CSV buffer (header row first). */
export function writeCsv(table: ColumnTable): Buffer {
  return Buffer.from(headerLine(specOf(table)) + rowsText(table), 'utf8');
}

/**
 * Streams CSV: the header once, then one Buffer per chunk of the source. `schema` gives the header
 * when the source may be empty.
 */
export async function* csvStream(source: TableSource, options: { schema?: readonly ColumnSpec[] } = {}): AsyncGenerator<Buffer> {
  let spec = options.schema;
  if (spec) yield Buffer.from(headerLine(spec), 'utf8');
  for await (const table of source) {
    if (!spec) {
      spec = specOf(table);
      yield Buffer.from(headerLine(spec), 'utf8');
    } else assertSameSpec(spec, table);
    const text = rowsText(table);
    if (text) yield Buffer.from(text, 'utf8');
  }
}
