/**
 * A small .xlsx reader: the file is a zip; we read the central directory, inflate entries with
 * node:zlib's inflateRawSync, and pull cells out of the sheet XML, sharedStrings and styles (to tell date
 * serials from numbers). Enough for instrument exports; no formulas are evaluated (cached values only).
 */
import { inflateRawSync } from 'node:zlib';
import { importTable, type ImportOptions, type ImportResult } from './ingest-table.js';
import { TIMESTAMP_NAMES, cleanHeader } from './vocabulary.js';

/** Read every entry of a zip archive into a name -> bytes map. */
export function unzip(buf: Uint8Array): Map<string, Buffer> {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let eocd = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 65535); i--) {
    if (b.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('Not a zip file (no end of central directory)');
  const entries = b.readUInt16LE(eocd + 10);
  let p = b.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let e = 0; e < entries; e++) {
    if (b.readUInt32LE(p) !== 0x02014b50) throw new Error('Corrupt zip central directory');
    const method = b.readUInt16LE(p + 10);
    const csize = b.readUInt32LE(p + 20);
    const nameLen = b.readUInt16LE(p + 28);
    const extraLen = b.readUInt16LE(p + 30);
    const commentLen = b.readUInt16LE(p + 32);
    const local = b.readUInt32LE(p + 42);
    const name = b.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (b.readUInt32LE(local) !== 0x04034b50) throw new Error(`Corrupt zip local header for ${name}`);
    const start = local + 30 + b.readUInt16LE(local + 26) + b.readUInt16LE(local + 28);
    const raw = b.subarray(start, start + csize);
    if (method === 0) out.set(name, Buffer.from(raw));
    else if (method === 8) out.set(name, inflateRawSync(raw));
    else throw new Error(`Unsupported zip compression method ${method} for ${name}`);
  }
  return out;
}

export function decodeXml(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'amp') return '&';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

function attr(tag: string, name: string): string | null {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? decodeXml(m[1]) : null;
}

function textOf(xml: string): string {
  let s = '';
  for (const m of xml.matchAll(/<t(?:\s[^>]*)?>([\s\S]*?)<\/t>/g)) s += decodeXml(m[1]);
  return s;
}

function colIndex(ref: string): number {
  let c = 0;
  for (const ch of ref) {
    const code = ch.charCodeAt(0);
    if (code < 65 || code > 90) break;
    c = c * 26 + (code - 64);
  }
  return c - 1;
}

const BUILTIN_DATE_FORMATS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47]);

/** Which cell style indices (s="...") format numbers as dates. */
function dateStyles(stylesXml: string | undefined): Set<number> {
  const out = new Set<number>();
  if (!stylesXml) return out;
  const custom = new Map<number, string>();
  for (const m of stylesXml.matchAll(/<numFmt\s[^>]*>/g)) {
    const id = Number(attr(m[0], 'numFmtId'));
    custom.set(id, attr(m[0], 'formatCode') ?? '');
  }
  const xfs = /<cellXfs[^>]*>([\s\S]*?)<\/cellXfs>/.exec(stylesXml);
  if (!xfs) return out;
  let i = 0;
  for (const m of xfs[1].matchAll(/<xf\s[^>]*?\/?>/g)) {
    const id = Number(attr(m[0], 'numFmtId') ?? 0);
    const code = (custom.get(id) ?? '').replace(/"[^"]*"|\[[^\]]*\]/g, '');
    if (BUILTIN_DATE_FORMATS.has(id) || /[dmyhs]/i.test(code)) out.add(i);
    i++;
  }
  return out;
}

/** Excel serial day (1900 system) to a naive ISO string (read as UTC downstream). */
export function excelSerialToIso(serial: number): string {
  return new Date(Math.round((serial - 25569) * 86_400_000)).toISOString().replace('Z', '');
}

export interface Sheet {
  name: string;
  /** rows[r][c] as strings; empty cells are "". rowNumbers[r] is the sheet's 1-based row number. */
  rows: string[][];
  rowNumbers: number[];
}

