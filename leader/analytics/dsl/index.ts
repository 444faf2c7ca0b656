/**
 * Public entry point of the analytics query DSL: text in, `{ sql, params }` out, ready for
 * better-sqlite3's `db.prepare(sql).all(...params)` on a database holding ANALYTICS_SCHEMA.
 * Pure: no I/O, no database handle.
 */
import { compileAst, type CompiledQuery, type CompileOptions } from './compiler.js';
import { parseQuery } from './parser.js';

export { DslError } from './errors.js';
export { parseQuery, MAX_DEPTH } from './parser.js';
export { tokenize } from './lexer.js';
export { compileAst, type CompiledQuery, type CompileOptions } from './compiler.js';
export { ANALYTICS_SCHEMA, analyticsSchemaSql, DEFAULT_TELEMETRY_VARIABLES, FIELD_ALIASES } from './schema.js';
export type * from './ast.js';

export function compileQuery(text: string, options: CompileOptions = {}): CompiledQuery {
  return compileAst(parseQuery(text), options);
}
