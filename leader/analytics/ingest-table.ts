/**
 * Turn a parsed table (header + rows of strings, from CSV or a sheet) into long-format records: find the
 * time column (absolute or elapsed), map headers to variables, detect and convert units, flag
 * questionable values. Bad cells and rows become warnings with their source line numbers, never a crash.
 */
import { CANONICAL_UNIT, convertUnit, detectUnitFromHeader, guessUnitFromValues, KNOWN_UNITS, VARIABLE_CATEGORY } from './units.js';
import { cleanHeader, matchColumn, TIMESTAMP_NAMES, VOCABULARY } from './vocabulary.js';

export interface TableRow {
  /** 1-based line (CSV) or row (sheet) number in the source, for warnings. */
  line: number;
  cells: string[];
}

export interface ImportRecord {
  ts: number;
  variable: string;
  value: number;
  unit: string | null;
}

export interface ImportOptions {
  /** Epoch ms; required when the time column is elapsed. */
  inoculationTs?: number;
  /** Extra aliases: appended to an existing variable or added as a new one. */
  vocabulary?: Record<string, readonly string[]>;
}

export interface ImportResult {
  records: ImportRecord[];
  /** Data rows that produced at least one record (rows, not cells: QUIRK fix). */
  rowsImported: number;
  recordsImported: number;
  timestampColumn: string;
  timeKind: 'absolute' | 'elapsed';
  columnsMapped: Record<string, string>;
  confidence: Record<string, number>;
  unmappedColumns: string[];
  unitsConverted: Record<string, [string, string]>;
  warnings: string[];
  /** Informational notes (e.g. naive timestamps assumed UTC). */
  notes: string[];
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Strict decimal number; "nan", "inf" and garbage give NaN (QUIRK fix: SporeDB let "nan" abort imports). */
export function parseNumber(s: string): number {
  const t = s.trim();
  return NUMERIC.test(t) ? Number(t) : NaN;
}

const ISO = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const DMY = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;

/** Parse an absolute timestamp to epoch ms; naive times are UTC. `naive` reports whether a zone was absent. */
export function parseTimestamp(s: string): { ms: number; naive: boolean } | null {
  const t = s.trim();
  let m = ISO.exec(t);
  if (m) {
    const frac = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
    let ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)) + frac;
    const zone = m[8];
    if (zone && zone.toUpperCase() !== 'Z') {
      const sign = zone[0] === '-' ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      ms -= sign * (+digits.slice(0, 2) * 60 + +digits.slice(2)) * 60_000;
    }
    return Number.isFinite(ms) ? { ms, naive: !zone } : null;
  }
  m = DMY.exec(t);
  if (m) {
    // month/day/year, as dateutil's default
    const ms = Date.UTC(+m[3], +m[1] - 1, +m[2], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
    return Number.isFinite(ms) ? { ms, naive: true } : null;
  }
  return null;
}

/** Elapsed-time unit to hours factor, from the column name. */
export function elapsedFactor(header: string): number {
  const h = cleanHeader(header).toLowerCase();
  if (['elapsed_min', 'time_min', 'minutes', 'min'].includes(h) || /_(min|mins)$/.test(h)) return 1 / 60;
  if (['seconds', 'sec', 's'].includes(h) || /_(s|sec|seconds)$/.test(h)) return 1 / 3600;
  return 1;
}

function mergeVocabulary(extra?: Record<string, readonly string[]>): Record<string, readonly string[]> {
  if (!extra) return VOCABULARY;
  const out: Record<string, readonly string[]> = { ...VOCABULARY };
  for (const [k, v] of Object.entries(extra)) out[k] = [...(out[k] ?? []), ...v];
  return out;
}

