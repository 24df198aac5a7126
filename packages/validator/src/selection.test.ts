import { describe, expect, it } from 'vitest';
import { createFilePatch } from '@swe-forge/core/diff';
import { codeTouchedLineKinds, codeTouchedLines, enclosingFunction, moduleNames, selectByCoverage, selectByFiles, type CoverageMap } from './selection.js';

// pkg/mod.py (1-based):
//  1 import os
//  2 TABLE = {}
//  3 def helper(x):        funcs [3, 5, 4]
//  4     y = x + 1
//  5     return y
//  6 def outer(x):         funcs [6, 10, 7]
//  7     @deco
//  8     def inner(z):       funcs [7, 9, 9]
//  9         return z
// 10     return inner(x)
// 11 def at_import():      funcs [11, 12, 12]
// 12     return 1
// 13 VALUE = at_import()
const SRC = ['import os', 'TABLE = {}', 'def helper(x):', '    y = x + 1', '    return y', 'def outer(x):', '    @deco', '    def inner(z):', '        return z', '    return inner(x)', 'def at_import():', '    return 1', 'VALUE = at_import()', ''].join('\n');
const edit = (line: number, text: string): string => {
  const lines = SRC.split('\n');
  lines[line - 1] = text;
  return createFilePatch('pkg/mod.py', SRC, lines.join('\n'));
};
const MAP: CoverageMap = {
  mode: 'test',
  contexts: ['', 'tests/test_mod.py::test_helper', 'tests/test_mod.py::test_outer', 'tests/test_other.py::test_x'],
  files: {
    'pkg/mod.py': {
      lines: { '1': [0], '2': [0], '3': [0, 3], '4': [1], '5': [1], '6': [0], '7': [2], '8': [2], '9': [2], '10': [2], '11': [0], '12': [0], '13': [0] },
      funcs: [
        [3, 5, 4],
        [6, 10, 7],
        [7, 9, 9],
        [11, 12, 12],
      ],
    },
  },
};
const TESTS = ['tests/test_mod.py::test_helper', 'tests/test_mod.py::test_outer', 'tests/test_other.py::test_x', 'tests/test_other.py::test_y'];

