/**
 * The config editor's pieces: a textarea with line numbers that can mark one line (the leader's validation
 * error) and send the caret there; the parse of the leader's `file:line: message` errors; a line diff for
 * comparing a saved version with the editor's text.
 */
import { h } from '../dom.js';

export interface LineError {
  /** The file the error names (`config.ini`, `config_u1.ini`), or null when it names none. */
  file: string | null;
  line: number | null;
  message: string;
}

const WHERE = /^(config(?:_[A-Za-z0-9][A-Za-z0-9_-]*)?\.ini):(\d+):\s*/;

/** The leader's config errors start `config.ini:12: ` (shared/config: IniSyntaxError and ConfigError). */
export function parseConfigError(text: string): LineError {
  const t = text.trim();
  const m = WHERE.exec(t);
  if (!m) return { file: null, line: null, message: t };
  return { file: m[1] ?? null, line: Number(m[2]), message: t.slice(m[0].length) };
}

/** Character offset of the start of line `n` (1-based) in `text`; past the end, the text's length. */
export function lineStart(text: string, n: number): number {
  let at = 0;
  for (let i = 1; i < n; i++) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) return text.length;
    at = nl + 1;
  }
  return at;
}

export class LineEditor {
  readonly el: HTMLDivElement;
  readonly textarea: HTMLTextAreaElement;
  private readonly gutter: HTMLDivElement;
  private readonly band: HTMLDivElement;
  private lines = 0;
  private marked: { line: number; text: string; lines: number } | null = null;
  private readonly inputListeners: Array<() => void> = [];

  constructor(id: string, describedBy: string) {
    this.textarea = h('textarea', { id, rows: 22, spellcheck: 'false', wrap: 'off', autocomplete: 'off', autocapitalize: 'off', 'aria-describedby': describedBy });
    this.gutter = h('div', { class: 'inv-gutter', 'aria-hidden': 'true' });
    this.band = h('div', { class: 'inv-band', 'aria-hidden': 'true', hidden: true });
    this.el = h('div', { class: 'inv-editor' }, this.gutter, h('div', { class: 'inv-text' }, this.band, this.textarea));
    this.textarea.addEventListener('input', () => {
      this.renumber();
      // Once the marked line is edited (or lines come and go), the mark no longer points at the error.
      if (this.marked && (this.lines !== this.marked.lines || this.lineText(this.marked.line) !== this.marked.text)) this.clearMark();
      for (const f of this.inputListeners) f();
    });
    this.textarea.addEventListener('scroll', () => this.sync());
    this.renumber();
  }

  get value(): string {
    return this.textarea.value;
  }

  set value(text: string) {
    this.textarea.value = text;
    this.clearMark();
    this.renumber();
    this.textarea.scrollTop = 0;
    this.sync();
  }

  onInput(f: () => void): void {
    this.inputListeners.push(f);
  }

  private lineText(n: number): string {
    return this.textarea.value.split('\n')[n - 1] ?? '';
  }

  private metrics(): { lh: number; pad: number } {
    const cs = getComputedStyle(this.textarea);
    return { lh: parseFloat(cs.lineHeight) || 20, pad: parseFloat(cs.paddingTop) || 0 };
  }

  private renumber(): void {
    const n = this.textarea.value.split('\n').length;
    if (n === this.lines) return;
    const nums: HTMLElement[] = [];
    for (let i = 1; i <= n; i++) nums.push(h('div', { 'data-line': i, class: this.marked?.line === i ? 'err' : null }, String(i)));
    this.gutter.replaceChildren(...nums);
    this.lines = n;
  }

  private sync(): void {
    this.gutter.scrollTop = this.textarea.scrollTop;
    if (!this.marked) return;
    const { lh, pad } = this.metrics();
    const top = pad + (this.marked.line - 1) * lh - this.textarea.scrollTop;
    this.band.style.top = `${top}px`;
    this.band.style.height = `${lh}px`;
    this.band.hidden = top < -lh || top > this.textarea.clientHeight;
  }

  /** Mark line `n` as the one in error (gutter marker, highlighted band, aria-invalid). */
  markLine(n: number): void {
    this.clearMark();
    const line = Math.max(1, Math.min(n, this.lines));
    this.marked = { line, text: this.lineText(line), lines: this.lines };
    this.gutter.querySelector(`[data-line="${line}"]`)?.classList.add('err');
    this.textarea.setAttribute('aria-invalid', 'true');
    this.el.dataset.errorLine = String(line);
    this.sync();
  }

  clearMark(): void {
    if (this.marked) this.gutter.querySelector(`[data-line="${this.marked.line}"]`)?.classList.remove('err');
    this.marked = null;
    this.band.hidden = true;
    this.textarea.removeAttribute('aria-invalid');
    delete this.el.dataset.errorLine;
  }

  /** Focus the text with the caret at the start of line `n`, scrolled into view. */
  goToLine(n: number): void {
    const at = lineStart(this.textarea.value, n);
    this.textarea.focus();
    this.textarea.setSelectionRange(at, at);
    const { lh } = this.metrics();
    this.textarea.scrollTop = Math.max(0, (n - 1) * lh - this.textarea.clientHeight / 3);
    this.sync();
  }
}

export interface DiffLine {
  op: 'same' | 'del' | 'add';
  text: string;
}

/** Line diff (longest common subsequence); `del` lines are only in `a`, `add` lines only in `b`. */
export function diffLines(a: string, b: string): DiffLine[] {
  const x = a.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n');
  const y = b.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n');
  let pre = 0;
  while (pre < x.length && pre < y.length && x[pre] === y[pre]) pre++;
  let suf = 0;
  while (suf < x.length - pre && suf < y.length - pre && x[x.length - 1 - suf] === y[y.length - 1 - suf]) suf++;
  const xs = x.slice(pre, x.length - suf);
  const ys = y.slice(pre, y.length - suf);
  const head: DiffLine[] = x.slice(0, pre).map((text) => ({ op: 'same', text }));
  const tail: DiffLine[] = x.slice(x.length - suf).map((text) => ({ op: 'same', text }));
  const n = xs.length;
  const m = ys.length;
  const mid: DiffLine[] = [];
  if (n * m > 4_000_000) {
    // Too big to compare line by line in a page: all of one, then all of the other.
    mid.push(...xs.map((text): DiffLine => ({ op: 'del', text })), ...ys.map((text): DiffLine => ({ op: 'add', text })));
  } else {
    // lcs[i][j]: the common subsequence length of xs[i..] and ys[j..].
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) lcs[i * w + j] = xs[i] === ys[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    }
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (xs[i] === ys[j]) {
        mid.push({ op: 'same', text: xs[i]! });
        i++;
        j++;
      } else if (lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!) mid.push({ op: 'del', text: xs[i++]! });
      else mid.push({ op: 'add', text: ys[j++]! });
    }
    while (i < n) mid.push({ op: 'del', text: xs[i++]! });
    while (j < m) mid.push({ op: 'add', text: ys[j++]! });
  }
  return [...head, ...mid, ...tail];
}
