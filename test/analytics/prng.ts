// Seeded PRNG for the analytics property tests (mulberry32 + Box-Muller), so failures reproduce.
export function rng(seed: number): { uniform(): number; normal(mu?: number, sd?: number): number; int(lo: number, hi: number): number } {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
