/**
 * CSV import from text: an RFC 4180 parser (quoted fields, doubled quotes, CR/LF/CRLF, embedded newlines)
 * with delimiter sniffing, then importTable. Takes text, not paths: the leader owns file I/O.
 */
import { importTable, type ImportOptions, type ImportResult, type TableRow } from './ingest-table.js';

export interface CsvTable {
  header: string[];
  rows: TableRow[];
  delimiter: string;
  warnings: string[];
}

/** Pick , ; or tab by which occurs most in the first line outside quotes. */
export function sniffDelimiter(text: string): string {
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  let best = ',';
  let bestCount = 0;
  for (const d of [',', ';', '\t']) {
    let count = 0;
    let q = false;
    for (const ch of firstLine) {
      if (ch === '"') q = !q;
      else if (!q && ch === d) count++;
    }
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

/** Parse CSV text into records with the line each one starts on. An unterminated quote is a warning. */
export function parseCsv(text: string, delimiter?: string): { records: TableRow[]; warnings: string[] } {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const d = delimiter ?? sniffDelimiter(text);
  const records: TableRow[] = [];
  const warnings: string[] = [];
  let line = 1;
  let startLine = 1;
  let field = '';
  let cells: string[] = [];
  let inQuotes = false;
  let i = 0;
  const n = text.length;
  const endRecord = (): void => {
    cells.push(field);
    field = '';
    records.push({ line: startLine, cells });
    cells = [];
  };
  while (i < n) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
        i++;
        continue;
      }
      if (ch === '\n') line++;
      field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') {
      inQuotes = true;
      i++;
    } else if (ch === d) {
      cells.push(field);
      field = '';
      i++;
    } else if (ch === '\r' || ch === '\n') {
      endRecord();
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      startLine = line;
    } else {
      field += ch;
      i++;
    }
  }
  if (inQuotes) warnings.push(`Line ${startLine}: unterminated quoted field`);
  if (field !== '' || cells.length > 0) endRecord();
  return { records: records.filter((r) => !(r.cells.length === 1 && r.cells[0] === '')), warnings };
}

export function readCsvTable(text: string): CsvTable {
  const delimiter = sniffDelimiter(text);
  const { records, warnings } = parseCsv(text, delimiter);
  if (records.length === 0) throw new Error('CSV is empty');
  const [head, ...rows] = records;
  return { header: head.cells.map((h) => h.trim()), rows, delimiter, warnings };
}

/** Parse and import CSV text. Throws only for file-level problems (no header, no data, no time column). */
export function importCsv(text: string, opts: ImportOptions = {}): ImportResult {
  const t = readCsvTable(text);
  const res = importTable(t.header, t.rows, opts);
  res.warnings.unshift(...t.warnings);
  return res;
}