/** Read every worksheet of an .xlsx file (as a Buffer/Uint8Array) into string cells. */
export function readXlsx(buf: Uint8Array): Sheet[] {
  const files = unzip(buf);
  const get = (name: string): string | undefined => files.get(name)?.toString('utf8');
  const wb = get('xl/workbook.xml');
  if (!wb) throw new Error('Not an .xlsx workbook (xl/workbook.xml missing)');
  const rels = get('xl/_rels/workbook.xml.rels') ?? '';
  const targets = new Map<string, string>();
  for (const m of rels.matchAll(/<Relationship\s[^>]*>/g)) {
    const id = attr(m[0], 'Id');
    const target = attr(m[0], 'Target');
    if (id && target) targets.set(id, target.startsWith('/') ? target.slice(1) : `xl/${target}`);
  }
  const shared: string[] = [];
  for (const m of (get('xl/sharedStrings.xml') ?? '').matchAll(/<si>([\s\S]*?)<\/si>/g)) shared.push(textOf(m[1]));
  const dates = dateStyles(get('xl/styles.xml'));
  const sheets: Sheet[] = [];
  for (const m of wb.matchAll(/<sheet\s[^>]*>/g)) {
    const name = attr(m[0], 'name') ?? `Sheet${sheets.length + 1}`;
    const rid = attr(m[0], 'r:id');
    const path = rid ? targets.get(rid) : undefined;
    const xml = path ? get(path) : undefined;
    if (!xml) continue;
    const rows: string[][] = [];
    const rowNumbers: number[] = [];
    for (const r of xml.matchAll(/<row\b([^>]*?)(?:\/>|>([\s\S]*?)<\/row>)/g)) {
      const rnum = Number(attr(r[1], 'r') ?? rowNumbers.length + 1);
      const cells: string[] = [];
      for (const c of (r[2] ?? '').matchAll(/<c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
        const ref = attr(c[1], 'r');
        const col = ref ? colIndex(ref) : cells.length;
        const type = attr(c[1], 't') ?? 'n';
        const style = Number(attr(c[1], 's') ?? -1);
        const body = c[2] ?? '';
        const v = /<v>([\s\S]*?)<\/v>/.exec(body)?.[1];
        let value = '';
        if (type === 's') value = v !== undefined ? (shared[Number(v)] ?? '') : '';
        else if (type === 'inlineStr') value = textOf(body);
        else if (type === 'b') value = v === '1' ? 'TRUE' : 'FALSE';
        else if (v !== undefined) {
          value = decodeXml(v);
          if (type === 'n' && dates.has(style) && Number.isFinite(Number(value))) value = excelSerialToIso(Number(value));
        }
        while (cells.length < col) cells.push('');
        cells[col] = value;
      }
      rows.push(cells);
      rowNumbers.push(rnum);
    }
    sheets.push({ name, rows, rowNumbers });
  }
  return sheets;
}

export type SheetKind = 'metadata' | 'telemetry' | 'assay' | 'unknown';

const METADATA_SHEETS = new Set(['metadata', 'info', 'setup', 'batch_info', 'run_info', 'batch_metadata', 'experiment_info']);
const ASSAY_HINTS = ['method', 'uncertainty', 'hplc', 'lc-ms', 'cell_count', 'assay'];

/** SporeDB's sheet classification, in its order. */
export function classifySheet(sheet: Sheet): SheetKind {
  const name = sheet.name.trim().toLowerCase();
  if (METADATA_SHEETS.has(name)) return 'metadata';
  const headers = (sheet.rows[0] ?? []).map((h) => cleanHeader(h).toLowerCase());
  const hasTime = headers.some((h) => TIMESTAMP_NAMES.has(h));
  if (hasTime && headers.some((h) => ASSAY_HINTS.includes(h))) return 'assay';
  if (hasTime) return 'telemetry';
  if (name.includes('assay')) return 'assay';
  return 'unknown';
}

export interface XlsxSheetResult {
  sheet: string;
  kind: SheetKind;
  result?: ImportResult;
}

export interface XlsxImport {
  mode: 'batch-per-sheet' | 'multi-sheet';
  sheets: XlsxSheetResult[];
  /** Key/value pairs from metadata sheets (keys lower-cased). */
  metadata: Record<string, string>;
  rowsImported: number;
  warnings: string[];
}

/**
 * Import a workbook. Batch-per-sheet mode when >= 2 sheets share identical headers (each sheet is a run);
 * otherwise each sheet is classified. Sheet-level problems become warnings; nothing here throws for one
 * bad sheet.
 */
export function importXlsx(buf: Uint8Array, opts: ImportOptions = {}): XlsxImport {
  const sheets = readXlsx(buf).filter((s) => s.rows.length > 0);
  const headerKey = (s: Sheet): string => JSON.stringify((s.rows[0] ?? []).map((h) => h.trim().toLowerCase()));
  const perSheet = sheets.length >= 2 && sheets.every((s) => headerKey(s) === headerKey(sheets[0]));
  const warnings: string[] = [];
  const metadata: Record<string, string> = {};
  const out: XlsxSheetResult[] = [];
  let rowsImported = 0;
  for (const s of sheets) {
    const kind = perSheet ? 'telemetry' : classifySheet(s);
    if (kind === 'metadata') {
      for (const row of s.rows) if ((row[0] ?? '').trim()) metadata[row[0].trim().toLowerCase()] = (row[1] ?? '').trim();
      out.push({ sheet: s.name, kind });
      continue;
    }
    if (kind === 'unknown') {
      warnings.push(`Sheet '${s.name}': not recognised, skipping`);
      out.push({ sheet: s.name, kind });
      continue;
    }
    try {
      const result = importTable(
        s.rows[0],
        s.rows.slice(1).map((cells, i) => ({ line: s.rowNumbers[i + 1], cells })),
        opts,
      );
      result.warnings = result.warnings.map((w) => `Sheet '${s.name}': ${w}`);
      warnings.push(...result.warnings);
      rowsImported += result.rowsImported;
      out.push({ sheet: s.name, kind, result });
    } catch (e) {
      warnings.push(`Sheet '${s.name}': ${(e as Error).message}, skipping`);
      out.push({ sheet: s.name, kind });
    }
  }
  return { mode: perSheet ? 'batch-per-sheet' : 'multi-sheet', sheets: out, metadata, rowsImported, warnings };
}
