/**
 * AST of the query DSL (reference §6). Every node keeps the position of its first token so the
 * compiler's errors (unknown identifier, wrong argument) can name a line and column too.
 */
import type { Pos } from './errors.js';

export type Expr = FuncCall | FieldRef | Literal | Star;

export interface FuncCall {
  readonly kind: 'func';
  readonly name: string;
  readonly args: readonly Expr[];
  readonly pos: Pos;
}

/** `strain`, `batch.name`, `b.id`: dotted parts, each already a valid identifier. */
export interface FieldRef {
  readonly kind: 'field';
  readonly parts: readonly string[];
  readonly pos: Pos;
}

export interface Literal {
  readonly kind: 'literal';
  readonly value: string | number;
  readonly pos: Pos;
}

/** Only valid as the sole argument of count(*). */
export interface Star {
  readonly kind: 'star';
  readonly pos: Pos;
}

export type CompareOp = '=' | '!=' | '<' | '>' | '<=' | '>=' | 'LIKE';

export type Cond =
  | { readonly kind: 'cmp'; readonly left: Expr; readonly op: CompareOp; readonly right: Expr; readonly pos: Pos }
  | { readonly kind: 'and' | 'or'; readonly left: Cond; readonly right: Cond; readonly pos: Pos }
  | { readonly kind: 'not'; readonly inner: Cond; readonly pos: Pos };

export interface SelectItem {
  readonly expr: Expr;
  readonly alias?: string;
  readonly pos: Pos;
}

export type Source =
  | { readonly kind: 'all_batches'; readonly filter?: Cond; readonly pos: Pos }
  | { readonly kind: 'single_batch'; readonly batchId: string; readonly pos: Pos }
  | { readonly kind: 'golden_ref'; readonly profileId: string; readonly pos: Pos };

export interface Query {
  readonly select: readonly SelectItem[];
  readonly source: Source;
  readonly where?: Cond;
  readonly groupBy?: readonly FieldRef[];
  readonly orderBy?: { readonly field: FieldRef; readonly dir: 'ASC' | 'DESC' };
  readonly limit?: number;
}
