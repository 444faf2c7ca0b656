/**
 * Lexer for the query DSL (reference §6). It is deliberately stricter than SQL: anything that could
 * smuggle SQL through (`;`, comment markers `--` and `/*`, backticks, brackets other than the `batches[…]`
 * filter) is rejected here with a DslError, before the parser sees it.
 *
 * Choices that differ from the reference (SporeDB's Lark grammar), written down here:
 * - Strings may be single- **or** double-quoted, so the seed's `name = 'CHO-Run-001'` works. Backslash
 *   escapes (`\\ \" \' \n \t`) are unescaped, and inside a single-quoted string `''` is a quote.
 * - `--` comments are NOT accepted: a one-line query never needs one, and the brief treats them as an
 *   injection vector. They fail with "comments are not allowed".
 */
import { dslError, type Pos } from './errors.js';

export type TokenKind = 'ident' | 'keyword' | 'number' | 'string' | 'op' | 'punct' | 'eof';

export interface Token extends Pos {
  readonly kind: TokenKind;
  /** Keywords are upper-cased; identifiers keep their spelling; strings are unescaped. */
  readonly text: string;
  /** Parsed value of a number token. */
  readonly num?: number;
  /** True when a number token was written without `.` or exponent (LIMIT needs one). */
  readonly integer?: boolean;
}

/** Whole-word keywords of the reference grammar plus the source names, matched case-insensitively. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'SELECT', 'FROM', 'WHERE', 'GROUP', 'ORDER', 'BY', 'LIMIT', 'AND', 'OR', 'NOT', 'AS', 'ASC', 'DESC', 'LIKE',
]);

/** Upper bound on query length: the DSL is for short analytic questions, not bulk payloads. */
export const MAX_QUERY_LENGTH = 10_000;

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const NUMBER_RE = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;

export function tokenize(text: string): Token[] {
  if (text.length > MAX_QUERY_LENGTH) {
    throw dslError(`query longer than ${MAX_QUERY_LENGTH} characters`, { line: 1, column: 1 });
  }
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const pos = (at: number): Pos => ({ line, column: at - lineStart + 1 });

  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    const here = pos(i);
    if ((c === '-' && text[i + 1] === '-') || (c === '/' && text[i + 1] === '*')) {
      throw dslError(`comments are not allowed ('${c}${text[i + 1]}')`, here);
    }
    if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < text.length && IDENT_PART.test(text[j]!)) j++;
      const word = text.slice(i, j);
      const upper = word.toUpperCase();
      tokens.push(KEYWORDS.has(upper) ? { kind: 'keyword', text: upper, ...here } : { kind: 'ident', text: word, ...here });
      i = j;
      continue;
    }
    const numMatch = /[0-9.-]/.test(c) ? NUMBER_RE.exec(text.slice(i, i + 400)) : null;
    if (numMatch) {
      const raw = numMatch[0];
      const next = text[i + raw.length];
      if (next !== undefined && IDENT_PART.test(next)) throw dslError(`malformed number '${raw}${next}'`, here);
      tokens.push({ kind: 'number', text: raw, num: Number(raw), integer: /^-?\d+$/.test(raw), ...here });
      i += raw.length;
      continue;
    }
    if (c === '"' || c === "'") {
      const { value, end, lines, lastLineStart } = readString(text, i, here);
      tokens.push({ kind: 'string', text: value, ...here });
      if (lines > 0) {
        line += lines;
        lineStart = lastLineStart;
      }
      i = end;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '!=' || two === '<=' || two === '>=') {
      tokens.push({ kind: 'op', text: two, ...here });
      i += 2;
      continue;
    }
    if (c === '=' || c === '<' || c === '>') {
      tokens.push({ kind: 'op', text: c, ...here });
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ',' || c === '.' || c === '[' || c === ']' || c === '*') {
      tokens.push({ kind: 'punct', text: c, ...here });
      i++;
      continue;
    }
    throw dslError(`unexpected character ${JSON.stringify(c)}`, here);
  }
  tokens.push({ kind: 'eof', text: '', ...pos(i) });
  return tokens;
}

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', '"': '"', "'": "'", n: '\n', t: '\t', r: '\r' };

function readString(text: string, start: number, at: Pos): { value: string; end: number; lines: number; lastLineStart: number } {
  const quote = text[start]!;
  let out = '';
  let i = start + 1;
  let lines = 0;
  let lastLineStart = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\\') {
      const e = text[i + 1];
      const mapped = e === undefined ? undefined : ESCAPES[e];
      if (mapped === undefined) throw dslError(`bad escape '\\${e ?? ''}' in string`, at);
      out += mapped;
      i += 2;
      continue;
    }
    if (c === quote) {
      if (quote === "'" && text[i + 1] === "'") {
        out += "'";
        i += 2;
        continue;
      }
      return { value: out, end: i + 1, lines, lastLineStart };
    }
    if (c === '\n') {
      lines++;
      lastLineStart = i + 1;
    }
    out += c;
    i++;
  }
  throw dslError('unterminated string', at);
}
