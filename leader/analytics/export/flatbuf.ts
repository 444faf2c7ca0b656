/**
 * A tiny FlatBuffers serializer, enough for Arrow IPC metadata (Schema, RecordBatch, Footer).
 *
 * Unlike the official builder (which writes back to front), this lays the buffer out front to back:
 * root offset, then each table's vtable immediately before the table, then the table's children.
 * That is valid FlatBuffers: uoffsets point forward (children come after their parent) and a
 * table's soffset to its vtable may have either sign. Objects are aligned to their largest scalar
 * (8 for int64 and for the 16/24-byte Arrow structs), relative to the buffer start, so the buffer
 * must be placed at an 8-aligned position (Arrow IPC guarantees that).
 */

export type FbScalarKind = 'u8' | 'bool' | 'i16' | 'i32' | 'i64';

export type FbField =
  | { readonly kind: FbScalarKind; readonly value: number | bigint | boolean }
  | { readonly kind: 'ref'; readonly target: FbObject };

export type FbObject =
  | { readonly kind: 'table'; readonly fields: readonly (FbField | undefined)[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'refs'; readonly items: readonly FbObject[] }
  /** A vector of fixed-size structs, already encoded little-endian. */
  | { readonly kind: 'structs'; readonly bytes: Uint8Array; readonly count: number; readonly align: number };

export const table = (...fields: (FbField | undefined)[]): FbObject => ({ kind: 'table', fields });
export const str = (value: string): FbField => ({ kind: 'ref', target: { kind: 'string', value } });
export const ref = (target: FbObject): FbField => ({ kind: 'ref', target });
export const refs = (items: readonly FbObject[]): FbField => ({ kind: 'ref', target: { kind: 'refs', items } });
export const structs = (bytes: Uint8Array, count: number, align = 8): FbField => ({ kind: 'ref', target: { kind: 'structs', bytes, count, align } });
export const scalar = (kind: FbScalarKind, value: number | bigint | boolean): FbField => ({ kind, value });

const SIZE: Record<FbScalarKind | 'ref', number> = { u8: 1, bool: 1, i16: 2, i32: 4, i64: 8, ref: 4 };

class Writer {
  private buf = Buffer.alloc(256);
  pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next);
    this.buf = next;
  }

  align(n: number): void {
    const pad = (n - (this.pos % n)) % n;
    this.ensure(pad);
    this.pos += pad; // Buffer.alloc zero-fills
  }

  skip(n: number): number {
    this.ensure(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  get data(): Buffer {
    return this.buf;
  }

  result(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

function writeScalar(buf: Buffer, at: number, kind: FbScalarKind, value: number | bigint | boolean): void {
  switch (kind) {
    case 'u8':
    case 'bool':
      buf.writeUInt8(Number(value), at);
      return;
    case 'i16':
      buf.writeInt16LE(Number(value), at);
      return;
    case 'i32':
      buf.writeInt32LE(Number(value), at);
      return;
    case 'i64':
      buf.writeBigInt64LE(BigInt(value), at);
      return;
  }
}

function place(w: Writer, obj: FbObject): number {
  switch (obj.kind) {
    case 'string': {
      const bytes = Buffer.from(obj.value, 'utf8');
      w.align(4);
      const at = w.skip(4 + bytes.length + 1);
      w.data.writeUInt32LE(bytes.length, at);
      bytes.copy(w.data, at + 4);
      return at;
    }
    case 'structs': {
      // the element data (after the 4-byte length) must be aligned to the struct's alignment
      w.align(Math.max(4, obj.align));
      if (obj.align > 4) w.skip((obj.align - 4) % obj.align);
      const at = w.skip(4 + obj.bytes.length);
      w.data.writeUInt32LE(obj.count, at);
      Buffer.from(obj.bytes).copy(w.data, at + 4);
      return at;
    }
    case 'refs': {
      w.align(4);
      const at = w.skip(4 + 4 * obj.items.length);
      w.data.writeUInt32LE(obj.items.length, at);
      obj.items.forEach((item, i) => {
        const slot = at + 4 + 4 * i;
        const target = place(w, item);
        w.data.writeUInt32LE(target - slot, slot);
      });
      return at;
    }
    case 'table':
      return placeTable(w, obj.fields);
  }
}

function placeTable(w: Writer, fields: readonly (FbField | undefined)[]): number {
  // inline layout: soffset first, then fields largest-first so each is naturally aligned
  const order = fields
    .map((f, id) => ({ f, id }))
    .filter((x): x is { f: FbField; id: number } => x.f !== undefined)
    .sort((a, b) => SIZE[b.f.kind] - SIZE[a.f.kind]);
  const maxAlign = Math.max(4, ...order.map((x) => SIZE[x.f.kind]));
  const offsets = new Map<number, number>();
  let size = 4;
  for (const { f, id } of order) {
    const s = SIZE[f.kind];
    size = Math.ceil(size / s) * s;
    offsets.set(id, size);
    size += s;
  }
  const vtLen = 4 + 2 * fields.length;
  w.align(2);
  const vt = w.skip(vtLen);
  w.data.writeUInt16LE(vtLen, vt);
  w.data.writeUInt16LE(size, vt + 2);
  fields.forEach((_f, id) => w.data.writeUInt16LE(offsets.get(id) ?? 0, vt + 4 + 2 * id));
  w.align(maxAlign);
  const at = w.skip(size);
  w.data.writeInt32LE(at - vt, at);
  for (const { f, id } of order) {
    if (f.kind !== 'ref') writeScalar(w.data, at + offsets.get(id)!, f.kind, f.value);
  }
  for (const { f, id } of order) {
    if (f.kind !== 'ref') continue;
    const slot = at + offsets.get(id)!;
    const target = place(w, f.target);
    w.data.writeUInt32LE(target - slot, slot);
  }
  return at;
}

/** Serializes a root table; the result starts with the root uoffset. */
export function finishRoot(root: FbObject): Buffer {
  if (root.kind !== 'table') throw new Error('flatbuffer root must be a table');
  const w = new Writer();
  w.skip(4);
  const at = place(w, root);
  w.data.writeUInt32LE(at, 0);
  w.align(8);
  return w.result();
}
