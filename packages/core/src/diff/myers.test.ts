import { describe, expect, it } from 'vitest';
import { seededRandom } from '../ids/index.js';
import { diffLines } from './myers.js';

/** Length of the longest common subsequence, by dynamic programming. */
function lcs(a: string[], b: string[]): number {
  const dp = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) dp[i][j] = a[i - 1] === b[j - 1] ? dp[i - 1][j - 1] + 1 : Math.max(dp[i - 1][j], dp[i][j - 1]);
  }
  return dp[a.length][b.length];
}

describe('diffLines', () => {
  it('produces a valid alignment with a minimal number of edits (500 random cases vs. DP)', () => {
    const rand = seededRandom(7);
    for (let c = 0; c < 500; c++) {
      const alphabet = 1 + Math.floor(rand() * 6);
      const a = Array.from({ length: Math.floor(rand() * 30) }, () => String(Math.floor(rand() * alphabet)));
      const b = Array.from({ length: Math.floor(rand() * 30) }, () => String(Math.floor(rand() * alphabet)));
      const { deleted, inserted } = diffLines(a, b);
      const keptA = a.filter((_, i) => !deleted[i]);
      const keptB = b.filter((_, j) => !inserted[j]);
      expect(keptA).toEqual(keptB); // unchanged lines align in order
      expect(keptA.length).toBe(lcs(a, b)); // and they are as many as possible
    }
  });

  it('handles empty sides', () => {
    expect(diffLines([], [])).toEqual({ deleted: new Uint8Array(0), inserted: new Uint8Array(0) });
    expect([...diffLines(['a'], []).deleted]).toEqual([1]);
    expect([...diffLines([], ['a', 'b']).inserted]).toEqual([1, 1]);
  });
});
