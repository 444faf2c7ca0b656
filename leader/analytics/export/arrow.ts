/**
 * Arrow IPC writer (columnar format spec, metadata version V5), for both the stream format (schema
 * message, record batch messages, end-of-stream marker) and the file format (`ARROW1` magic, the
 * stream, a Footer with the schema and the batches' Blocks, footer length, magic). The reference
 * export (§8) uses the file format; the stream format suits HTTP streaming.
 *
 * Types: float64 → FloatingPoint(DOUBLE); int64 → Int(64, signed); utf8 → Utf8 (int32 offsets);
 * bool → Bool; timestamp_ms → Timestamp(MILLISECOND, "UTC"). Every field is nullable; a validity
 * bitmap is written only when the batch has nulls. Body buffers are padded to 8 bytes.
 */
import { finishRoot, ref, refs, scalar, str, structs, table, type FbObject } from './flatbuf.js';
import { assertSameSpec, isMissing, rowCount, sliceTable, specOf, toInt64, toMillis, type Column, type ColumnSpec, type ColumnTable, type TableSource } from './table.js';

const METADATA_V5 = 4;
const HEADER_SCHEMA = 1;
const HEADER_RECORD_BATCH = 3;
// Type union ids
const TYPE_ID: Record<ColumnSpec['type'], number> = { int64: 2, float64: 3, utf8: 5, bool: 6, timestamp_ms: 10 };
const CONTINUATION = 0xffffffff;
const FILE_MAGIC = Buffer.from('ARROW1', 'ascii');

function typeTable(type: ColumnSpec['type']): FbObject {
  switch (type) {
    case 'int64':
      return table(scalar('i32', 64), scalar('bool', true));
    case 'float64':
      return table(scalar('i16', 2)); // Precision.DOUBLE
    case 'timestamp_ms':
      return table(scalar('i16', 1), str('UTC')); // TimeUnit.MILLISECOND
    case 'utf8':
    case 'bool':
      return table();
  }
}

function schemaTable(spec: readonly ColumnSpec[]): FbObject {
  const fields = spec.map((c) =>
    table(str(c.name), scalar('bool', true), scalar('u8', TYPE_ID[c.type]), ref(typeTable(c.type)), undefined, refs([])),
  );
  return table(scalar('i16', 0), refs(fields)); // Endianness.Little
}

/** Wraps a flatbuffer Message as an encapsulated IPC message: continuation, length, padded metadata, body. */
function encapsulate(header: number, headerTable: FbObject, body: Buffer): { bytes: Buffer; metaLength: number } {
  const meta = finishRoot(table(scalar('i16', METADATA_V5), scalar('u8', header), ref(headerTable), scalar('i64', BigInt(body.length))));
  const padded = Math.ceil((8 + meta.length) / 8) * 8 - 8;
  const prefix = Buffer.alloc(8 + padded);
  prefix.writeUInt32LE(CONTINUATION, 0);
  prefix.writeInt32LE(padded, 4);
  meta.copy(prefix, 8);
  return { bytes: Buffer.concat([prefix, body]), metaLength: prefix.length };
}

function validity(values: readonly unknown[]): Buffer {
  const bits = Buffer.alloc(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (!isMissing(v)) bits[i >> 3]! |= 1 << (i & 7);
  });
  return bits;
}

function dataBuffers(c: Column, n: number): Buffer[] {
  switch (c.type) {
    case 'float64': {
      const b = Buffer.alloc(8 * n);
      c.values.forEach((v, i) => b.writeDoubleLE(isMissing(v) ? 0 : v, i * 8));
      return [b];
    }
    case 'int64': {
      const b = Buffer.alloc(8 * n);
      c.values.forEach((v, i) => b.writeBigInt64LE(isMissing(v) ? 0n : toInt64(v, c.name), i * 8));
      return [b];
    }
    case 'timestamp_ms': {
      const b = Buffer.alloc(8 * n);
      c.values.forEach((v, i) => b.writeBigInt64LE(isMissing(v) ? 0n : BigInt(toMillis(v, c.name)), i * 8));
      return [b];
    }
    case 'bool': {
      const b = Buffer.alloc(Math.ceil(n / 8));
      c.values.forEach((v, i) => {
        if (v) b[i >> 3]! |= 1 << (i & 7);
      });
      return [b];
    }
    case 'utf8': {
      const offsets = Buffer.alloc(4 * (n + 1));
      const parts: Buffer[] = [];
      let total = 0;
      c.values.forEach((v, i) => {
        if (!isMissing(v)) {
          const s = Buffer.from(v, 'utf8');
          parts.push(s);
          total += s.length;
        }
        if (total > 0x7fffffff) throw new Error(`column ${c.name}: more than 2 GiB of text in one batch`);
        offsets.writeInt32LE(total, 4 * (i + 1));
      });
      return [offsets, Buffer.concat(parts)];
    }
  }
}

