/**
 * The columnar table every export writer takes: a list of equally long, typed columns. Columnar
 * because Parquet and Arrow are columnar, and because a chunk of query results converts to it once
 * and then feeds CSV, Parquet and Arrow alike. `null`/`undefined` is a missing value in any column.
 */

export type ColumnType = 'float64' | 'int64' | 'utf8' | 'timestamp_ms' | 'bool';

type Values<T> = readonly (T | null | undefined)[];

export type Column =
  | { readonly name: string; readonly type: 'float64'; readonly values: Values<number> }
  /** Numbers must be safe integers; bigint covers the full int64 range. */
  | { readonly name: string; readonly type: 'int64'; readonly values: Values<number | bigint> }
  | { readonly name: string; readonly type: 'utf8'; readonly values: Values<string> }
  /** Milliseconds since the Unix epoch (UTC), or a Date. */
  | { readonly name: string; readonly type: 'timestamp_ms'; readonly values: Values<number | Date> }
  | { readonly name: string; readonly type: 'bool'; readonly values: Values<boolean> };

export interface ColumnTable {
  readonly columns: readonly Column[];
}

/** Name and type only: what a stream's chunks must all agree on. */
export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
}

export function specOf(table: ColumnTable): ColumnSpec[] {
  return table.columns.map((c) => ({ name: c.name, type: c.type }));
}

/** Checks the table is well formed and returns its row count. */
export function rowCount(table: ColumnTable): number {
  const names = new Set<string>();
  let n: number | undefined;
  for (const c of table.columns) {
    if (!c.name) throw new Error('column name must not be empty');
    if (names.has(c.name)) throw new Error(`duplicate column name ${JSON.stringify(c.name)}`);
    names.add(c.name);
    if (n === undefined) n = c.values.length;
    else if (c.values.length !== n) throw new Error(`column ${JSON.stringify(c.name)} has ${c.values.length} values, expected ${n}`);
  }
  return n ?? 0;
}

/** Throws unless every chunk of a stream has the schema of the first one. */
export function assertSameSpec(expected: readonly ColumnSpec[], table: ColumnTable): void {
  const got = specOf(table);
  const same = got.length === expected.length && got.every((c, i) => c.name === expected[i]!.name && c.type === expected[i]!.type);
  if (!same) throw new Error(`chunk schema ${JSON.stringify(got)} differs from the stream's ${JSON.stringify(expected)}`);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function toInt64(v: number | bigint, column: string): bigint {
  if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new Error(`column ${column}: ${v} is not a safe integer`);
  const b = BigInt(v);
  if (b < INT64_MIN || b > INT64_MAX) throw new Error(`column ${column}: ${v} is outside int64`);
  return b;
}

export function toMillis(v: number | Date, column: string): number {
  const ms = typeof v === 'number' ? v : v.getTime();
  if (!Number.isSafeInteger(ms)) throw new Error(`column ${column}: timestamp ${String(v)} is not whole milliseconds`);
  return ms;
}

export function isMissing(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

/** Rows [start, end) of every column, for splitting a table into row groups or record batches. */
export function sliceTable(table: ColumnTable, start: number, end: number): ColumnTable {
  return { columns: table.columns.map((c) => ({ ...c, values: c.values.slice(start, end) }) as Column) };
}

export type TableSource = Iterable<ColumnTable> | AsyncIterable<ColumnTable>;
