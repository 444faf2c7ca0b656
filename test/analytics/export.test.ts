// Export writers: CSV quoting (RFC 4180), and Parquet / Arrow IPC round trips for every column type
// with nulls, read back by independent libraries (hyparquet, apache-arrow).
import assert from 'node:assert/strict';
import { tableFromIPC, type Table } from 'apache-arrow';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import {
  arrowStream,
  csvStream,
  parquetStream,
  writeArrowFile,
  writeArrowStream,
  writeCsv,
  writeParquet,
  type ColumnTable,
} from '../../leader/analytics/export/index.js';

const T0 = Date.UTC(2026, 3, 20, 8, 0, 0);

/** Every column type, each with a null, plus edge values (empty string, unicode, int64 extremes, NaN). */
function sample(): ColumnTable {
  return {
    columns: [
      { name: 'value', type: 'float64', values: [1.5, null, -2.25, NaN, 1e300] },
      { name: 'seq', type: 'int64', values: [1, 2n ** 63n - 1n, null, -(2n ** 63n), 0] },
      { name: 'variable', type: 'utf8', values: ['OD600', '', null, 'héllo, "wörld"\n', 'ph'] },
      { name: 'ts', type: 'timestamp_ms', values: [T0, new Date(T0 + 1), null, 0, T0 + 3_600_000] },
      { name: 'ok', type: 'bool', values: [true, false, null, true, false] },
    ],
  };
}

const expectedRows = [
  { value: 1.5, seq: 1n, variable: 'OD600', ts: T0, ok: true },
  { value: null, seq: 2n ** 63n - 1n, variable: '', ts: T0 + 1, ok: false },
  { value: -2.25, seq: null, variable: null, ts: null, ok: null },
  { value: NaN, seq: -(2n ** 63n), variable: 'héllo, "wörld"\n', ts: 0, ok: true },
  { value: 1e300, seq: 0n, variable: 'ph', ts: T0 + 3_600_000, ok: false },
];

function arrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
}

async function readParquet(b: Buffer): Promise<Record<string, unknown>[]> {
  const rows = (await parquetReadObjects({ file: arrayBuffer(b) })) as Record<string, unknown>[];
  // hyparquet returns TIMESTAMP(MILLIS) as Date; compare as epoch ms
  return rows.map((r) => ({ ...r, ts: r.ts instanceof Date ? r.ts.getTime() : r.ts }));
}

function arrowRows(t: Table): Record<string, unknown>[] {
  return t.toArray().map((r) => ({ ...(r.toJSON() as Record<string, unknown>) }));
}

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