function recordBatch(t: ColumnTable): { header: FbObject; body: Buffer } {
  const n = rowCount(t);
  const nodes = Buffer.alloc(16 * t.columns.length);
  const bufferDescs: Array<[number, number]> = [];
  const body: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer) => {
    bufferDescs.push([offset, b.length]);
    const pad = (8 - (b.length % 8)) % 8;
    body.push(b, Buffer.alloc(pad));
    offset += b.length + pad;
  };
  t.columns.forEach((c, i) => {
    const values: readonly unknown[] = c.values;
    const nulls = values.filter(isMissing).length;
    nodes.writeBigInt64LE(BigInt(n), 16 * i);
    nodes.writeBigInt64LE(BigInt(nulls), 16 * i + 8);
    push(nulls ? validity(values) : Buffer.alloc(0));
    for (const b of dataBuffers(c, n)) push(b);
  });
  const buffers = Buffer.alloc(16 * bufferDescs.length);
  bufferDescs.forEach(([o, l], i) => {
    buffers.writeBigInt64LE(BigInt(o), 16 * i);
    buffers.writeBigInt64LE(BigInt(l), 16 * i + 8);
  });
  return {
    header: table(scalar('i64', BigInt(n)), structs(nodes, t.columns.length), structs(buffers, bufferDescs.length)),
    body: Buffer.concat(body),
  };
}

export type ArrowFormat = 'file' | 'stream';

/**
 * Incremental writer: start() → batch()* → finish(). In file format it remembers each message's
 * Block (offset, metadata length, body length) for the footer.
 */
export class ArrowEncoder {
  private offset = 0;
  private readonly blocks: Array<{ offset: number; metaLength: number; bodyLength: number }> = [];

  constructor(
    private readonly spec: readonly ColumnSpec[],
    private readonly format: ArrowFormat,
  ) {}

  start(): Buffer {
    const parts: Buffer[] = [];
    if (this.format === 'file') parts.push(FILE_MAGIC, Buffer.alloc(2));
    parts.push(encapsulate(HEADER_SCHEMA, schemaTable(this.spec), Buffer.alloc(0)).bytes);
    return this.track(Buffer.concat(parts));
  }

  batch(t: ColumnTable): Buffer {
    assertSameSpec(this.spec, t);
    const { header, body } = recordBatch(t);
    const msg = encapsulate(HEADER_RECORD_BATCH, header, body);
    this.blocks.push({ offset: this.offset, metaLength: msg.metaLength, bodyLength: body.length });
    return this.track(msg.bytes);
  }

  finish(): Buffer {
    const eos = Buffer.alloc(8);
    eos.writeUInt32LE(CONTINUATION, 0);
    if (this.format === 'stream') return this.track(eos);
    const blocks = Buffer.alloc(24 * this.blocks.length);
    this.blocks.forEach((b, i) => {
      blocks.writeBigInt64LE(BigInt(b.offset), 24 * i);
      blocks.writeInt32LE(b.metaLength, 24 * i + 8);
      blocks.writeBigInt64LE(BigInt(b.bodyLength), 24 * i + 16);
    });
    const footer = finishRoot(
      table(scalar('i16', METADATA_V5), ref(schemaTable(this.spec)), structs(Buffer.alloc(0), 0), structs(blocks, this.blocks.length)),
    );
    const len = Buffer.alloc(4);
    len.writeInt32LE(footer.length, 0);
    return this.track(Buffer.concat([eos, footer, len, FILE_MAGIC]));
  }

  private track(b: Buffer): Buffer {
    this.offset += b.length;
    return b;
  }
}

export interface ArrowOptions {
  /** Rows per record batch; default 65536. */
  readonly batchSize?: number;
}

function writeArrow(t: ColumnTable, format: ArrowFormat, options: ArrowOptions): Buffer {
  const size = options.batchSize ?? 65536;
  if (!Number.isInteger(size) || size < 1) throw new Error('batchSize must be a positive integer');
  const enc = new ArrowEncoder(specOf(t), format);
  const parts = [enc.start()];
  const n = rowCount(t);
  for (let start = 0; start < n; start += size) parts.push(enc.batch(sliceTable(t, start, Math.min(n, start + size))));
  parts.push(enc.finish());
  return Buffer.concat(parts);
}

/** Arrow IPC file format (what the reference's `format="arrow"` export produces). */
export function writeArrowFile(t: ColumnTable, options: ArrowOptions = {}): Buffer {
  return writeArrow(t, 'file', options);
}

/** Arrow IPC stream format. */
export function writeArrowStream(t: ColumnTable, options: ArrowOptions = {}): Buffer {
  return writeArrow(t, 'stream', options);
}

/** Streams Arrow IPC (either format), one record batch per non-empty chunk of the source. */
export async function* arrowStream(
  source: TableSource,
  options: { format?: ArrowFormat; schema?: readonly ColumnSpec[] } = {},
): AsyncGenerator<Buffer> {
  const format = options.format ?? 'stream';
  let enc = options.schema ? new ArrowEncoder(options.schema, format) : undefined;
  if (enc) yield enc.start();
  for await (const t of source) {
    if (!enc) {
      enc = new ArrowEncoder(specOf(t), format);
      yield enc.start();
    }
    if (rowCount(t) > 0) yield enc.batch(t);
  }
  if (!enc) throw new Error('arrowStream: empty source and no schema given');
  yield enc.finish();
}
