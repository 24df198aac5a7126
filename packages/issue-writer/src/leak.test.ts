import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { findLeaks, isTrivialLine } from './leak.js';

const patch = await readFile(new URL('../fixtures/bug.patch', import.meta.url), 'utf8');
const f2p = ['tests/test_ops.py::test_clamp[-5-0]', 'tests/test_ops.py::TestAverager::test_mean_of_three'];

describe('findLeaks', () => {
  it('catches a quoted added or removed line even when re-indented or re-wrapped', () => {
    expect(findLeaks('I think the problem is here:\n```\nself.total  =   self.total - value\n```', { patch, failToPass: [] })).toEqual([{ kind: 'quoted_patch_line', detail: 'self.total = self.total - value' }]);
    expect(findLeaks('it used to be self.total = self.total + value', { patch, failToPass: [] })[0]?.kind).toBe('quoted_patch_line');
  });

  it('ignores trivial lines such as return, brackets and pass', () => {
    expect(isTrivialLine('        return high')).toBe(true);
    expect(isTrivialLine(')')).toBe(true);
    expect(isTrivialLine('pass')).toBe(true);
    expect(isTrivialLine('self.total = self.total - value')).toBe(false);
    expect(findLeaks('clamp(-5, 0, 10) should return 0 but I get 10. Maybe it returns high?', { patch, failToPass: f2p })).toEqual([]);
  });

  it('catches a named F2P test by id or by bare function name', () => {
    expect(findLeaks('see tests/test_ops.py::test_clamp[-5-0]', { patch, failToPass: f2p })).toEqual([{ kind: 'named_test', detail: 'tests/test_ops.py::test_clamp[-5-0]' }]);
    expect(findLeaks('test_mean_of_three fails now', { patch, failToPass: f2p })).toEqual([{ kind: 'named_test', detail: 'test_mean_of_three' }]);
    expect(findLeaks('test_mean_of_threefold is unrelated', { patch, failToPass: f2p })).toEqual([]);
  });
});
