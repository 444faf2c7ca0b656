// fast-check settings for the analytics property tests: a fixed seed (FC_SEED overrides it) so a run
// reproduces, and the seed printed when a property fails.
import fc from 'fast-check';

export function checkProperty<Ts extends [unknown, ...unknown[]]>(name: string, prop: fc.IProperty<Ts>, numRuns = 100): void {
  const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20260119;
  try {
    fc.assert(prop, { seed, numRuns });
  } catch (e) {
    console.error(`${name}: property failed with fast-check seed ${seed} (rerun with FC_SEED=${seed})`);
    throw e;
  }
}
