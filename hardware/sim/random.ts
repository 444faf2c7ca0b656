/**
 * Deterministic randomness for the simulator (never Math.random). Two kinds:
 * - a seeded stream (mulberry32) to draw a unit's parameters once;
 * - keyed noise: a hash of (seed, stream, key) mapped to a normal deviate, so a reading's noise
 *   depends only on what is read and when, not on how many reads came before. That keeps runs
 *   identical however often the agent happens to poll.
 */

/** 32-bit integer hash of a string (FNV-1a), to fold unit names into seeds. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export { mulberry32 } from '../../shared/random.js';

/** A uniform in [lo, hi) from a stream. */
export function uniform(rng: () => number, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ (v >>> 0), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Uniform in (0, 1) determined by the key. */
export function keyedUniform(seed: number, stream: number, key: number): number {
  const hi = Math.floor(key / 4294967296);
  let h = mix(seed >>> 0, stream);
  h = mix(h, key >>> 0);
  h = mix(h, hi);
  h = mix(h, 0x9e3779b9);
  return (h + 0.5) / 4294967296;
}

/** Standard normal deviate determined by the key (Box-Muller on two keyed uniforms). */
export function keyedNormal(seed: number, stream: number, key: number): number {
  const u1 = keyedUniform(seed, stream * 2 + 1, key);
  const u2 = keyedUniform(seed, stream * 2 + 2, key);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
