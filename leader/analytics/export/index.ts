/**
 * Export writers for analytics tables: CSV (RFC 4180), Parquet and Arrow IPC. Pure functions over
 * ColumnTable that return Buffers (or async iterables of Buffers for streaming); no file I/O.
 */
export * from './table.js';
export { writeCsv, csvStream, csvField, formatTimestamp } from './csv.js';
export { writeParquet, parquetStream, ParquetEncoder, type ParquetOptions } from './parquet.js';
export { writeArrowFile, writeArrowStream, arrowStream, ArrowEncoder, type ArrowFormat, type ArrowOptions } from './arrow.js';
