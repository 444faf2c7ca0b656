import { mulberry32 } from '../../shared/random.js';

// Seeded PRNG for the analytics property tests (mulberry32 + Box-Muller), so failures reproduce.
export function rng(seed: number): { uniform(): number; normal(mu?: number, sd?: number): number; int(lo: number, hi: number): number } {
  const uniform = mulberry32(seed);
  return {
    uniform,
    normal(mu = 0, sd = 1) {
      const u = Math.max(uniform(), 1e-300);
      return mu + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
    },
    int(lo, hi) {
      return lo + Math.floor(uniform() * (hi - lo + 1));
    },
  };
}
