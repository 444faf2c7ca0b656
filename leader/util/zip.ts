/**
 * Streaming zip writer, so the leader can send a zip of per-experiment CSVs over HTTP without
 * holding the archive (or a temp file) in memory. Pure: it turns entries into Buffer chunks.
 *
 * - Entries whose data is a Buffer are written with CRC and sizes in the local header.
 * - Entries whose data is an (async) iterable of Buffers are written as they arrive, with flag bit 3
 *   and a data descriptor after the data; CRC-32 and sizes are computed on the fly.
 * - `deflate` compresses each chunk with deflateRawSync and Z_SYNC_FLUSH: every call yields complete,
 *   byte-aligned, non-final deflate blocks, so the outputs concatenate into one valid stream, closed
 *   by an empty final block. Memory stays bounded by one chunk.
 * - No zip64: an entry or archive past 4 GiB, or more than 65535 entries, is an error.
 * - Entry names are UTF-8 (flag bit 11) and must be relative paths without `..`, so an archive we
 *   produce cannot write outside the directory it is extracted into.
 * - The default modification time is 1980-01-01 (the DOS epoch), which keeps output deterministic;
 *   pass `mtime` to stamp real times.
 */
import { constants, deflateRawSync } from 'node:zlib';

export type ZipData = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

export interface ZipEntry {
  readonly name: string;
  readonly data: ZipData;
  /** Default 'deflate'. */
  readonly method?: 'store' | 'deflate';
  readonly mtime?: Date;
}

const LOCAL_SIG = 0x04034b50;
const DESCRIPTOR_SIG = 0x08074b50;
const CENTRAL_SIG = 0x02014b50;
const END_SIG = 0x06054b50;
const FLAG_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
const VERSION = 20; // 2.0: deflate and directories
const MAX32 = 0xffffffff;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as zip uses); pass the previous result to continue over several chunks. */
export function crc32(data: Uint8Array, previous = 0): number {
  let c = (previous ^ MAX32) >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ MAX32) >>> 0;
}

/** Throws unless `name` is a safe relative entry path. */
export function checkEntryName(name: string): void {
  const bad =
    name.length === 0 ||
    Buffer.byteLength(name) > 0xffff ||
    name.startsWith('/') ||
    /^[A-Za-z]:/.test(name) ||
    name.includes('\\') ||
    name.includes('\0') ||
    name.split('/').some((p) => p === '..' || p === '.');
  if (bad) throw new Error(`unsafe zip entry name ${JSON.stringify(name)}`);
}

function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.min(2107, Math.max(1980, d.getUTCFullYear()));
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    date: ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

/** What the central directory needs to know about one written entry. */
interface EntryRecord {
  name: Buffer;
  flags: number;
  method: number;
  time: number;
  date: number;
  crc: number;
  compressed: number;
  size: number;
  offset: number;
}

function localHeader(r: EntryRecord): Buffer {
  const h = Buffer.alloc(30);
  h.writeUInt32LE(LOCAL_SIG, 0);
  h.writeUInt16LE(VERSION, 4);
  h.writeUInt16LE(r.flags, 6);
  h.writeUInt16LE(r.method, 8);
  h.writeUInt16LE(r.time, 10);
  h.writeUInt16LE(r.date, 12);
  h.writeUInt32LE(r.crc, 14);
  h.writeUInt32LE(r.compressed, 18);
  h.writeUInt32LE(r.size, 22);
  h.writeUInt16LE(r.name.length, 26);
  h.writeUInt16LE(0, 28);
  return Buffer.concat([h, r.name]);
}

