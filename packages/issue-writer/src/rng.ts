import { seededRandom } from '@swe-forge/core/ids';

/** A seeded pseudo-random generator returning floats in [0, 1). */
export type Rng = () => number;

/**
 * A deterministic generator for one (seed, key) pair, so each instance's choice depends
 * only on the seed and its own id — not on the order instances are processed or resumed in.
 * It is core's `seededRandom` (mulberry32) seeded by the string `${seed}\0${key}`.
 */
export function seededRng(seed: number, key: string): Rng {
  return seededRandom(rngKey(seed, key));
}

/** The string seed `seededRng(seed, key)` uses, for core's `seededShuffle`. */
export function rngKey(seed: number, key: string): string {
  return `${seed}\u0000${key}`;
}

/** Pick one item by weight (weights need not sum to 1). */
export function weightedChoice<T>(items: readonly T[], weights: readonly number[], rng: Rng): T {
  const total = weights.reduce((a, b) => a + b, 0);
  let r = rng() * total;
  for (let i = 0; i < items.length; i++) {
    r -= weights[i];
    if (r < 0) return items[i];
  }
  return items[items.length - 1];
}

/** Pick one item uniformly. */
export function choice<T>(items: readonly T[], rng: Rng): T {
  return items[Math.floor(rng() * items.length) % items.length];
}