describe('analytics export', () => {
  describe('CSV', () => {
    it('quotes fields with commas, quotes, CR/LF and edge spaces; doubles quotes; CRLF line ends', () => {
      const csv = writeCsv({
        columns: [
          { name: 'a,b', type: 'utf8', values: ['plain', 'x,y', 'say "hi"', 'two\nlines', ' pad', null, 'cr\rx'] },
          { name: 'n', type: 'float64', values: [1, 0.1, NaN, Infinity, -Infinity, null, -0.5] },
        ],
      }).toString('utf8');
      assert.equal(
        csv,
        '"a,b",n\r\nplain,1\r\n"x,y",0.1\r\n"say ""hi""",\r\n"two\nlines",inf\r\n" pad",-inf\r\n,\r\n"cr\rx",-0.5\r\n',
      );
    });

    it('formats every type (timestamps pandas-style, int64 exactly, bools, nulls empty)', () => {
      const csv = writeCsv(sample()).toString('utf8').split('\r\n');
      assert.equal(csv[0], 'value,seq,variable,ts,ok');
      assert.equal(csv[1], '1.5,1,OD600,2026-04-20 08:00:00+00:00,true');
      assert.equal(csv[2], ',9223372036854775807,,2026-04-20 08:00:00.001000+00:00,false');
      assert.equal(csv[3], '-2.25,,,,');
      assert.equal(csv[4], ',-9223372036854775808,"héllo, ""wörld""\n",1970-01-01 00:00:00+00:00,true');
      assert.equal(csv[5], '1e+300,0,ph,2026-04-20 09:00:00+00:00,false');
      assert.equal(csv[6], '');
    });

    it('streams the header once and one buffer per chunk', async () => {
      const chunk = (v: number): ColumnTable => ({ columns: [{ name: 'x', type: 'int64', values: [v] }] });
      const parts: string[] = [];
      for await (const p of csvStream([chunk(1), chunk(2)])) parts.push(p.toString());
      assert.deepEqual(parts, ['x\r\n', '1\r\n', '2\r\n']);
      assert.equal((await collect(csvStream([], { schema: [{ name: 'x', type: 'int64' }] }))).toString(), 'x\r\n');
      await assert.rejects(collect(csvStream([chunk(1), { columns: [{ name: 'y', type: 'int64', values: [1] }] }])), /differs/);
    });

    it('rejects ragged tables and unsafe integers', () => {
      assert.throws(() => writeCsv({ columns: [{ name: 'a', type: 'bool', values: [true] }, { name: 'b', type: 'bool', values: [] }] }), /has 0 values/);
      assert.throws(() => writeCsv({ columns: [{ name: 'a', type: 'int64', values: [2 ** 60] }] }), /safe integer/);
    });
  });

  describe('Parquet (read back with hyparquet)', () => {
    it('round-trips every column type including nulls', async () => {
      const buf = writeParquet(sample());
      assert.equal(buf.subarray(0, 4).toString(), 'PAR1');
      assert.equal(buf.subarray(-4).toString(), 'PAR1');
      assert.deepEqual(await readParquet(buf), expectedRows);
    });

    it('writes OPTIONAL columns with the documented physical and logical types', () => {
      const meta = parquetMetadata(arrayBuffer(writeParquet(sample())));
      const cols = meta.schema.slice(1).map((s) => [s.name, s.type, s.repetition_type, s.converted_type]);
      assert.deepEqual(cols, [
        ['value', 'DOUBLE', 'OPTIONAL', undefined],
        ['seq', 'INT64', 'OPTIONAL', undefined],
        ['variable', 'BYTE_ARRAY', 'OPTIONAL', 'UTF8'],
        ['ts', 'INT64', 'OPTIONAL', 'TIMESTAMP_MILLIS'],
        ['ok', 'BOOLEAN', 'OPTIONAL', undefined],
      ]);
      assert.equal(meta.num_rows, 5n);
      assert.equal(meta.row_groups[0]!.columns[0]!.meta_data!.codec, 'UNCOMPRESSED');
      assert.equal(meta.row_groups[0]!.columns[0]!.meta_data!.statistics!.null_count, 1n);
    });

    it('one row group per rowGroupSize rows, and one per streamed chunk', async () => {
      const n = 1000;
      const big: ColumnTable = {
        columns: [
          { name: 'i', type: 'int64', values: Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : i)) },
          { name: 'b', type: 'bool', values: Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : i % 3 === 0)) },
        ],
      };
      const buf = writeParquet(big, { rowGroupSize: 300 });
      assert.equal(parquetMetadata(arrayBuffer(buf)).row_groups.length, 4);
      const rows = (await parquetReadObjects({ file: arrayBuffer(buf) })) as Record<string, unknown>[];
      assert.equal(rows.length, n);
      rows.forEach((r, i) => {
        assert.equal(r.i, i % 7 === 0 ? null : BigInt(i));
        assert.equal(r.b, i % 5 === 0 ? null : i % 3 === 0);
      });

      async function* chunks(): AsyncGenerator<ColumnTable> {
        yield { columns: [{ name: 's', type: 'utf8', values: ['a', null] }] };
        yield { columns: [{ name: 's', type: 'utf8', values: [] }] };
        yield { columns: [{ name: 's', type: 'utf8', values: ['c'] }] };
      }
      const streamed = await collect(parquetStream(chunks()));
      assert.equal(parquetMetadata(arrayBuffer(streamed)).row_groups.length, 2);
      assert.deepEqual(await parquetReadObjects({ file: arrayBuffer(streamed) }), [{ s: 'a' }, { s: null }, { s: 'c' }]);
    });

    it('an empty table is a valid file with zero rows', async () => {
      const buf = writeParquet({ columns: [{ name: 'x', type: 'float64', values: [] }] });
      assert.equal(parquetMetadata(arrayBuffer(buf)).num_rows, 0n);
      assert.deepEqual(await parquetReadObjects({ file: arrayBuffer(buf) }), []);
    });
  });

  describe('Arrow IPC (read back with apache-arrow tableFromIPC)', () => {
    it('file format round-trips every column type including nulls', () => {
      const buf = writeArrowFile(sample());
      assert.equal(buf.subarray(0, 6).toString(), 'ARROW1');
      assert.equal(buf.subarray(-6).toString(), 'ARROW1');
      const t = tableFromIPC(buf);
      assert.deepEqual(
        t.schema.fields.map((f) => [f.name, String(f.type), f.nullable]),
        [
          ['value', 'Float64', true],
          ['seq', 'Int64', true],
          ['variable', 'Utf8', true],
          ['ts', 'Timestamp<MILLISECOND, UTC>', true],
          ['ok', 'Bool', true],
        ],
      );
      assert.deepEqual(arrowRows(t), expectedRows);
    });

    it('stream format round-trips, several record batches', () => {
      const t = tableFromIPC(writeArrowStream(sample(), { batchSize: 2 }));
      assert.equal(t.batches.length, 3);
      assert.deepEqual(arrowRows(t), expectedRows);
      assert.equal(t.getChild('seq')!.nullCount, 1);
    });

    it('streams either format chunk by chunk', async () => {
      async function* chunks(): AsyncGenerator<ColumnTable> {
        for (let k = 0; k < 3; k++) yield { columns: [{ name: 'x', type: 'float64', values: [k, k === 1 ? null : k + 0.5] }] };
      }
      for (const format of ['file', 'stream'] as const) {
        const t = tableFromIPC(await collect(arrowStream(chunks(), { format })));
        assert.equal(t.batches.length, 3, format);
        assert.deepEqual(t.toArray().map((r) => r.x), [0, 0.5, 1, null, 2, 2.5]);
      }
      const empty = tableFromIPC(await collect(arrowStream([], { format: 'file', schema: [{ name: 'x', type: 'utf8' }] })));
      assert.equal(empty.numRows, 0);
      assert.equal(empty.schema.fields[0]!.name, 'x');
    });

    it('large utf8 and bool columns survive', () => {
      const n = 5000;
      const s = Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : `row-${i}-${'x'.repeat(i % 13)}`));
      const b = Array.from({ length: n }, (_, i) => (i % 9 === 0 ? null : i % 2 === 0));
      const t = tableFromIPC(writeArrowFile({ columns: [{ name: 's', type: 'utf8', values: s }, { name: 'b', type: 'bool', values: b }] }));
      assert.deepEqual(t.getChild('s')!.toArray(), s);
      assert.deepEqual([...t.getChild('b')!], b);
    });
  });
});
