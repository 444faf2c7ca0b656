/** Public API of the analytics library (numerical half). Pure functions and small classes, no I/O. */
export * from './types.js';
export * from './preprocess.js';
export * from './costs.js';
export * from './pelt.js';
export * from './phases.js';
export * from './bocpd.js';
export * from './streaming-phases.js';
export * from './metrics.js';
export * from './align.js';
export * from './golden.js';
export * from './dtw.js';
export * from './soft-sensor.js';
export * from './units.js';
export * from './vocabulary.js';
export * from './ingest-table.js';
export * from './ingest-csv.js';
export * from './ingest-xlsx.js';
