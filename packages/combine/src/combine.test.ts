import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPatch, createFilePatch, patchFiles } from '@swe-forge/core/diff';
import { readJsonlAll, writeJsonlAtomic } from '@swe-forge/core/jsonl';
import type { BugCandidate, TaskInstance } from '@swe-forge/core/schema';
import { tempDir } from '@swe-forge/testkit';
import { runCli } from './cli.js';
import { combinations, combineBugs, groupInstances, mergePatches, moduleKey } from './combine.js';

const FUNCS = (prefix: string): string =>
  Array.from({ length: 6 }, (_, i) => `def ${prefix}${i}(x):\n    y = x + ${i}\n    return y * 2\n\n\n`).join('');

function repo(): string {
  const dir = tempDir('swe-forge-combine-');
  mkdirSync(join(dir, 'pkg/core'), { recursive: true });
  mkdirSync(join(dir, 'pkg/io'), { recursive: true });
  writeFileSync(join(dir, 'pkg/core/a.py'), FUNCS('a'));
  writeFileSync(join(dir, 'pkg/core/b.py'), FUNCS('b'));
  writeFileSync(join(dir, 'pkg/io/c.py'), FUNCS('c'));
  writeFileSync(join(dir, 'top.py'), FUNCS('t'));
  return dir;
}

let n = 0;
function inst(dir: string, file: string, from: string, to: string, strategy = 'procedural/func_pm_op_swap'): TaskInstance {
  const before = readFileSync(join(dir, file), 'utf8');
  const patch = createFilePatch(file, before, before.replace(from, to));
  return {
    schema_version: '1.0',
    instance_id: `local__r.0123abcd.x__${String(n++).padStart(8, '0')}`,
    repo: 'local/r',
    base_commit: '0123abcd0123abcd',
    env_id: 'env1',
    patch,
    problem_statement: '',
    FAIL_TO_PASS: ['t::a'],
    PASS_TO_PASS: ['t::b'],
    created_at: '2024-01-01T00:00:00Z',
    strategy,
    meta: { entities: [{ file, name: 'f', kind: 'function', line_start: 1, line_end: 3 }] },
  };
}