describe('selectByCoverage', () => {
  it('selects the tests that executed the patched function', () => {
    expect(selectByCoverage(MAP, edit(4, '    y = x - 1'), TESTS)).toMatchObject({ kind: 'tests', tests: ['tests/test_mod.py::test_helper'] });
    // a nested function's header maps to the enclosing function
    expect(selectByCoverage(MAP, edit(8, '    def inner(z, q=0):'), TESTS)).toMatchObject({ kind: 'tests', tests: ['tests/test_mod.py::test_outer'] });
  });
  it('selects the tests that ran the file (not the full suite) for import-time code', () => {
    const fileTests = ['tests/test_mod.py::test_helper', 'tests/test_mod.py::test_outer', 'tests/test_other.py::test_x'];
    // module-level line; a top-level function's signature (runs at import)
    expect(selectByCoverage(MAP, edit(2, 'TABLE = {1: 2}'), TESTS)).toMatchObject({ kind: 'tests', tests: fileTests });
    expect(selectByCoverage(MAP, edit(3, 'def helper(x, k=1):'), TESTS)).toMatchObject({ kind: 'tests', tests: fileTests });
    // a function whose body also ran at import time
    const s = selectByCoverage(MAP, edit(12, '    return 2'), TESTS);
    expect(s).toMatchObject({ kind: 'tests', tests: fileTests });
    expect(s.reason).toMatch(/import-time/);
    // a test that never ran a line of the file is not selected
    expect((s as { tests: string[] }).tests).not.toContain('tests/test_other.py::test_y');
  });
  it('a line run while a test module was imported selects all tests of that module', () => {
    const map: CoverageMap = { ...MAP, contexts: [...MAP.contexts, 'collect:tests/test_other.py'], files: { 'pkg/mod.py': { ...MAP.files['pkg/mod.py'], lines: { ...MAP.files['pkg/mod.py'].lines, '4': [1, 4] } } } };
    const s = selectByCoverage(map, edit(4, '    y = x - 1'), TESTS);
    expect(s).toMatchObject({ kind: 'tests', tests: TESTS });
  });
  it('a line run while a shared fixture was set up selects every test using that fixture instance', () => {
    const key = 'fixture:module::table:tests/test_other.py';
    const map: CoverageMap = {
      ...MAP,
      contexts: [...MAP.contexts, key],
      fixture_users: { [key]: ['tests/test_other.py::test_x', 'tests/test_other.py::test_y'] },
      files: { 'pkg/mod.py': { ...MAP.files['pkg/mod.py'], lines: { ...MAP.files['pkg/mod.py'].lines, '4': [4] } } },
    };
    expect(selectByCoverage(map, edit(4, '    y = x - 1'), TESTS)).toMatchObject({
      kind: 'tests',
      // test_helper ran line 5 of the function; test_y only uses what the fixture built
      tests: ['tests/test_mod.py::test_helper', 'tests/test_other.py::test_x', 'tests/test_other.py::test_y'],
    });
  });
  it('falls back to the full suite for conftest, non-Python, deleted and unparseable files', () => {
    expect(selectByCoverage(MAP, createFilePatch('tests/conftest.py', 'a = 1\n', 'a = 2\n'), TESTS).kind).toBe('full');
    expect(selectByCoverage(MAP, createFilePatch('setup.cfg', 'a = 1\n', 'a = 2\n'), TESTS).kind).toBe('full');
    const deleted = ['diff --git a/pkg/mod.py b/pkg/mod.py', 'deleted file mode 100644', '--- a/pkg/mod.py', '+++ /dev/null', '@@ -1,1 +0,0 @@', '-import os', ''].join('\n');
    expect(selectByCoverage(MAP, deleted, TESTS).kind).toBe('full');
    const unparsed: CoverageMap = { ...MAP, files: { 'pkg/mod.py': { ...MAP.files['pkg/mod.py'], funcs: null } } };
    expect(selectByCoverage(unparsed, edit(4, '    y = x - 1'), TESTS).kind).toBe('full');
  });
  it('selects nothing for code no test executes, and all tests of a patched test file', () => {
    const unmeasured = createFilePatch('pkg/other.py', 'def f():\n    return 1\n', 'def f():\n    return 2\n');
    expect(selectByCoverage(MAP, unmeasured, TESTS).kind).toBe('none');
    const testEdit = createFilePatch('tests/test_other.py', 'x = 1\n', 'x = 2\n');
    expect(selectByCoverage(MAP, testEdit, TESTS)).toMatchObject({ kind: 'tests', tests: ['tests/test_other.py::test_x', 'tests/test_other.py::test_y'] });
  });
  it('a class header change (bases, decorators) runs the full suite; a class body insertion does not', () => {
    // cls.py: 1 import x / 2 @register / 3 class Raw(Base, / 4   Mixin): / 5   x = 1 / 6   def f(self): / 7     return 1 / 8 def g(): / 9   class Local(Base): / 10     pass / 11   return Local
    const src = ['import x', '@register', 'class Raw(Base,', '          Mixin):', '    x = 1', '    def f(self):', '        return 1', 'def g():', '    class Local(Base):', '        pass', '    return Local', ''].join('\n');
    const map: CoverageMap = {
      mode: 'test',
      contexts: ['', 'tests/test_mod.py::test_helper', 'tests/test_other.py::test_x'],
      files: {
        'pkg/cls.py': {
          lines: { '1': [0], '2': [0], '3': [0], '5': [0], '7': [1], '8': [0], '9': [2], '10': [2], '11': [2] },
          funcs: [
            [6, 7, 7],
            [8, 11, 9],
          ],
          classes: [
            [2, 4],
            [9, 9],
          ],
        },
      },
    };
    const change = (from: string, to: string): string => createFilePatch('pkg/cls.py', src, src.replace(from, to));
    expect(selectByCoverage(map, change('class Raw(Base,', 'class Raw('), TESTS)).toMatchObject({ kind: 'full', reason: expect.stringMatching(/header of a class.*pkg\/cls\.py:2/) });
    expect(selectByCoverage(map, change('@register\n', ''), TESTS).kind).toBe('full');
    expect(selectByCoverage(map, change('          Mixin):', '          Mixin, Other):'), TESTS).kind).toBe('full');
    // a decorator inserted above the class lands in its header
    expect(selectByCoverage(map, change('import x\n', 'import x\n@extra\n'), TESTS).kind).toBe('full');
    // a statement inserted as the first line of the body, and a body change, are import-time code
    expect(selectByCoverage(map, change('          Mixin):\n', '          Mixin):\n    y = 2\n'), TESTS)).toMatchObject({ kind: 'tests', tests: ['tests/test_mod.py::test_helper', 'tests/test_other.py::test_x'] });
    expect(selectByCoverage(map, change('    x = 1', '    x = 2'), TESTS).kind).toBe('tests');
    // a class defined inside a function is that function's business
    expect(selectByCoverage(map, change('class Local(Base):', 'class Local:'), TESTS)).toMatchObject({ kind: 'tests', tests: ['tests/test_other.py::test_x'] });
  });
  it('enclosingFunction picks the innermost function', () => {
    expect(enclosingFunction(MAP.files['pkg/mod.py'].funcs!, 9)).toEqual([7, 9, 9]);
    expect(enclosingFunction(MAP.files['pkg/mod.py'].funcs!, 2)).toBeNull();
  });
});

