/**
 * Parquet writer, written from the format spec (parquet-format's parquet.thrift):
 * - every column is OPTIONAL (max definition level 1, so nulls cost one bit-ish, not a sentinel);
 * - one uncompressed v1 data page per column chunk, PLAIN values, definition levels in the
 *   RLE/bit-packed hybrid (RLE runs only), no repetition levels;
 * - one row group per chunk of the source (or per `rowGroupSize` rows for writeParquet);
 * - file metadata in the Thrift compact protocol.
 * Types: float64 → DOUBLE; int64 → INT64; utf8 → BYTE_ARRAY + STRING; bool → BOOLEAN;
 * timestamp_ms → INT64 + TIMESTAMP(isAdjustedToUTC, MILLIS).
 * No I/O: it returns Buffers so the caller can write a file or stream an HTTP response.
 */
import { assertSameSpec, isMissing, rowCount, sliceTable, specOf, toInt64, toMillis, type Column, type ColumnSpec, type ColumnTable, type ColumnType, type TableSource } from './table.js';
import { bin, bool, encodeStruct, i32, i64, list, struct, type TValue } from './thrift.js';

const MAGIC = Buffer.from('PAR1', 'ascii');

// parquet.thrift enums
const PHYSICAL: Record<ColumnType, number> = { bool: 0, int64: 2, timestamp_ms: 2, float64: 5, utf8: 6 };
const OPTIONAL = 1;
const ENC_PLAIN = 0;
const ENC_RLE = 3;
const CONVERTED_UTF8 = 0;
const CONVERTED_TIMESTAMP_MILLIS = 9;
const PAGE_DATA = 0;
const CODEC_UNCOMPRESSED = 0;

export interface ParquetOptions {
  /** Rows per row group for writeParquet; default 65536. */
  readonly rowGroupSize?: number;
  /** Extra key/value pairs for the file metadata. */
  readonly metadata?: Readonly<Record<string, string>>;
}

function schemaElement(c: ColumnSpec): TValue {
  const converted = c.type === 'utf8' ? CONVERTED_UTF8 : c.type === 'timestamp_ms' ? CONVERTED_TIMESTAMP_MILLIS : undefined;
  // LogicalType union: 1 STRING (empty struct), 8 TIMESTAMP {1 isAdjustedToUTC, 2 unit: TimeUnit{1 MILLIS}}
  const logical =
    c.type === 'utf8' ? struct([1, struct()]) : c.type === 'timestamp_ms' ? struct([8, struct([1, bool(true)], [2, struct([1, struct()])])]) : undefined;
  return struct(
    [1, i32(PHYSICAL[c.type])],
    [3, i32(OPTIONAL)],
    [4, bin(c.name)],
    [6, converted === undefined ? undefined : i32(converted)],
    [10, logical],
  );
}

/** RLE/bit-packed hybrid with bit width 1, written as RLE runs only; prefixed by its byte length. */
function definitionLevels(present: readonly boolean[]): Buffer {
  const bytes: number[] = [];
  let i = 0;
  while (i < present.length) {
    let j = i + 1;
    while (j < present.length && present[j] === present[i]) j++;
    let header = (j - i) * 2; // run length << 1, low bit 0 = RLE run
    while (header >= 0x80) {
      bytes.push((header & 0x7f) | 0x80);
      header = Math.floor(header / 128);
    }
    bytes.push(header, present[i] ? 1 : 0);
    i = j;
  }
  const out = Buffer.alloc(4 + bytes.length);
  out.writeUInt32LE(bytes.length, 0);
  Buffer.from(bytes).copy(out, 4);
  return out;
}

/** PLAIN encoding of the non-null values of one column. */
function plainValues(c: Column): Buffer {
  const vals = c.values.filter((v) => !isMissing(v));
  switch (c.type) {
    case 'float64': {
      const b = Buffer.alloc(8 * vals.length);
      vals.forEach((v, i) => b.writeDoubleLE(v as number, i * 8));
      return b;
    }
    case 'int64':
    case 'timestamp_ms': {
      const b = Buffer.alloc(8 * vals.length);
      vals.forEach((v, i) =>
        b.writeBigInt64LE(c.type === 'int64' ? toInt64(v as number | bigint, c.name) : BigInt(toMillis(v as number | Date, c.name)), i * 8),
      );
      return b;
    }
    case 'bool': {
      const b = Buffer.alloc(Math.ceil(vals.length / 8));
      vals.forEach((v, i) => {
        if (v) b[i >> 3]! |= 1 << (i & 7);
      });
      return b;
    }
    case 'utf8': {
      const parts: Buffer[] = [];
      for (const v of vals) {
        const s = Buffer.from(v as string, 'utf8');
        const len = Buffer.alloc(4);
        len.writeUInt32LE(s.length, 0);
        parts.push(len, s);
      }
      return Buffer.concat(parts);
    }
  }
}

