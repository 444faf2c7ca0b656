/**
 * A minimal Thrift compact-protocol encoder: just enough to write Parquet's file metadata and page
 * headers (structs, lists, i32/i64, binary, bool). Values are described as data (TValue) and encoded
 * in one pass, which keeps field ids next to their values where the Parquet spec can be checked.
 */

export type TValue =
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'i32'; readonly v: number }
  | { readonly t: 'i64'; readonly v: number | bigint }
  | { readonly t: 'binary'; readonly v: Uint8Array | string }
  | { readonly t: 'struct'; readonly fields: readonly TField[] }
  | { readonly t: 'list'; readonly items: readonly TValue[]; readonly elem: 'i32' | 'i64' | 'binary' | 'struct' };

/** [field id, value]; undefined values are optional fields left out. */
export type TField = readonly [number, TValue | undefined];

export const i32 = (v: number): TValue => ({ t: 'i32', v });
export const i64 = (v: number | bigint): TValue => ({ t: 'i64', v });
export const bin = (v: Uint8Array | string): TValue => ({ t: 'binary', v });
export const bool = (v: boolean): TValue => ({ t: 'bool', v });
export const struct = (...fields: TField[]): TValue => ({ t: 'struct', fields });
export const list = (elem: 'i32' | 'i64' | 'binary' | 'struct', items: readonly TValue[]): TValue => ({ t: 'list', elem, items });

// Compact protocol type ids.
const TYPE_ID = { true: 1, false: 2, i32: 5, i64: 6, binary: 8, list: 9, struct: 12 } as const;

class Out {
  private readonly bytes: number[] = [];

  byte(b: number): void {
    this.bytes.push(b & 0xff);
  }

  varint(v: bigint): void {
    let x = v;
    while (x >= 0x80n) {
      this.byte(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.byte(Number(x));
  }

  zigzag(v: number | bigint): void {
    const b = BigInt(v);
    this.varint(BigInt.asUintN(64, (b << 1n) ^ (b >> 63n)));
  }

  raw(data: Uint8Array): void {
    for (const b of data) this.bytes.push(b);
  }

  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

function typeId(v: TValue): number {
  return v.t === 'bool' ? (v.v ? TYPE_ID.true : TYPE_ID.false) : TYPE_ID[v.t];
}

function writeValue(out: Out, v: TValue): void {
  switch (v.t) {
    case 'bool':
      out.byte(v.v ? 1 : 0); // only reached inside lists; struct fields carry bools in the type nibble
      return;
    case 'i32':
    case 'i64':
      out.zigzag(v.v);
      return;
    case 'binary': {
      const data = typeof v.v === 'string' ? new TextEncoder().encode(v.v) : v.v;
      out.varint(BigInt(data.length));
      out.raw(data);
      return;
    }
    case 'list': {
      const elem = TYPE_ID[v.elem];
      if (v.items.length < 15) out.byte((v.items.length << 4) | elem);
      else {
        out.byte(0xf0 | elem);
        out.varint(BigInt(v.items.length));
      }
      for (const item of v.items) {
        if (item.t !== v.elem) throw new Error(`list of ${v.elem} holds a ${item.t}`);
        writeValue(out, item);
      }
      return;
    }
    case 'struct': {
      let last = 0;
      for (const [id, fv] of v.fields) {
        if (fv === undefined) continue;
        if (id <= last) throw new Error(`thrift field ids must increase (${id} after ${last})`);
        const delta = id - last;
        if (delta <= 15) out.byte((delta << 4) | typeId(fv));
        else {
          out.byte(typeId(fv));
          out.zigzag(id);
        }
        if (fv.t !== 'bool') writeValue(out, fv);
        last = id;
      }
      out.byte(0); // STOP
      return;
    }
  }
}

/** Encodes a struct (the only top-level Thrift value Parquet uses). */
export function encodeStruct(value: TValue): Uint8Array {
  if (value.t !== 'struct') throw new Error('top-level thrift value must be a struct');
  const out = new Out();
  writeValue(out, value);
  return out.done();
}
