import { createHash } from 'node:crypto';

/** A seeded pseudo-random generator returning floats in [0, 1). */
export type Rng = () => number;

/**
 * A deterministic generator for one (seed, key) pair, so each instance's choice depends
 * only on the seed and its own id — not on the order instances are processed or resumed in.
 */
export function seededRng(seed: number, key: string): Rng {
  const digest = createHash('sha256').update(`${seed}\u0000${key}`).digest();
  let state = digest.readUInt32LE(0);
  // mulberry32
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
