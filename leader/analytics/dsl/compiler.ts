/**
 * Compiles a DSL AST to parameterised SQLite SQL over ANALYTICS_SCHEMA (schema.ts).
 *
 * Injection defence, as in the reference: nothing the user typed is interpolated. Literals (and the
 * LIMIT, batch id, profile id, phase names and telemetry variable names) become `?` parameters;
 * identifiers only reach SQL after being resolved against the schema's allow-list, and are then
 * emitted in their canonical spelling from the schema, double-quoted; operators and ORDER directions
 * come from fixed sets.
 *
 * Reference QUIRKs (§6) and how they are fixed here:
 * (a) JOINs are collected while compiling *every* clause (SELECT, WHERE, GROUP BY, ORDER BY, the
 *     `batches[…]` filter) and assembled only at the end, so a domain function used only in WHERE
 *     still gets its JOIN.
 * (b) Each clause compiles to a fragment carrying its own params; the final SQL concatenates
 *     fragments and params in the same order (SELECT, JOINs, WHERE, GROUP BY, ORDER BY, LIMIT), so
 *     placeholders and params always agree.
 * (c) JOINs are keyed by (table, phase): two phase_duration calls with different phases get two
 *     JOINs with distinct aliases (p0, p1) and one param each; the same phase twice shares one JOIN.
 * (d) growth_rate() and yield_coefficient() both read batch_metrics for a phase (default
 *     "exponential", optional first argument), so they share one alias per phase instead of
 *     declaring alias `m` twice. Restricting to one phase also keeps one metrics row per batch.
 * (e), (f) see schema.ts: the tables exist, and the catalogue columns are named as the DSL uses them.
 * Also fixed: the `batches[cond]` filter, which the reference parsed but ignored, is ANDed into WHERE.
 */
import type { CompareOp, Cond, Expr, FieldRef, Query, SelectItem } from './ast.js';
import { dslError, type Pos } from './errors.js';
import { DEFAULT_TELEMETRY_VARIABLES, FIELD_ALIASES, tableDef } from './schema.js';

export interface CompiledQuery {
  readonly sql: string;
  readonly params: unknown[];
}

export interface CompileOptions {
  /** Telemetry variables a bare identifier may name; defaults to DEFAULT_TELEMETRY_VARIABLES. */
  readonly telemetryVariables?: readonly string[];
}

interface Frag {
  readonly sql: string;
  readonly params: readonly unknown[];
}

interface Join {
  readonly alias: string;
  readonly sql: string;
  readonly params: readonly unknown[];
}

const AGGREGATES: ReadonlySet<string> = new Set(['avg', 'min', 'max', 'sum', 'count']);
const OPS: ReadonlySet<CompareOp> = new Set<CompareOp>(['=', '!=', '<', '>', '<=', '>=', 'LIKE']);
const BATCH_QUALIFIERS: ReadonlySet<string> = new Set(['batch', 'batches', 'b']);
const GOLDEN_QUALIFIERS: ReadonlySet<string> = new Set(['golden_profile', 'golden_profiles', 'g']);
const TELEMETRY_COLUMNS: ReadonlySet<string> = new Set(['timestamp', 'elapsed_h']);
const SAFE_IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Double-quotes an identifier that has already passed the allow-list; the regex is a second guard. */
function quoteIdent(name: string): string {
  if (!SAFE_IDENT.test(name)) throw new Error(`invalid SQL identifier ${JSON.stringify(name)}`);
  return `"${name}"`;
}

export function compileAst(q: Query, options: CompileOptions = {}): CompiledQuery {
  return new Compiler(q, options.telemetryVariables ?? DEFAULT_TELEMETRY_VARIABLES).compile();
}

class Compiler {
  private readonly joins = new Map<string, Join>();
  private readonly counters = new Map<string, number>();
  private readonly selectAliases = new Set<string>();
  private readonly variables: ReadonlyMap<string, string>;
  private telemetryUse?: Pos;
  private readonly isGolden: boolean;
  private readonly catalogue: ReadonlySet<string>;

  constructor(
    private readonly q: Query,
    variables: readonly string[],
  ) {
    this.variables = new Map(variables.map((v) => [v.toLowerCase(), v]));
    this.isGolden = q.source.kind === 'golden_ref';
    this.catalogue = new Set(tableDef(this.isGolden ? 'golden_profiles' : 'batches').columns.map((c) => c.name));
  }

