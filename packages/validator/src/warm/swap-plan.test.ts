import { describe, expect, it } from 'vitest';
import { createFilePatch } from '@swe-forge/core/diff';
import type { CoverageMap } from '../selection.js';
import { planWarm } from './swap-plan.js';
import { countFallbacks, describeFallback } from './fallback.js';

const patch = (path: string, before = 'def f():\n    return 1\n', after = 'def f():\n    return 2\n'): string => createFilePatch(path, before, after);

describe('planWarm', () => {
  // pkg/a.py: f (lines 1-2) ran only in a test; g (lines 4-5) ran at import; line 7 is module-level
  const map: CoverageMap = {
    mode: 'settrace',
    contexts: ['', 'tests/test_a.py::t', 'collect:tests/test_a.py'],
    files: { 'pkg/a.py': { lines: { '1': [0], '2': [1], '4': [0], '5': [2], '7': [0] }, funcs: [[1, 2, 2], [4, 5, 5]], classes: [] } },
  };
  const src = 'def f():\n    return 1\n\ndef g():\n    return 2\n\nX = 1\n';
  it('sends a body-only selection with its patched files to the warm path', () => {
    const p = planWarm({ kind: 'tests', tests: ['tests/test_a.py::t'], reason: '1 test' }, patch('pkg/a.py', src, src.replace('return 1', 'return 0')), map);
    expect(p).toEqual({ ok: true, tests: ['tests/test_a.py::t'], files: [{ path: 'pkg/a.py', isNew: false }] });
    // code inserted right after the def line: the selection calls it a header change, the child decides
    const ins = planWarm({ kind: 'tests', tests: ['tests/test_a.py::t'], reason: '1 test', importTime: true }, patch('pkg/a.py', src, src.replace('def f():\n', 'def f():\n    y = 0\n')), map);
    expect(ins).toMatchObject({ ok: true });
  });
  it('needs no runner when nothing is selected', () => {
    expect(planWarm({ kind: 'none', reason: 'no test' }, patch('pkg/a.py'), map)).toBeNull();
  });
  it('falls back for the full suite, import-time lines and test files, with the reason', () => {
    const sel = { kind: 'tests' as const, tests: ['tests/test_a.py::t'], reason: 'x' };
    expect(planWarm({ kind: 'full', reason: 'patch touches conftest.py' }, patch('conftest.py'), map)).toMatchObject({ ok: false, reason: 'full-suite' });
    expect(planWarm(sel, patch('pkg/a.py', src, src.replace('return 2', 'return 0')), map)).toMatchObject({ ok: false, reason: 'import-time', detail: 'the function at pkg/a.py:4 ran at import or collection time (line 5)' });
    // module-level and class-body code: the child compares the statements (and declines this one as module-level)
    expect(planWarm(sel, patch('pkg/a.py', src, src.replace('X = 1', 'X = 2')), map)).toMatchObject({ ok: true });
    expect(planWarm(sel, patch('pkg/a.py', src, `import os\n${src}`), map)).toMatchObject({ ok: false, reason: 'import-time', detail: 'code inserted at the top of pkg/a.py' });
    expect(planWarm(sel, patch('tests/test_a.py'), map)).toMatchObject({ ok: false, reason: 'test-file', detail: 'patch touches tests/test_a.py' });
    expect(planWarm(sel, patch('pkg/test_util.py'), map)).toMatchObject({ ok: false, reason: 'test-file' });
    expect(planWarm(sel, patch('pkg/data.txt', 'a\n', 'b\n'), map)).toMatchObject({ ok: false, reason: 'full-suite' });
  });
  it('counts fallbacks by reason from results and describes each', () => {
    const rs = [{ meta: { warm: { path: 'isolated', reason: 'import-time' } } }, { meta: { warm: { path: 'isolated', reason: 'import-time' } } }, { meta: { warm: { path: 'warm' } } }, { meta: {} }];
    expect(countFallbacks(rs)).toEqual({ 'import-time': 2 });
    expect(describeFallback('declined:fixture')).toBe('a pytest fixture changed');
  });
});