function centralHeader(r: EntryRecord): Buffer {
  const h = Buffer.alloc(46);
  h.writeUInt32LE(CENTRAL_SIG, 0);
  h.writeUInt16LE((3 << 8) | VERSION, 4); // made by: Unix, so the mode below is honoured
  h.writeUInt16LE(VERSION, 6);
  h.writeUInt16LE(r.flags, 8);
  h.writeUInt16LE(r.method, 10);
  h.writeUInt16LE(r.time, 12);
  h.writeUInt16LE(r.date, 14);
  h.writeUInt32LE(r.crc, 16);
  h.writeUInt32LE(r.compressed, 20);
  h.writeUInt32LE(r.size, 24);
  h.writeUInt16LE(r.name.length, 28);
  // extra length, comment length, disk number, internal attributes: 0
  h.writeUInt32LE((0o100644 << 16) >>> 0, 38); // regular file, rw-r--r--
  h.writeUInt32LE(r.offset, 42);
  return Buffer.concat([h, r.name]);
}

function isBytes(d: ZipData): d is Uint8Array {
  return d instanceof Uint8Array;
}

function checkSize(n: number, what: string): void {
  if (n > MAX32) throw new Error(`${what} exceeds 4 GiB (zip64 is not supported)`);
}

/** Yields the archive as Buffers: each entry's header, data (and descriptor), then the central directory. */
export async function* zipStream(entries: Iterable<ZipEntry> | AsyncIterable<ZipEntry>): AsyncGenerator<Buffer> {
  const records: EntryRecord[] = [];
  const names = new Set<string>();
  let offset = 0;
  for await (const entry of entries) {
    checkEntryName(entry.name);
    if (names.has(entry.name)) throw new Error(`duplicate zip entry ${JSON.stringify(entry.name)}`);
    names.add(entry.name);
    if (records.length === 0xffff) throw new Error('more than 65535 entries (zip64 is not supported)');
    const deflate = (entry.method ?? 'deflate') === 'deflate';
    const { time, date } = dosDateTime(entry.mtime ?? new Date(Date.UTC(1980, 0, 1)));
    const r: EntryRecord = { name: Buffer.from(entry.name, 'utf8'), flags: FLAG_UTF8, method: deflate ? 8 : 0, time, date, crc: 0, compressed: 0, size: 0, offset };

    if (isBytes(entry.data)) {
      const body = deflate ? deflateRawSync(entry.data) : Buffer.from(entry.data);
      r.crc = crc32(entry.data);
      r.size = entry.data.length;
      r.compressed = body.length;
      checkSize(r.size, entry.name);
      const header = localHeader(r);
      yield header;
      yield body;
      offset += header.length + body.length;
    } else {
      r.flags |= FLAG_DESCRIPTOR;
      const header = localHeader(r);
      yield header;
      offset += header.length;
      for await (const chunk of entry.data) {
        if (chunk.length === 0) continue;
        r.crc = crc32(chunk, r.crc);
        r.size += chunk.length;
        const out = deflate ? deflateRawSync(chunk, { finishFlush: constants.Z_SYNC_FLUSH }) : Buffer.from(chunk);
        r.compressed += out.length;
        checkSize(r.size, entry.name);
        checkSize(r.compressed, entry.name);
        offset += out.length;
        yield out;
      }
      if (deflate) {
        const last = Buffer.from([0x03, 0x00]); // empty final block with fixed Huffman codes
        r.compressed += last.length;
        offset += last.length;
        yield last;
      }
      const d = Buffer.alloc(16);
      d.writeUInt32LE(DESCRIPTOR_SIG, 0);
      d.writeUInt32LE(r.crc, 4);
      d.writeUInt32LE(r.compressed, 8);
      d.writeUInt32LE(r.size, 12);
      offset += d.length;
      yield d;
    }
    checkSize(offset, 'archive');
    records.push(r);
  }
  const central = Buffer.concat(records.map(centralHeader));
  checkSize(offset + central.length, 'archive');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_SIG, 0);
  end.writeUInt16LE(records.length, 8);
  end.writeUInt16LE(records.length, 10);
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(offset, 16);
  yield Buffer.concat([central, end]);
}

/** The whole archive in one Buffer (for small archives and tests). */
export async function zipToBuffer(entries: Iterable<ZipEntry> | AsyncIterable<ZipEntry>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of zipStream(entries)) parts.push(p);
  return Buffer.concat(parts);
}
