/** Output for people and scripts: aligned tables, `--json`, errors with cause and remedy, a tiny progress bar. */
import { ColonyApiError } from './api.js';

export interface Out {
  json: boolean;
  quiet: boolean;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export function defaultOut(json = false, quiet = false): Out {
  return { json, quiet, stdout: process.stdout, stderr: process.stderr };
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Columns padded to their widest cell; an empty list prints `(none)`. */
export function table(rows: Array<Record<string, unknown>>, columns: string[], headers?: string[]): string {
  if (rows.length === 0) return '(none)';
  const head = headers ?? columns.map((c) => c.toUpperCase());
  const body = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}

/** Print rows as a table, or as JSON with --json. */
export function emit(out: Out, data: unknown, rows?: Array<Record<string, unknown>>, columns?: string[]): void {
  if (out.json) out.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else if (rows && columns) out.stdout.write(`${table(rows, columns)}\n`);
  else out.stdout.write(`${typeof data === 'string' ? data : JSON.stringify(data, null, 2)}\n`);
}

/** One error, with the API's cause and remediation when it gave them; returns the exit code. */
export function reportError(out: Out, prog: string, e: unknown): number {
  if (e instanceof ColonyApiError) {
    if (out.json) {
      out.stderr.write(`${JSON.stringify({ error: e.message, status: e.status, cause: e.causeText, remediation: e.remediation })}\n`);
    } else {
      out.stderr.write(`${prog}: ${e.message}\n`);
      if (e.causeText && !e.message.includes(e.causeText)) out.stderr.write(`  cause: ${e.causeText}\n`);
      if (e.remediation) out.stderr.write(`  remedy: ${e.remediation}\n`);
    }
    return e.status === null ? 3 : 1;
  }
  out.stderr.write(`${prog}: ${(e as Error)?.message ?? String(e)}\n`);
  return 1;
}

function human(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * A one-line progress bar on stderr, redrawn at most every 100 ms. Silent when stderr is not a TTY,
 * with --quiet, or with --json (scripts get clean streams).
 */
export class ProgressBar {
  private last = 0;
  private drawn = false;
  readonly enabled: boolean;

  constructor(
    private readonly out: Out,
    private readonly label: string,
    private readonly width = 28,
  ) {
    this.enabled = !out.quiet && !out.json && !!out.stderr.isTTY;
  }

  update(done: number, total: number | null): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100 && (total === null || done < total)) return;
    this.last = now;
    let text: string;
    if (total && total > 0) {
      const f = Math.min(1, done / total);
      const fill = Math.round(f * this.width);
      text = `${this.label} [${'#'.repeat(fill)}${'.'.repeat(this.width - fill)}] ${String(Math.round(f * 100)).padStart(3)}% ${human(done)}/${human(total)}`;
    } else text = `${this.label} ${human(done)}`;
    this.out.stderr.write(`\r${text}\x1b[K`);
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) this.out.stderr.write('\n');
    this.drawn = false;
  }
}
