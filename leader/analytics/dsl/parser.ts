/**
 * Recursive-descent parser for the query DSL grammar of reference §6, producing the AST in ast.ts.
 *
 * Recursion is bounded: every nested condition, parenthesis and function call counts towards
 * MAX_DEPTH, so hostile input like 60 nested parentheses fails with a DslError instead of a stack
 * overflow (the reference limits condition nesting to 50; we use the same number for expressions).
 *
 * Extensions over the reference grammar (each one deliberate):
 * - `FROM batch` without an id means all batches, so the seed example `FROM batch WHERE …` parses;
 *   `batch[cond]` is the same as `batches[cond]`.
 * - `count(*)` is accepted as well as `count()`.
 * - ORDER BY takes one field, as in the reference; it may name a SELECT alias.
 */
import type { CompareOp, Cond, Expr, FieldRef, Query, SelectItem, Source } from './ast.js';
import { dslError, type Pos } from './errors.js';
import { tokenize, type Token } from './lexer.js';

export const MAX_DEPTH = 50;

export function parseQuery(text: string): Query {
  return new Parser(tokenize(text)).query();
}

const COMPARE_OPS: ReadonlySet<string> = new Set(['=', '!=', '<', '>', '<=', '>=']);

class Parser {
  private i = 0;
  private depth = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  query(): Query {
    this.expectKeyword('SELECT');
    const select: SelectItem[] = [this.selectItem()];
    while (this.acceptPunct(',')) select.push(this.selectItem());
    this.expectKeyword('FROM');
    const source = this.source();
    const where = this.acceptKeyword('WHERE') ? this.cond() : undefined;
    let groupBy: FieldRef[] | undefined;
    if (this.acceptKeyword('GROUP')) {
      this.expectKeyword('BY');
      groupBy = [this.field()];
      while (this.acceptPunct(',')) groupBy.push(this.field());
    }
    let orderBy: Query['orderBy'];
    if (this.acceptKeyword('ORDER')) {
      this.expectKeyword('BY');
      const field = this.field();
      let dir: 'ASC' | 'DESC' = 'ASC';
      if (this.acceptKeyword('DESC')) dir = 'DESC';
      else this.acceptKeyword('ASC');
      orderBy = { field, dir };
    }
    let limit: number | undefined;
    if (this.acceptKeyword('LIMIT')) {
      const t = this.next();
      if (t.kind !== 'number' || !t.integer || t.num === undefined || t.num < 0 || !Number.isSafeInteger(t.num)) {
        throw dslError(`LIMIT needs a non-negative integer, found ${describe(t)}`, t);
      }
      limit = t.num;
    }
    const end = this.peek();
    if (end.kind !== 'eof') throw dslError(`unexpected ${describe(end)}`, end);
    return { select, source, ...(where ? { where } : {}), ...(groupBy ? { groupBy } : {}), ...(orderBy ? { orderBy } : {}), ...(limit !== undefined ? { limit } : {}) };
  }

  private selectItem(): SelectItem {
    const pos = posOf(this.peek());
    const expr = this.expr();
    if (this.acceptKeyword('AS')) {
      const t = this.next();
      if (t.kind !== 'ident') throw dslError(`AS needs an identifier, found ${describe(t)}`, t);
      return { expr, alias: t.text, pos };
    }
    return { expr, pos };
  }

  private source(): Source {
    const t = this.next();
    const name = t.kind === 'ident' ? t.text.toLowerCase() : '';
    const pos = posOf(t);
    if (name === 'batches' || name === 'batch') {
      if (name === 'batch' && this.acceptPunct('(')) {
        const id = this.stringArg();
        this.expectPunct(')');
        return { kind: 'single_batch', batchId: id, pos };
      }
      if (this.acceptPunct('[')) {
        const filter = this.cond();
        this.expectPunct(']');
        return { kind: 'all_batches', filter, pos };
      }
      return { kind: 'all_batches', pos };
    }
    if (name === 'golden_profile') {
      this.expectPunct('(');
      const id = this.stringArg();
      this.expectPunct(')');
      return { kind: 'golden_ref', profileId: id, pos };
    }
    throw dslError(`unknown source ${describe(t)}; expected batches, batch, batch("id") or golden_profile("id")`, t);
  }

  private stringArg(): string {
    const t = this.next();
    if (t.kind !== 'string') throw dslError(`expected a quoted string, found ${describe(t)}`, t);
    return t.text;
  }