  compile(): CompiledQuery {
    const q = this.q;
    const select = this.selectList(q.select);
    const where: Frag[] = [];
    let from: string;
    if (q.source.kind === 'golden_ref') {
      from = 'golden_profiles g';
      where.push({ sql: 'g."id" = ?', params: [q.source.profileId] });
    } else {
      from = 'batches b';
      if (q.source.kind === 'single_batch') where.push({ sql: 'b."id" = ?', params: [q.source.batchId] });
      if (q.source.kind === 'all_batches' && q.source.filter) where.push(this.cond(q.source.filter));
    }
    if (q.where) where.push(this.cond(q.where));
    const group = q.groupBy?.map((f) => this.field(f, true));
    const order = q.orderBy ? this.field(q.orderBy.field, true) : undefined;
    if (this.telemetryUse && !this.counters.has('t')) {
      throw dslError('timestamp and elapsed_h need a telemetry variable (e.g. OD600) in the query', this.telemetryUse);
    }

    const parts: Frag[] = [join(select, ', ', 'SELECT '), { sql: ` FROM ${from}`, params: [] }];
    for (const j of this.joins.values()) parts.push({ sql: ` LEFT JOIN ${j.sql}`, params: j.params });
    if (where.length) parts.push(join(where, ' AND ', ' WHERE '));
    if (group) parts.push(join(group, ', ', ' GROUP BY '));
    if (order) parts.push({ sql: ` ORDER BY ${order.sql} ${q.orderBy!.dir === 'DESC' ? 'DESC' : 'ASC'}`, params: order.params });
    if (q.limit !== undefined) parts.push({ sql: ' LIMIT ?', params: [q.limit] });
    return { sql: parts.map((p) => p.sql).join(''), params: parts.flatMap((p) => p.params) };
  }

  private selectList(items: readonly SelectItem[]): Frag[] {
    const names = new Set<string>();
    return items.map((item) => {
      const frag = this.expr(item.expr, false);
      let name: string;
      if (item.alias !== undefined) {
        name = item.alias;
        if (names.has(name.toLowerCase())) throw dslError(`duplicate column name '${name}'`, item.pos);
        this.selectAliases.add(name.toLowerCase());
      } else {
        const base = defaultName(item.expr, this.variables);
        name = base;
        for (let n = 2; names.has(name.toLowerCase()); n++) name = `${base}_${n}`;
      }
      names.add(name.toLowerCase());
      return { sql: `${frag.sql} AS ${quoteIdent(name)}`, params: frag.params };
    });
  }

  private cond(c: Cond): Frag {
    switch (c.kind) {
      case 'cmp': {
        if (!OPS.has(c.op)) throw dslError(`operator ${c.op} not allowed`, c.pos);
        const l = this.expr(c.left, false);
        const r = this.expr(c.right, false);
        return { sql: `${l.sql} ${c.op} ${r.sql}`, params: [...l.params, ...r.params] };
      }
      case 'and':
      case 'or': {
        const l = this.cond(c.left);
        const r = this.cond(c.right);
        return { sql: `(${l.sql} ${c.kind.toUpperCase()} ${r.sql})`, params: [...l.params, ...r.params] };
      }
      case 'not': {
        const x = this.cond(c.inner);
        return { sql: `NOT (${x.sql})`, params: x.params };
      }
    }
  }

  private expr(e: Expr, inAggregate: boolean): Frag {
    switch (e.kind) {
      case 'literal':
        return { sql: '?', params: [e.value] };
      case 'field':
        return this.field(e, false);
      case 'star':
        throw dslError('* is only allowed in count(*)', e.pos);
      case 'func':
        return this.func(e.name.toLowerCase(), e.args, e.pos, inAggregate);
    }
  }

  private func(name: string, args: readonly Expr[], pos: Pos, inAggregate: boolean): Frag {
    if (AGGREGATES.has(name)) {
      if (inAggregate) throw dslError(`aggregate ${name}() cannot be nested inside another aggregate`, pos);
      if (args.length === 0 || (args.length === 1 && args[0]!.kind === 'star')) {
        if (name !== 'count' && args.length > 0) throw dslError(`${name}(*) is not allowed; only count(*)`, pos);
        if (name !== 'count') throw dslError(`${name}() needs one argument`, pos);
        return { sql: 'COUNT(*)', params: [] };
      }
      if (args.length !== 1) throw dslError(`${name}() takes one argument, got ${args.length}`, pos);
      const inner = this.expr(args[0]!, true);
      return { sql: `${name.toUpperCase()}(${inner.sql})`, params: inner.params };
    }
    switch (name) {
      case 'growth_rate':
      case 'yield_coefficient': {
        const phase = this.phaseArg(name, args, pos, 'exponential');
        const alias = this.domainJoin('batch_metrics', 'm', phase, pos);
        return { sql: `${alias}."${name === 'growth_rate' ? 'mu' : 'yx_s'}"`, params: [] };
      }
      case 'phase_duration': {
        const phase = this.phaseArg(name, args, pos, undefined);
        const alias = this.domainJoin('phases', 'p', phase, pos);
        return { sql: `(${alias}."end_h" - ${alias}."start_h")`, params: [] };
      }
      case 'golden_score':
        // Scoring needs DTW over trajectories, which is not SQL; the caller post-processes this column.
        if (args.length) throw dslError('golden_score() takes no arguments', pos);
        return { sql: 'NULL', params: [] };
      default:
        throw dslError(`unknown function '${name}'`, pos);
    }
  }

