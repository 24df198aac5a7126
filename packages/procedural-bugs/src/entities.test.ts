import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempGitRepo, tempDir } from '@swe-forge/testkit';
import { extractEntities, ProceduralBugsError } from './generate.js';
import { loadParser, nativeAvailable } from './parser.js';
import { computeComplexity, extractFileEntities } from './entities.js';

const MOD = `import os


@decorator
def top(a, b=1) -> int:
    """Doc."""
    return a + b


async def fetch(url):
    async with session() as s:
        return await s.get(url)


class Outer(Base):
    class Inner:
        def deep(self):
            pass

    def method(self, x):
        def helper(y):
            return y * 2
        for i in range(x):
            if i > 3 and i < 10 or i == 1:
                continue
        try:
            pass
        except ValueError:
            pass
        except (KeyError, TypeError):
            pass
        return helper(x)
`;

describe('entities', () => {
  it('extracts functions, async functions, nested functions, methods and classes with qualified names', async () => {
    const dir = makeTempGitRepo({ 'pkg/mod.py': MOD });
    const { entities, parser } = await extractEntities(dir);
    expect(['wasm', 'native']).toContain(parser);
    expect(entities.map((e) => [e.qualified_name, e.kind, e.line_start, e.line_end])).toEqual([
      ['top', 'function', 5, 7],
      ['fetch', 'function', 10, 12],
      ['Outer', 'class', 15, 32],
      ['Outer.Inner', 'class', 16, 18],
      ['Outer.Inner.deep', 'method', 17, 18],
      ['Outer.method', 'method', 20, 32],
      ['Outer.method.helper', 'function', 21, 22],
    ]);
    const fetch = entities.find((e) => e.name === 'fetch')!;
    expect(fetch.async).toBe(true);
    expect(fetch.signature).toBe('async def fetch(url)');
    expect(fetch.tags).toContain('is_async');
    expect(fetch.tags).toContain('has_wrapper');
    const top = entities.find((e) => e.name === 'top')!;
    expect(top.signature).toBe('def top(a, b=1) -> int');
    expect(top.tags).toEqual(expect.arrayContaining(['is_function', 'has_decorator', 'has_binary_op', 'has_return']));
    const method = entities.find((e) => e.name === 'method')!;
    expect(method.indent).toBe('    ');
    expect(method.indent_level).toBe(1);
    expect(method.tags).toEqual(expect.arrayContaining(['has_loop', 'has_if', 'has_bool_op', 'has_exception', 'has_off_by_one', 'has_break_continue']));
    expect(method.tags).not.toContain('has_if_else');
    expect(entities.find((e) => e.name === 'Outer')!.tags).toContain('has_parent');
  });

  it('computes SWE-smith complexity: 1 + if/for/while + (bool operands - 1) + except handlers + comparison operators', async () => {
    const parser = await loadParser('wasm');
    const src = MOD;
    const { entities } = extractFileEntities(parser.parse(src), src, 'm.py');
    const method = entities.find((e) => e.entity.name === 'method')!;
    // 1 + for + if + (and, or) + 2 handlers + 3 comparisons = 10
    expect(method.entity.complexity).toBe(10);
    expect(computeComplexity(parser.parse('if a < b < c:\n    pass\nelif x:\n    pass\nwhile y:\n    pass\n'))).toBe(1 + 1 + 2 + 1 + 1);
    expect(entities.find((e) => e.entity.name === 'top')!.entity.complexity).toBe(1);
  });

  it('skips test code by default; --include brings it back, --exclude removes files', async () => {
    const dir = makeTempGitRepo({
      'pkg/a.py': 'def a():\n    pass\n',
      'pkg/test_a.py': 'def test_a():\n    pass\n',
      'pkg/a_test.py': 'def t():\n    pass\n',
      'tests/helpers.py': 'def h():\n    pass\n',
      'testing/x.py': 'def x():\n    pass\n',
      'conftest.py': 'def fixture():\n    pass\n',
      'docs/conf.py': 'def setup():\n    pass\n',
    });
    expect((await extractEntities(dir)).entities.map((e) => e.file)).toEqual(['docs/conf.py', 'pkg/a.py']);
    expect((await extractEntities(dir, { exclude: ['docs/**'] })).entities.map((e) => e.file)).toEqual(['pkg/a.py']);
    expect((await extractEntities(dir, { include: ['tests/**'] })).entities.map((e) => e.name)).toEqual(['h']);
  });

  it('walks files in sorted order, whatever the creation order', async () => {
    const dir = tempDir();
    for (const name of ['zeta', 'alpha', 'Mid', 'beta']) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'm.py'), `def ${name.toLowerCase()}():\n    pass\n`);
    }
    const { entities } = await extractEntities(dir);
    expect(entities.map((e) => e.file)).toEqual(['Mid/m.py', 'alpha/m.py', 'beta/m.py', 'zeta/m.py']);
  });

  it('keeps the intact entities of a file with a syntax error and reports the broken ones', async () => {
    const dir = makeTempGitRepo({
      'm.py': 'def good(a):\n    return a + 1\n\n\ndef bad(a):\n    x = = 2\n    return x\n\n\ndef also_good():\n    return 2\n',
    });
    const { entities, skipped, stats } = await extractEntities(dir);
    expect(entities.map((e) => e.name)).toEqual(expect.arrayContaining(['good', 'also_good']));
    expect(entities.map((e) => e.name)).not.toContain('bad');
    expect(stats.files_with_syntax_errors).toBe(1);
    expect(skipped).toHaveLength(1);
    expect(skipped[0].reason).toMatch(/syntax error/);
  });

  it('reports non-UTF-8, binary, huge files and symlink loops instead of crashing', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ok.py'), 'def ok():\n    pass\n');
    writeFileSync(join(dir, 'latin1.py'), Buffer.from('def f():\n    return "caf\xe9"\n', 'latin1'));
    writeFileSync(join(dir, 'blob.py'), Buffer.from([0x64, 0x65, 0x66, 0x00, 0x01, 0x02]));
    writeFileSync(join(dir, 'huge.py'), `X = [\n${'    1,\n'.repeat(200_000)}]\n`);
    mkdirSync(join(dir, 'pkg'));
    symlinkSync('..', join(dir, 'pkg', 'loop'));
    symlinkSync(join(dir, 'ok.py'), join(dir, 'link.py'));
    const { entities, skipped } = await extractEntities(dir);
    expect(entities.map((e) => e.name)).toEqual(['ok']);
    const reasons = Object.fromEntries(skipped.map((s) => [s.file, s.reason]));
    expect(reasons['latin1.py']).toMatch(/not UTF-8/);
    expect(reasons['blob.py']).toMatch(/binary/);
    expect(reasons['huge.py']).toMatch(/too large/);
    expect(reasons['pkg/loop']).toMatch(/symlink/);
    expect(reasons['link.py']).toMatch(/symlink/);
  });

  it('fails with one clear error on an empty or missing directory', async () => {
    await expect(extractEntities(tempDir())).rejects.toThrow(ProceduralBugsError);
    await expect(extractEntities(tempDir())).rejects.toThrow(/no Python files to process/);
    await expect(extractEntities('/nonexistent/dir')).rejects.toThrow(/does not exist/);
  });

  it('gives identical entities with the wasm and native parsers', async () => {
    if (!nativeAvailable()) return;
    const dir = makeTempGitRepo({ 'm.py': MOD, 'u.py': 'def ü(a):\n    s = "😀é"\n    return s + a\n' });
    const wasm = await extractEntities(dir, { parser: 'wasm' });
    const native = await extractEntities(dir, { parser: 'native' });
    expect(native.parser).toBe('native');
    expect(wasm.parser).toBe('wasm');
    expect(native.entities).toEqual(wasm.entities);
  });
});