/**
 * Incremental writer: start() → rowGroup()* → finish(). It only tracks offsets and metadata, so the
 * bytes can go straight to a socket.
 */
export class ParquetEncoder {
  private offset = 0;
  private rows = 0;
  private readonly groups: TValue[] = [];

  constructor(
    private readonly spec: readonly ColumnSpec[],
    private readonly metadata: Readonly<Record<string, string>> = {},
  ) {
    if (spec.length === 0) throw new Error('a Parquet file needs at least one column');
  }

  start(): Buffer {
    this.offset = MAGIC.length;
    return Buffer.from(MAGIC);
  }

  rowGroup(table: ColumnTable): Buffer {
    assertSameSpec(this.spec, table);
    const n = rowCount(table);
    if (n === 0) return Buffer.alloc(0);
    const groupStart = this.offset;
    const parts: Buffer[] = [];
    const chunks: TValue[] = [];
    for (const c of table.columns) {
      const values: readonly unknown[] = c.values;
      const present = values.map((v) => !isMissing(v));
      const body = Buffer.concat([definitionLevels(present), plainValues(c)]);
      const nulls = present.filter((p) => !p).length;
      const header = Buffer.from(
        encodeStruct(
          struct(
            [1, i32(PAGE_DATA)],
            [2, i32(body.length)],
            [3, i32(body.length)],
            [5, struct([1, i32(n)], [2, i32(ENC_PLAIN)], [3, i32(ENC_RLE)], [4, i32(ENC_RLE)])],
          ),
        ),
      );
      const pageOffset = this.offset;
      const size = header.length + body.length;
      parts.push(header, body);
      this.offset += size;
      const meta = struct(
        [1, i32(PHYSICAL[c.type])],
        [2, list('i32', [i32(ENC_PLAIN), i32(ENC_RLE)])],
        [3, list('binary', [bin(c.name)])],
        [4, i32(CODEC_UNCOMPRESSED)],
        [5, i64(n)],
        [6, i64(size)],
        [7, i64(size)],
        [9, i64(pageOffset)],
        [12, struct([3, i64(nulls)])], // Statistics.null_count
      );
      chunks.push(struct([2, i64(pageOffset)], [3, meta]));
    }
    const bytes = this.offset - groupStart;
    this.groups.push(struct([1, list('struct', chunks)], [2, i64(bytes)], [3, i64(n)], [5, i64(groupStart)], [6, i64(bytes)]));
    this.rows += n;
    return Buffer.concat(parts);
  }

  finish(): Buffer {
    const root = struct([4, bin('schema')], [5, i32(this.spec.length)]);
    const kv = Object.entries(this.metadata).map(([k, v]) => struct([1, bin(k)], [2, bin(v)]));
    const footer = Buffer.from(
      encodeStruct(
        struct(
          [1, i32(1)],
          [2, list('struct', [root, ...this.spec.map(schemaElement)])],
          [3, i64(this.rows)],
          [4, list('struct', this.groups)],
          [5, kv.length ? list('struct', kv) : undefined],
          [6, bin('colony')],
        ),
      ),
    );
    const len = Buffer.alloc(4);
    len.writeUInt32LE(footer.length, 0);
    return Buffer.concat([footer, len, MAGIC]);
  }
}

/** One Parquet file in one Buffer, split into row groups of `rowGroupSize` rows. */
export function writeParquet(table: ColumnTable, options: ParquetOptions = {}): Buffer {
  const size = options.rowGroupSize ?? 65536;
  if (!Number.isInteger(size) || size < 1) throw new Error('rowGroupSize must be a positive integer');
  const enc = new ParquetEncoder(specOf(table), options.metadata);
  const parts = [enc.start()];
  const n = rowCount(table);
  for (let start = 0; start < n; start += size) parts.push(enc.rowGroup(sliceTable(table, start, Math.min(n, start + size))));
  parts.push(enc.finish());
  return Buffer.concat(parts);
}

/** Streams a Parquet file: one row group per chunk of the source. `schema` is needed if it may be empty. */
export async function* parquetStream(
  source: TableSource,
  options: { schema?: readonly ColumnSpec[]; metadata?: Readonly<Record<string, string>> } = {},
): AsyncGenerator<Buffer> {
  let enc = options.schema ? new ParquetEncoder(options.schema, options.metadata) : undefined;
  if (enc) yield enc.start();
  for await (const table of source) {
    if (!enc) {
      enc = new ParquetEncoder(specOf(table), options.metadata);
      yield enc.start();
    }
    const bytes = enc.rowGroup(table);
    if (bytes.length) yield bytes;
  }
  if (!enc) throw new Error('parquetStream: empty source and no schema given');
  yield enc.finish();
}
