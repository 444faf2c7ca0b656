// The streaming zip writer, checked by independent readers: python3's zipfile (always) and the system
// `unzip -t` (when installed). Covers stored and deflated entries, buffered and streamed data (data
// descriptors), empty entries, UTF-8 names and CRC-32.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkEntryName, crc32, zipStream, zipToBuffer, type ZipEntry } from '../../leader/util/zip.js';

const PY_READ = `
import sys, zipfile, json, hashlib
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
out = {"bad": bad, "entries": []}
for i in z.infolist():
    data = z.read(i.filename)
    out["entries"].append({"name": i.filename, "method": i.compress_type, "size": i.file_size,
                           "sha256": hashlib.sha256(data).hexdigest(), "head": data[:40].decode("utf-8", "replace"),
                           "date": list(i.date_time)})
print(json.dumps(out))
`;

interface PyEntry {
  name: string;
  method: number;
  size: number;
  sha256: string;
  head: string;
  date: number[];
}

function pyRead(file: string): { bad: string | null; entries: PyEntry[] } {
  return JSON.parse(execFileSync('python3', ['-c', PY_READ, file], { encoding: 'utf8' }));
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function csvRows(n: number, seed: number): Buffer {
  let s = 'timestamp,variable,value\r\n';
  for (let i = 0; i < n; i++) s += `2026-01-01 00:${String(i % 60).padStart(2, '0')}:00+00:00,OD600,${((i * seed) % 997) / 100}\r\n`;
  return Buffer.from(s);
}

async function* chunked(b: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

const hasUnzip = spawnSync('unzip', ['-v']).status === 0;

describe('zip writer', () => {
  const a = csvRows(5000, 7);
  const b = csvRows(300, 13);
  const c = Buffer.from('pH,OK\r\n7.0,true\r\n');
  const entries = (): ZipEntry[] => [
    { name: 'exp1/od.csv', data: a },
    { name: 'exp1/od-streamed.csv', data: chunked(a, 4096) },
    { name: 'exp1/stored.csv', data: b, method: 'store' },
    { name: 'exp1/stored-streamed.csv', data: chunked(b, 1000), method: 'store' },
    { name: 'empty.csv', data: Buffer.alloc(0) },
    { name: 'empty-streamed.csv', data: chunked(Buffer.alloc(0), 10) },
    { name: 'bioréacteur/ph.csv', data: [c], mtime: new Date(Date.UTC(2026, 3, 20, 8, 30, 14)) },
  ];
  let file: string;

  before(async () => {
    file = join(mkdtempSync(join(tmpdir(), 'colony-zip-')), 'out.zip');
    writeFileSync(file, await zipToBuffer(entries()));
  });

  it('python zipfile reads every entry with the right content, method and time', () => {
    const got = pyRead(file);
    assert.equal(got.bad, null);
    const expected: Array<[string, Buffer, number]> = [
      ['exp1/od.csv', a, 8],
      ['exp1/od-streamed.csv', a, 8],
      ['exp1/stored.csv', b, 0],
      ['exp1/stored-streamed.csv', b, 0],
      ['empty.csv', Buffer.alloc(0), 8],
      ['empty-streamed.csv', Buffer.alloc(0), 8],
      ['bioréacteur/ph.csv', c, 8],
    ];
    assert.deepEqual(
      got.entries.map((e) => [e.name, e.size, e.method, e.sha256]),
      expected.map(([n, data, m]) => [n, data.length, m, sha256(data)]),
    );
    assert.equal(got.entries[0]!.head, a.subarray(0, 40).toString());
    assert.deepEqual(got.entries[6]!.date, [2026, 4, 20, 8, 30, 14]);
    assert.deepEqual(got.entries[0]!.date, [1980, 1, 1, 0, 0, 0]);
  });

  it('deflate actually compresses', async () => {
    const zip = await zipToBuffer([{ name: 'a.csv', data: chunked(a, 8192) }]);
    assert.ok(zip.length < a.length / 3, `${zip.length} vs ${a.length}`);
  });

  it('unzip -t accepts the archive', function () {
    if (!hasUnzip) this.skip();
    const out = execFileSync('unzip', ['-t', file], { encoding: 'utf8' });
    assert.match(out, /No errors detected/);
    const list = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).trim().split('\n');
    assert.equal(list.length, 7);
    assert.equal(execFileSync('unzip', ['-p', file, 'exp1/od-streamed.csv']).equals(a), true);
  });

  it('streams: headers go out before the entry data is consumed', async () => {
    let pulled = 0;
    async function* slow(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 3; i++) {
        pulled++;
        yield Buffer.from(`chunk ${i}\n`);
      }
    }
    const it = zipStream([{ name: 's.txt', data: slow(), method: 'store' }]);
    const first = await it.next();
    assert.equal(pulled, 0);
    assert.equal((first.value as Buffer).readUInt32LE(0), 0x04034b50);
    const rest: Buffer[] = [first.value as Buffer];
    for await (const p of it) rest.push(p);
    assert.equal(pulled, 3);
    const f = join(mkdtempSync(join(tmpdir(), 'colony-zip-')), 's.zip');
    writeFileSync(f, Buffer.concat(rest));
    assert.equal(pyRead(f).entries[0]!.head, 'chunk 0\nchunk 1\nchunk 2\n');
  });

  it('crc32 matches the standard check value and continues across chunks', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    assert.equal(crc32(Buffer.from('56789'), crc32(Buffer.from('1234'))), 0xcbf43926);
  });

  it('rejects unsafe or duplicate entry names', async () => {
    for (const bad of ['', '/etc/passwd', '../x', 'a/../../x', 'a\\b', 'C:/x', 'a/./b']) {
      assert.throws(() => checkEntryName(bad), /unsafe zip entry name/, bad);
    }
    await assert.rejects(zipToBuffer([{ name: 'a', data: c }, { name: 'a', data: c }]), /duplicate/);
  });
});