  private phaseArg(name: string, args: readonly Expr[], pos: Pos, fallback: string | undefined): string {
    if (args.length === 0 && fallback !== undefined) return fallback;
    const a = args[0];
    if (args.length !== 1 || a?.kind !== 'literal' || typeof a.value !== 'string') {
      throw dslError(`${name}() takes ${fallback ? 'an optional' : 'one'} quoted phase name, e.g. ${name}("exponential")`, a?.pos ?? pos);
    }
    return a.value;
  }

  /** One LEFT JOIN per (table, phase), shared by every use; returns its alias. */
  private domainJoin(table: 'phases' | 'batch_metrics', prefix: string, phase: string, pos: Pos): string {
    if (this.isGolden) throw dslError(`this function needs a batch source, not golden_profile(…)`, pos);
    const key = `${table}:${phase}`;
    const found = this.joins.get(key);
    if (found) return found.alias;
    const alias = this.nextAlias(prefix);
    this.joins.set(key, { alias, sql: `${table} ${alias} ON ${alias}."batch_id" = b."id" AND ${alias}."phase" = ?`, params: [phase] });
    return alias;
  }

  /** Telemetry rows of one variable; the 2nd and later variables are matched on t0's timestamp. */
  private telemetryJoin(variable: string): string {
    const key = `telemetry:${variable}`;
    const found = this.joins.get(key);
    if (found) return found.alias;
    const alias = this.nextAlias('t');
    const sameTime = alias === 't0' ? '' : ` AND ${alias}."timestamp" = t0."timestamp"`;
    this.joins.set(key, { alias, sql: `telemetry ${alias} ON ${alias}."batch_id" = b."id" AND ${alias}."variable" = ?${sameTime}`, params: [variable] });
    return alias;
  }

  private nextAlias(prefix: string): string {
    const n = this.counters.get(prefix) ?? 0;
    this.counters.set(prefix, n + 1);
    return `${prefix}${n}`;
  }

  /** Resolves a field against the allow-lists; `allowAlias` lets GROUP/ORDER BY name a SELECT alias. */
  private field(f: FieldRef, allowAlias: boolean): Frag {
    const parts = f.parts.map((p) => p.toLowerCase());
    const shown = f.parts.join('.');
    if (parts.length === 1 && allowAlias && this.selectAliases.has(parts[0]!)) {
      return { sql: quoteIdent(f.parts[0]!), params: [] };
    }
    if (parts.length > 2) throw dslError(`unknown field '${shown}'`, f.pos);
    const qualifier = parts.length === 2 ? parts[0]! : undefined;
    const name = parts[parts.length - 1]!;
    const qualifiers = this.isGolden ? GOLDEN_QUALIFIERS : BATCH_QUALIFIERS;
    if (qualifier === undefined || qualifiers.has(qualifier)) {
      const column = this.isGolden ? name : (FIELD_ALIASES[name] ?? name);
      if (this.catalogue.has(column)) return { sql: `${this.isGolden ? 'g' : 'b'}.${quoteIdent(column)}`, params: [] };
    }
    if (!this.isGolden) {
      if ((qualifier === undefined || qualifier === 'telemetry') && TELEMETRY_COLUMNS.has(name)) {
        this.telemetryUse ??= f.pos;
        return { sql: `t0.${quoteIdent(name)}`, params: [] };
      }
      const variable = qualifier === undefined ? this.variables.get(name) : undefined;
      if (variable !== undefined) return { sql: `${this.telemetryJoin(variable)}."value"`, params: [] };
    }
    throw dslError(`unknown field '${shown}'`, f.pos);
  }
}

function join(frags: readonly Frag[], sep: string, prefix: string): Frag {
  return { sql: prefix + frags.map((f) => f.sql).join(sep), params: frags.flatMap((f) => f.params) };
}

function defaultName(e: Expr, variables: ReadonlyMap<string, string>): string {
  switch (e.kind) {
    case 'field': {
      const last = e.parts[e.parts.length - 1]!;
      return variables.get(last.toLowerCase()) ?? last.toLowerCase();
    }
    case 'func': {
      const name = e.name.toLowerCase();
      const arg = e.args[0];
      return AGGREGATES.has(name) && arg && arg.kind !== 'star' ? `${name}_${defaultName(arg, variables)}` : name;
    }
    default:
      return 'value';
  }
}
