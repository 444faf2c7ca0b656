export * from './ini.js';
export * from './schema.js';
export * from './load.js';