/** Import one table. The header is row 0 (`headerLine` its source line). */
export function importTable(header: readonly string[], rows: readonly TableRow[], opts: ImportOptions = {}): ImportResult {
  const warnings: string[] = [];
  const notes: string[] = [];
  if (header.every((h) => h.trim() === '')) throw new Error('Header row is empty');
  let data = rows.filter((r) => r.cells.some((c) => c.trim() !== ''));
  if (data.length === 0) throw new Error('No data rows');
  // Unit row: every non-empty cell of the first data row is a known unit.
  let unitRow: string[] | null = null;
  const first = data[0].cells.filter((c) => c.trim() !== '');
  if (first.length > 0 && first.every((c) => KNOWN_UNITS.has(c.trim()))) {
    unitRow = data[0].cells.map((c) => c.trim());
    data = data.slice(1);
    if (data.length === 0) throw new Error('No data rows after the unit row');
  }
  // Time column.
  let tcol = header.findIndex((h) => TIMESTAMP_NAMES.has(cleanHeader(h).toLowerCase()));
  let timeKind: 'absolute' | 'elapsed' = 'absolute';
  if (tcol >= 0) {
    const firstVals = data.slice(0, 5).map((r) => parseNumber(r.cells[tcol] ?? ''));
    if (firstVals.every(Number.isFinite) && Math.min(...firstVals) < 1 && firstVals.every((v, i) => i === 0 || v >= firstVals[i - 1])) {
      timeKind = 'elapsed';
    }
  } else {
    tcol = header.findIndex((_, c) => {
      const vals = data
        .map((r) => (r.cells[c] ?? '').trim())
        .filter((v) => v !== '' && Number.isNaN(parseNumber(v)))
        .slice(0, 5);
      return vals.length > 0 && vals.filter((v) => parseTimestamp(v)).length >= Math.min(3, vals.length);
    });
    if (tcol < 0) throw new Error('No timestamp column found');
  }
  if (timeKind === 'elapsed' && opts.inoculationTs === undefined) {
    throw new Error('Elapsed time detected but no inoculation_ts provided');
  }
  const factor = elapsedFactor(header[tcol]);
  // Column mapping and units.
  const vocab = mergeVocabulary(opts.vocabulary);
  const columnsMapped: Record<string, string> = {};
  const confidence: Record<string, number> = {};
  const unmappedColumns: string[] = [];
  const unitsConverted: Record<string, [string, string]> = {};
  const plan: { col: number; name: string; variable: string; from: string | null; to: string | null }[] = [];
  header.forEach((name, col) => {
    if (col === tcol || name.trim() === '') return;
    const m = matchColumn(name, vocab);
    if (!m) {
      unmappedColumns.push(name);
      return;
    }
    columnsMapped[name] = m.variable;
    confidence[name] = m.confidence;
    const cat = VARIABLE_CATEGORY[m.variable];
    const canonical = cat ? CANONICAL_UNIT[cat] : null;
    let from: string | null = unitRow?.[col] || null;
    if (from === 'pct') from = '%';
    if (!from) from = detectUnitFromHeader(name);
    if (!from && cat) from = guessUnitFromValues(cat, data.slice(0, 10).map((r) => parseNumber(r.cells[col] ?? '')));
    if (canonical && from && from !== canonical) unitsConverted[name] = [from, canonical];
    plan.push({ col, name, variable: m.variable, from: canonical && from && from !== canonical ? from : null, to: canonical });
  });
  // Rows.
  const records: ImportRecord[] = [];
  let rowsImported = 0;
  let naive = false;
  for (const row of data) {
    const raw = (row.cells[tcol] ?? '').trim();
    let ts: number;
    if (timeKind === 'elapsed') {
      const v = parseNumber(raw);
      if (!Number.isFinite(v)) {
        warnings.push(`Line ${row.line}: cannot parse elapsed time "${raw}", row skipped`);
        continue;
      }
      ts = (opts.inoculationTs as number) + v * factor * 3_600_000;
    } else {
      const p = parseTimestamp(raw);
      if (!p) {
        warnings.push(`Line ${row.line}: cannot parse timestamp "${raw}", row skipped`);
        continue;
      }
      naive ||= p.naive;
      ts = p.ms;
    }
    let any = false;
    for (const c of plan) {
      const cell = (row.cells[c.col] ?? '').trim();
      if (cell === '') continue;
      let v = parseNumber(cell);
      if (!Number.isFinite(v)) {
        warnings.push(`Line ${row.line}, ${c.name}: not a finite number "${cell}", cell skipped`);
        continue;
      }
      if (c.from && c.to) {
        const conv = convertUnit(v, c.from, c.to);
        if (conv.value === null) warnings.push(`Line ${row.line}, ${c.name}: ${conv.warning}`);
        else v = conv.value;
      }
      const q = questionable(c.variable, v);
      if (q) warnings.push(`Line ${row.line}: questionable ${c.variable} value ${v} ${q}`);
      records.push({ ts, variable: c.variable, value: v, unit: c.to });
      any = true;
    }
    if (any) rowsImported++;
  }
  if (naive) notes.push('Timestamps without a time zone were taken as UTC');
  return {
    records,
    rowsImported,
    recordsImported: records.length,
    timestampColumn: header[tcol],
    timeKind,
    columnsMapped,
    confidence,
    unmappedColumns,
    unitsConverted,
    warnings,
    notes,
  };
}

function questionable(variable: string, v: number): string | null {
  if (variable === 'ph') return v < 0 ? '(< 0)' : v > 14 ? '(> 14)' : null;
  if ((variable === 'biomass' || variable === 'OD600' || variable === 'dissolved_oxygen') && v < 0) return '(< 0)';
  return null;
}
