import { describe, expect, it } from 'vitest';
import { makeTempGitRepo } from '@swe-forge/testkit';
import { createFilePatch } from '@swe-forge/core/diff';
import { gitApplyCheckMany } from './gitcheck.js';

describe('gitApplyCheckMany', () => {
  it('runs the real git apply --check on each patch independently and finds the bad ones', async () => {
    const text = 'a = 1\nb = 2\nc = 3\n';
    const dir = makeTempGitRepo({ 'm.py': text });
    const good1 = createFilePatch('m.py', text, text.replace('a = 1', 'a = 2'));
    const good2 = createFilePatch('m.py', text, text.replace('a = 1', 'a = 3')); // same line as good1: still fine, each is checked alone
    const stale = createFilePatch('m.py', 'x = 0\n' + text.slice(6), 'x = 9\n' + text.slice(6));
    const missing = createFilePatch('nope.py', 'q = 1\n', 'q = 2\n');
    const patches = [good1, stale, good2, missing, good1];
    expect(await gitApplyCheckMany(dir, patches)).toEqual([true, false, true, false, true]);
  });
});
