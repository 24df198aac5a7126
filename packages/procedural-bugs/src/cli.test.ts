import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo as capture, makeTempGitRepo, tempDir } from '@swe-forge/testkit';
import { runCli } from './cli.js';

const REPO = {
  'pkg/calc.py': 'def area(w, h):\n    if w < 0 or h < 0:\n        raise ValueError(w)\n    return w * h + 0\n\n\nclass Box:\n    def volume(self, d):\n        return self.w * self.h * d\n',
  'tests/test_calc.py': 'def test_area():\n    assert True\n',
};

describe('cli', () => {
  it('entities prints a table, and JSON with --json', async () => {
    const dir = makeTempGitRepo(REPO);
    const t = capture();
    expect(await runCli(['entities', dir], t.io)).toBe(0);
    expect(t.out()).toMatch(/pkg\/calc\.py:1-4\s+function\s+area\s+c=5/);
    expect(t.out()).toMatch(/Box\.volume/);
    const j = capture();
    expect(await runCli(['entities', dir, '--json'], j.io)).toBe(0);
    const parsed = JSON.parse(j.out());
    expect(parsed.entities.map((e: { qualified_name: string }) => e.qualified_name)).toEqual(['area', 'Box', 'Box.volume']);
    expect(['wasm', 'native']).toContain(parsed.parser);
  });

  it('--include/--exclude take repeatable, comma-separated globs (braces kept whole)', async () => {
    const dir = makeTempGitRepo({ 'a/x.py': 'def ax():\n    pass\n', 'b/x.py': 'def bx():\n    pass\n', 'c/x.py': 'def cx():\n    pass\n' });
    const t = capture();
    expect(await runCli(['entities', dir, '--json', '--exclude', '{a,b}/**'], t.io)).toBe(0);
    expect(JSON.parse(t.out()).entities.map((e: { name: string }) => e.name)).toEqual(['cx']);
    const u = capture();
    expect(await runCli(['entities', dir, '--json', '--include', 'a/**,c/**'], u.io)).toBe(0);
    expect(JSON.parse(u.out()).entities.map((e: { name: string }) => e.name)).toEqual(['ax', 'cx']);
  });

  it('procedural writes candidates and honours --modifiers, --seed and --likelihood', async () => {
    const dir = makeTempGitRepo(REPO);
    const out = join(tempDir(), 'bugs.jsonl');
    const t = capture();
    const code = await runCli(['procedural', dir, '--modifiers', 'func_pm_op_swap,func_pm_cmp_flip', '--seed', '3', '--likelihood', '1', '--out', out, '--json'], t.io);
    expect(t.err()).toBe('');
    expect(code).toBe(0);
    const stats = JSON.parse(t.out());
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBe(stats.candidates);
    expect(new Set(lines.map((l: { strategy: string }) => l.strategy))).toEqual(new Set(['procedural/func_pm_op_swap', 'procedural/func_pm_cmp_flip']));
    expect(lines.every((l: { meta: { seed: number; likelihood: number } }) => l.meta.seed === 3 && l.meta.likelihood === 1)).toBe(true);
  });

  it('prints one-line errors for bad input', async () => {
    const cases: [string[], RegExp][] = [
      [['procedural', '/no/such/dir', '--out', '/tmp/x.jsonl'], /^error: repository \/no\/such\/dir does not exist: .+\n$/],
      [['procedural', tempDir(), '--out', '/tmp/x.jsonl'], /^error: no Python files to process in .+\n$/],
      [['procedural', makeTempGitRepo(REPO), '--modifiers', 'nope', '--out', '/tmp/x.jsonl'], /^error: unknown modifier\(s\) nope: choose from .+\n$/],
      [['procedural', makeTempGitRepo(REPO), '--likelihood', '3', '--out', '/tmp/x.jsonl'], /^error: .*--likelihood must be a probability in \[0, 1\].*\n$/],
      [['procedural', makeTempGitRepo(REPO)], /^error: required option '--out <file>' not specified\n$/],
    ];
    for (const [argv, re] of cases) {
      const t = capture();
      expect(await runCli(argv, t.io)).not.toBe(0);
      expect(t.err()).toMatch(re);
    }
  });

  it('--help teaches with examples and the modifier table', async () => {
    const t = capture();
    expect(await runCli(['procedural', '--help'], t.io)).toBe(0);
    expect(t.out()).toContain('Examples:');
    expect(t.out()).toContain('func_pm_class_rm_funcs');
    const top = capture();
    expect(await runCli(['--help'], top.io)).toBe(0);
    expect(top.out()).toContain('swe-forge bugs procedural');
  });
});