describe('selectByFiles', () => {
  const sources = new Map([
    ['tests/test_mod.py', 'from pkg import mod\n\ndef test_helper():\n    assert mod.helper(1) == 2\n'],
    ['tests/test_other.py', 'import pkg.mod as m\n'],
    ['tests/test_unrelated.py', 'import json\n# modest comment\n'],
  ]);
  const tests = [...TESTS, 'tests/test_unrelated.py::test_z'];
  it('selects test files importing or naming the patched module', () => {
    const s = selectByFiles(edit(4, '    y = x - 1'), tests, sources);
    expect(s).toMatchObject({ kind: 'tests' });
    expect((s as { tests: string[] }).tests).toEqual(TESTS);
    expect(moduleNames('src/pkg/sub/__init__.py')).toEqual({ dotted: 'pkg.sub', last: 'sub' });
  });
  it('falls back to full when nothing matches', () => {
    expect(selectByFiles(createFilePatch('pkg/zzz.py', 'a = 1\n', 'a = 2\n'), tests, sources).kind).toBe('full');
  });
});

describe('codeTouchedLines', () => {
  it('ignores removed blank/comment lines but keeps where inserted code lands', () => {
    const before = 'class A:\n    def f(self):\n        return 1\n\n    # note\n    def g(self):\n        return 2\n';
    const removeF = before.replace('    def f(self):\n        return 1\n\n    # note\n', '');
    expect(codeTouchedLines(createFilePatch('a.py', before, removeF)).get('a.py')).toEqual([2, 3]);
    const insert = before.replace('        return 2\n', '        x = 0\n        return 2\n');
    expect(codeTouchedLines(createFilePatch('a.py', before, insert)).get('a.py')).toEqual([6]);
    const blanks = before.replace('\n\n', '\n\n\n');
    expect(codeTouchedLineKinds(createFilePatch('a.py', before, insert)).get('a.py')).toEqual([{ line: 6, kind: 'after' }]);
    expect(codeTouchedLineKinds(createFilePatch('a.py', before, removeF)).get('a.py')).toEqual([
      { line: 2, kind: 'removed' },
      { line: 3, kind: 'removed' },
    ]);
    const overComment = before.replace('    # note\n', '    x = 1\n');
    expect(codeTouchedLineKinds(createFilePatch('a.py', before, overComment)).get('a.py')).toEqual([{ line: 5, kind: 'at' }]);
    expect(codeTouchedLines(createFilePatch('a.py', before, blanks)).get('a.py')).toEqual([]);
  });
});