describe('combinations', () => {
  it('enumerates size-k index combinations lexicographically', () => {
    expect([...combinations(4, 2)]).toEqual([[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
    expect([...combinations(3, 3)]).toEqual([[0, 1, 2]]);
    expect([...combinations(2, 3)]).toEqual([]);
  });
});

describe('grouping', () => {
  it('groups by file, and by the first `depth` folders in module mode', () => {
    const dir = repo();
    const a1 = inst(dir, 'pkg/core/a.py', 'x + 1', 'x - 1');
    const b1 = inst(dir, 'pkg/core/b.py', 'x + 1', 'x - 1');
    const c1 = inst(dir, 'pkg/io/c.py', 'x + 1', 'x - 1');
    const t1 = inst(dir, 'top.py', 'x + 1', 'x - 1');
    const combo = { ...inst(dir, 'pkg/core/a.py', 'x + 2', 'x - 2'), strategy: 'combine_file' };
    expect(moduleKey('pkg/core/a.py', 2)).toBe('pkg/core');
    expect(moduleKey('pkg/core/a.py', 1)).toBe('pkg');
    expect(moduleKey('top.py', 1)).toBeNull();
    expect([...groupInstances([a1, b1, c1, t1, combo], 'file').keys()]).toEqual(['pkg/core/a.py', 'pkg/core/b.py', 'pkg/io/c.py', 'top.py']);
    const m2 = groupInstances([a1, b1, c1, t1], 'module', 2);
    expect([...m2.entries()].map(([k, v]) => [k, v.length])).toEqual([['pkg/core', 2], ['pkg/io', 1]]);
    const m1 = groupInstances([a1, b1, c1, t1], 'module', 1);
    expect([...m1.entries()].map(([k, v]) => [k, v.length])).toEqual([['pkg', 3]]);
  });
});

describe('mergePatches', () => {
  it('merges non-overlapping patches into one that applies to the clean tree; overlapping ones fail', async () => {
    const dir = repo();
    const p1 = inst(dir, 'pkg/core/a.py', 'x + 1', 'x - 1').patch;
    const p2 = inst(dir, 'pkg/core/a.py', 'x + 4', 'x * 4').patch;
    const clash = inst(dir, 'pkg/core/a.py', 'x + 1', 'x + 100').patch;
    const merged = await mergePatches(dir, [p1, p2]);
    expect(merged).not.toBeNull();
    await applyPatch(dir, merged as string, { check: true });
    await applyPatch(dir, merged as string);
    const text = readFileSync(join(dir, 'pkg/core/a.py'), 'utf8');
    expect(text).toContain('y = x - 1');
    expect(text).toContain('y = x * 4');
    expect(await mergePatches(dir, [p1, clash])).toBeNull();
  });
});

describe('combineBugs', () => {
  it('file mode: each bug used once, limit per file, merged patch applies', async () => {
    const dir = repo();
    const bugs = [1, 2, 3, 4, 5].map((i) => inst(dir, 'pkg/core/a.py', `x + ${i}`, `x - ${i}`));
    const out = await combineBugs(bugs, { mode: 'file', size: 2, repoDir: dir, seed: 3 });
    expect(out).toHaveLength(2); // 5 bugs, pairs, each used once
    const used = out.flatMap((c) => c.meta.components as string[]);
    expect(new Set(used).size).toBe(4);
    for (const c of out) {
      expect(c.strategy).toBe('combine_file');
      expect(c.files).toEqual(['pkg/core/a.py']);
      expect(c.entities).toHaveLength(2);
      await applyPatch(dir, c.patch, { check: true });
    }
    const limited = await combineBugs(bugs, { mode: 'file', size: 2, repoDir: dir, limitPerGroup: 1 });
    expect(limited).toHaveLength(1);
    const triples = await combineBugs(bugs, { mode: 'file', size: 3, repoDir: dir });
    expect(triples).toHaveLength(1);
    expect(triples[0].meta.n_components).toBe(3);
    // seeded: the same seed gives the same combinations
    const again = await combineBugs(bugs, { mode: 'file', size: 2, repoDir: dir, seed: 3 });
    expect(again.map((c) => c.id)).toEqual(out.map((c) => c.id));
  });

  it('skips conflicting combinations and respects max combos', async () => {
    const dir = repo();
    const a = inst(dir, 'pkg/core/a.py', 'x + 1', 'x - 1');
    const b = inst(dir, 'pkg/core/a.py', 'x + 1', 'x + 7'); // same line as a: cannot combine with a
    const c = inst(dir, 'pkg/core/a.py', 'x + 3', 'x - 3');
    const out = await combineBugs([a, b, c], { mode: 'file', size: 2, repoDir: dir });
    expect(out).toHaveLength(1);
    const comps = out[0].meta.components as string[];
    expect(comps).toContain(c.instance_id);
    expect(await combineBugs([a, b, c], { mode: 'file', size: 2, repoDir: dir, maxCombos: 0 })).toHaveLength(0);
  });

  it('module mode: only multi-file bundles within one module', async () => {
    const dir = repo();
    const a = inst(dir, 'pkg/core/a.py', 'x + 1', 'x - 1');
    const a2 = inst(dir, 'pkg/core/a.py', 'x + 2', 'x - 2');
    const b = inst(dir, 'pkg/core/b.py', 'x + 1', 'x - 1');
    const c = inst(dir, 'pkg/io/c.py', 'x + 1', 'x - 1');
    const out = await combineBugs([a, a2, b, c], { mode: 'module', depth: 2, size: 2, repoDir: dir });
    expect(out).toHaveLength(1);
    expect(out[0].strategy).toBe('combine_module');
    expect(patchFiles(out[0].patch)).toEqual(['pkg/core/a.py', 'pkg/core/b.py']);
    expect(out[0].meta.group).toBe('pkg/core');
    const wide = await combineBugs([a, b, c], { mode: 'module', depth: 1, size: 3, repoDir: dir });
    expect(wide).toHaveLength(1);
    expect(wide[0].files).toHaveLength(3);
  });
});

describe('combine CLI', () => {
  it('writes combined candidates that parse as BugCandidates', async () => {
    const dir = repo();
    const work = tempDir('swe-forge-combine-cli-');
    const bugs = [1, 2, 3].map((i) => inst(dir, 'pkg/core/a.py', `x + ${i}`, `x - ${i}`));
    await writeJsonlAtomic(join(work, 'inst.jsonl'), bugs);
    let out = '';
    const code = await runCli(['combine', dir, '--instances', join(work, 'inst.jsonl'), '--out', join(work, 'c.jsonl'), '--json'], {
      stdout: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
    });
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ instances: 3, candidates: 1 });
    const cands = await readJsonlAll<BugCandidate>(join(work, 'c.jsonl'), { schema: 'BugCandidate' });
    expect(cands[0].strategy).toBe('combine_file');
    let err = '';
    const bad = await runCli(['combine', join(work, 'nope'), '--instances', 'x', '--out', 'y'], { stderr: { write: (s: string) => ((err += s), true) } as unknown as NodeJS.WritableStream });
    expect(bad).toBe(1);
    expect(err).toMatch(/^error: repository .* is not a directory/);
  });

  it('module mode with no result because files sit shallower than --depth says which --depth to try', async () => {
    const dir = repo();
    const work = tempDir('swe-forge-combine-cli-');
    const bugs = [inst(dir, 'pkg/core/a.py', 'x + 1', 'x - 1'), inst(dir, 'pkg/core/b.py', 'x + 2', 'x - 2')];
    await writeJsonlAtomic(join(work, 'inst.jsonl'), bugs);
    let out = '';
    let err = '';
    const io = {
      stdout: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
      stderr: { write: (s: string) => ((err += s), true) } as unknown as NodeJS.WritableStream,
    };
    const code = await runCli(['combine', dir, '--instances', join(work, 'inst.jsonl'), '--out', join(work, 'c.jsonl'), '--mode', 'module', '--depth', '3'], io);
    expect(code).toBe(0);
    expect(out).toMatch(/^0 combined candidate\(s\)/);
    expect(err).toContain('try --depth 2');
    err = '';
    expect(await runCli(['combine', dir, '--instances', join(work, 'inst.jsonl'), '--out', join(work, 'c2.jsonl'), '--mode', 'module', '--depth', '2'], io)).toBe(0);
    expect(err).toBe('');
  });
});