  // cond := or ; or := or OR and | and ; and := and AND not | not ; not := NOT atom | atom
  private cond(): Cond {
    return this.nested(this.peek(), () => {
      let left = this.andCond();
      while (this.peekKeyword('OR')) {
        const pos = posOf(this.next());
        left = { kind: 'or', left, right: this.andCond(), pos };
      }
      return left;
    });
  }

  private andCond(): Cond {
    let left = this.notCond();
    while (this.peekKeyword('AND')) {
      const pos = posOf(this.next());
      left = { kind: 'and', left, right: this.notCond(), pos };
    }
    return left;
  }

  private notCond(): Cond {
    if (this.peekKeyword('NOT')) {
      const pos = posOf(this.next());
      return { kind: 'not', inner: this.atom(), pos };
    }
    return this.atom();
  }

  private atom(): Cond {
    const start = this.peek();
    if (start.kind === 'punct' && start.text === '(') {
      this.next();
      const inner = this.cond();
      this.expectPunct(')');
      return inner;
    }
    const left = this.expr();
    const opTok = this.next();
    let op: CompareOp;
    if (opTok.kind === 'op' && COMPARE_OPS.has(opTok.text)) op = opTok.text as CompareOp;
    else if (opTok.kind === 'keyword' && opTok.text === 'LIKE') op = 'LIKE';
    else throw dslError(`expected a comparison operator (= != < > <= >= LIKE), found ${describe(opTok)}`, opTok);
    const right = this.expr();
    return { kind: 'cmp', left, op, right, pos: posOf(start) };
  }

  // expr := IDENT "(" args? ")" | field | NUMBER | STRING
  private expr(): Expr {
    const t = this.peek();
    if (t.kind === 'number') {
      this.next();
      return { kind: 'literal', value: t.num!, pos: posOf(t) };
    }
    if (t.kind === 'string') {
      this.next();
      return { kind: 'literal', value: t.text, pos: posOf(t) };
    }
    if (t.kind !== 'ident') throw dslError(`expected an expression, found ${describe(t)}`, t);
    const after = this.tokens[this.i + 1];
    if (after?.kind === 'punct' && after.text === '(') {
      return this.nested(t, () => {
        this.next();
        this.next();
        const args: Expr[] = [];
        const star = this.peek();
        if (star.kind === 'punct' && star.text === '*') {
          this.next();
          args.push({ kind: 'star', pos: posOf(star) });
        } else if (!(star.kind === 'punct' && star.text === ')')) {
          args.push(this.expr());
          while (this.acceptPunct(',')) args.push(this.expr());
        }
        this.expectPunct(')');
        return { kind: 'func' as const, name: t.text, args, pos: posOf(t) };
      });
    }
    return this.field();
  }

  private field(): FieldRef {
    const t = this.next();
    if (t.kind !== 'ident') throw dslError(`expected a field name, found ${describe(t)}`, t);
    const parts = [t.text];
    while (this.acceptPunct('.')) {
      const p = this.next();
      if (p.kind !== 'ident') throw dslError(`expected a field name after '.', found ${describe(p)}`, p);
      parts.push(p.text);
    }
    return { kind: 'field', parts, pos: posOf(t) };
  }

  /** Runs one level of recursion, refusing to go deeper than MAX_DEPTH. */
  private nested<T>(at: Token, body: () => T): T {
    if (++this.depth > MAX_DEPTH) throw dslError(`nesting deeper than ${MAX_DEPTH} levels`, at);
    try {
      return body();
    } finally {
      this.depth--;
    }
  }

  private peek(): Token {
    return this.tokens[this.i]!;
  }

  private next(): Token {
    const t = this.tokens[this.i]!;
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  private peekKeyword(k: string): boolean {
    const t = this.peek();
    return t.kind === 'keyword' && t.text === k;
  }

  private acceptKeyword(k: string): boolean {
    if (!this.peekKeyword(k)) return false;
    this.i++;
    return true;
  }

  private expectKeyword(k: string): void {
    const t = this.peek();
    if (!this.acceptKeyword(k)) throw dslError(`expected ${k}, found ${describe(t)}`, t);
  }

  private acceptPunct(p: string): boolean {
    const t = this.peek();
    if (t.kind !== 'punct' || t.text !== p) return false;
    this.i++;
    return true;
  }

  private expectPunct(p: string): void {
    const t = this.peek();
    if (!this.acceptPunct(p)) throw dslError(`expected '${p}', found ${describe(t)}`, t);
  }
}

function posOf(t: Token): Pos {
  return { line: t.line, column: t.column };
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of query';
    case 'string':
      return 'a string';
    case 'keyword':
      return `keyword ${t.text}`;
    default:
      return `'${t.text}'`;
  }
}
