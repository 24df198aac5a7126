import { describe, expect, it } from 'vitest';
import { createFilePatch } from '@swe-forge/core/diff';
import { LineCounter, windowedFilePatch } from './patch.js';
import { Rng } from './rng.js';

describe('windowedFilePatch', () => {
  it('is byte-identical to diffing the whole file, also when a deleted line could slide', () => {
    const rng = new Rng('patch-property');
    const pool = ['\n', 'x = 1\n', 'x = 1\n', '    pass\n', '    pass\n', '    pass\n', 'def f():\n', 'class A:\n', '\r\n', '# c\n', 'y\n', `_${'é'.repeat(50)}  \n`];
    for (let round = 0; round < 2000; round++) {
      const lines = Array.from({ length: 5 + rng.int(60) }, () => rng.choice(pool));
      let before = lines.join('');
      if (rng.random() < 0.2) before = before.replace(/\r?\n$/, '');
      const a = rng.int(before.length);
      const b = Math.min(before.length, a + rng.int(40));
      const insert = rng.choice(['', 'pass', 'x = 1\n', '\n', 'z\nz\n']);
      const after = before.slice(0, a) + insert + before.slice(b);
      if (after === before) continue;
      expect(windowedFilePatch('m.py', before, after, a, b, new LineCounter(before))).toBe(createFilePatch('m.py', before, after));
    }
  });
});
