import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeTempGitRepo, tempDir } from '@swe-forge/testkit';
import { parseRecord } from '@swe-forge/core/schema';
import { createFilePatch } from '@swe-forge/core/diff';
import type { BugCandidate } from '@swe-forge/core/schema';
import { generateProceduralBugs } from './generate.js';
import { ALL_MODIFIERS } from './modifiers.js';
import { loadParser, nativeAvailable } from './parser.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/shop', import.meta.url));

function fixtureFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(FIXTURE, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(FIXTURE);
  return out;
}

function shopRepo(extra: Record<string, string> = {}): string {
  return makeTempGitRepo({ ...fixtureFiles(), ...extra });
}

function gitApply(dir: string, patch: string, args: string[] = []): void {
  execFileSync('git', ['apply', ...args, '-'], { cwd: dir, input: patch, stdio: ['pipe', 'pipe', 'pipe'] });
}

function readLines(path: string): BugCandidate[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as BugCandidate);
}

describe('generateProceduralBugs', () => {
  it('emits valid, applicable, re-parsable, deduplicated BugCandidates for every modifier on the fixture', async () => {
    const dir = shopRepo();
    const out = join(tempDir(), 'bugs.jsonl');
    const { candidates, stats } = await generateProceduralBugs(dir, { out, progress: false });
    const fired = new Set(candidates.map((c) => c.strategy.replace('procedural/', '')));
    expect([...fired].sort()).toEqual(ALL_MODIFIERS.map((m) => m.name).sort());
    expect(readLines(out)).toEqual(candidates);
    expect(new Set(candidates.map((c) => c.patch)).size).toBe(candidates.length);
    expect(new Set(candidates.map((c) => c.id)).size).toBe(candidates.length);
    expect(candidates.every((c) => !c.files[0].startsWith('tests/'))).toBe(true);
    const parser = await loadParser('wasm');
    for (const c of candidates) {
      parseRecord('BugCandidate', c);
      expect(c.id).toMatch(/^swe-forge-repo-\w+\.[0-9a-f]{8}\.func_pm_\w+__[0-9a-f]{8}$/);
      const file = join(dir, c.files[0]);
      const before = readFileSync(file, 'utf8');
      gitApply(dir, c.patch, ['--check']);
      gitApply(dir, c.patch);
      const after = readFileSync(file, 'utf8');
      expect(parser.hasError(after)).toBe(false);
      expect(after.replace(/\s+/g, '')).not.toBe(before.replace(/\s+/g, ''));
      // the windowed diff is byte-identical to diffing the whole file
      expect(c.patch).toBe(createFilePatch(c.files[0], before, after));
      gitApply(dir, c.patch, ['-R']);
      expect(readFileSync(file, 'utf8')).toBe(before);
    }
    expect(stats.candidates).toBe(candidates.length);
    expect(stats.git_apply_failed).toBe(0);
  });

  it('is deterministic: same seed and options give byte-identical output, whatever the worker count', async () => {
    const dir = shopRepo();
    const a = join(tempDir(), 'a.jsonl');
    const b = join(tempDir(), 'b.jsonl');
    await generateProceduralBugs(dir, { out: a, seed: 5, workers: 1, progress: false });
    await generateProceduralBugs(dir, { out: b, seed: 5, workers: 2, progress: false });
    expect(readFileSync(b, 'utf8')).toBe(readFileSync(a, 'utf8'));
  });

  it('gives the same candidates with the wasm and the native parser', async () => {
    if (!nativeAvailable()) return;
    const dir = shopRepo();
    const w = await generateProceduralBugs(dir, { parser: 'wasm', progress: false });
    const n = await generateProceduralBugs(dir, { parser: 'native', progress: false });
    expect(n.stats.parser).toBe('native');
    expect(w.stats.parser).toBe('wasm');
    expect(n.candidates.map((c) => c.patch)).toEqual(w.candidates.map((c) => c.patch));
  });

  it('--seed changes the bugs', async () => {
    const dir = shopRepo();
    const s1 = await generateProceduralBugs(dir, { seed: 1, progress: false });
    const s2 = await generateProceduralBugs(dir, { seed: 2, progress: false });
    const p1 = new Set(s1.candidates.map((c) => c.patch));
    const differing = s2.candidates.filter((c) => !p1.has(c.patch));
    expect(differing.length).toBeGreaterThan(s2.candidates.length / 10);
  });

  it('CRLF files give patches that apply and keep CRLF endings', async () => {
    const crlf = readFileSync(join(FIXTURE, 'shop/io.py'), 'utf8').replace(/\n/g, '\r\n');
    const dir = makeTempGitRepo({ 'pkg/io_crlf.py': crlf });
    const { candidates } = await generateProceduralBugs(dir, { progress: false });
    expect(candidates.length).toBeGreaterThan(5);
    for (const c of candidates) {
      gitApply(dir, c.patch);
      const after = readFileSync(join(dir, 'pkg/io_crlf.py'), 'utf8');
      expect(after.replace(/\r\n/g, '')).not.toContain('\n');
      expect(c.patch).toBe(createFilePatch('pkg/io_crlf.py', crlf, after));
      gitApply(dir, c.patch, ['-R']);
    }
  });

  it('never deletes the trailing `# type: ignore` comment of an entity\'s last line', async () => {
    const dir = shopRepo();
    const { candidates } = await generateProceduralBugs(dir, { progress: false });
    const touchingTotal = candidates.filter((c) => c.entities[0].name === 'Cart.total');
    expect(touchingTotal.length).toBeGreaterThan(0);
    for (const c of touchingTotal) {
      gitApply(dir, c.patch);
      expect(readFileSync(join(dir, 'shop/cart.py'), 'utf8')).toContain('# type: ignore\n');
      gitApply(dir, c.patch, ['-R']);
    }
  });

  it('never re-indents multi-line strings', async () => {
    const dir = shopRepo();
    const { candidates } = await generateProceduralBugs(dir, { progress: false });
    const receipt = candidates.filter((c) => c.entities[0].name === 'receipt');
    expect(receipt.length).toBeGreaterThan(0);
    for (const c of receipt) {
      gitApply(dir, c.patch);
      expect(readFileSync(join(dir, 'shop/cart.py'), 'utf8')).toContain('    footer = """\ntotal:\n  (cents)\n"""\n');
      gitApply(dir, c.patch, ['-R']);
    }
  });

  it('class_rm_funcs leaves no call to a removed method', async () => {
    const dir = shopRepo();
    const { candidates } = await generateProceduralBugs(dir, { modifiers: ['func_pm_class_rm_funcs'], likelihood: 0.4, progress: false });
    expect(candidates.length).toBeGreaterThan(0);
    for (const c of candidates) {
      const removed = [...c.patch.matchAll(/^-[ \t]+def (\w+)\(/gm)].map((m) => m[1]);
      expect(removed.length).toBeGreaterThan(0);
      gitApply(dir, c.patch);
      const after = readFileSync(join(dir, c.files[0]), 'utf8');
      for (const name of removed) expect(after).not.toMatch(new RegExp(`self\\.${name}\\(`));
      gitApply(dir, c.patch, ['-R']);
    }
  });

  it('counts and reports files with syntax errors and keeps their intact entities', async () => {
    const dir = shopRepo({ 'shop/broken.py': 'def ok(a, b):\n    if a:\n        return a + b\n    return a - b\n\n\ndef bad(a):\n    x = = 2\n    return x\n' });
    const { candidates, stats } = await generateProceduralBugs(dir, { progress: false });
    expect(stats.files_with_syntax_errors).toBe(1);
    expect(stats.entities_broken).toBe(1);
    expect((stats.skipped as { file: string; reason: string }[]).map((s) => s.file)).toContain('shop/broken.py');
    expect(candidates.some((c) => c.entities[0].name === 'ok')).toBe(true);
    expect(candidates.some((c) => c.entities[0].name === 'bad')).toBe(false);
  });

  it('resumes: a rerun appends nothing, and a torn output is completed without duplicates', async () => {
    const dir = shopRepo();
    const out = join(tempDir(), 'bugs.jsonl');
    const first = await generateProceduralBugs(dir, { out, progress: false });
    const full = readFileSync(out, 'utf8');
    const again = await generateProceduralBugs(dir, { out, progress: false });
    expect(again.stats.already_in_output).toBe(first.candidates.length);
    expect(readFileSync(out, 'utf8')).toBe(full);
    // simulate a crash: half the file plus a torn line
    const half = full.slice(0, full.indexOf('\n', full.length >> 1) + 1);
    writeFileSync(out, half + full.slice(half.length, half.length + 40));
    await generateProceduralBugs(dir, { out, progress: false });
    const ids = readLines(out).map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(first.candidates.map((c) => c.id).sort());
  });

  it('limits bugs per modifier and entities, with a seeded choice', async () => {
    const dir = shopRepo();
    const { candidates } = await generateProceduralBugs(dir, { maxBugsPerModifier: 1, progress: false });
    const per = new Map<string, number>();
    for (const c of candidates) per.set(c.strategy, (per.get(c.strategy) ?? 0) + 1);
    expect([...per.values()].every((n) => n === 1)).toBe(true);
    const again = await generateProceduralBugs(dir, { maxBugsPerModifier: 1, progress: false });
    expect(again.candidates).toEqual(candidates);
    const few = await generateProceduralBugs(dir, { maxEntities: 3, progress: false });
    expect(few.stats.entities).toBe(3);
    expect(new Set(few.candidates.map((c) => c.entities[0].name)).size).toBeLessThanOrEqual(3);
  });

  it('writes SWE-smith\'s on-disk layout on request', async () => {
    const dir = shopRepo();
    const sw = tempDir();
    const { candidates } = await generateProceduralBugs(dir, { swesmithDir: sw, modifiers: ['func_pm_op_swap'], progress: false });
    const c = candidates[0];
    const hash = c.id.split('__').pop();
    const entityDir = join(sw, c.files[0].replace(/\//g, '__'), c.entities[0].name.split('.').pop()!);
    expect(readFileSync(join(entityDir, `bug__func_pm_op_swap__${hash}.diff`), 'utf8')).toBe(c.patch);
    const meta = JSON.parse(readFileSync(join(entityDir, `metadata__func_pm_op_swap__${hash}.json`), 'utf8'));
    expect(meta.strategy).toBe('func_pm_op_swap');
    expect(meta.rewrite).toContain('def ');
  });

  it('works in a directory that is not a git repository', async () => {
    const dir = tempDir();
    for (const [p, text] of Object.entries(fixtureFiles())) {
      execFileSync('mkdir', ['-p', join(dir, p, '..')]);
      writeFileSync(join(dir, p), text);
    }
    const { candidates, stats } = await generateProceduralBugs(dir, { progress: false });
    expect(existsSync(join(dir, '.git'))).toBe(false);
    expect(candidates.length).toBeGreaterThan(10);
    expect(String(stats.commit)).toMatch(/^[0-9a-f]{64}$/);
    const again = await generateProceduralBugs(dir, { progress: false });
    expect(again.candidates.map((c) => c.id)).toEqual(candidates.map((c) => c.id));
  });

  it('flags uncommitted .py changes: patches are made against the working tree', async () => {
    const dir = shopRepo();
    expect((await generateProceduralBugs(dir, { modifiers: ['func_pm_op_swap'], progress: false })).stats.dirty_worktree).toBe(false);
    writeFileSync(join(dir, 'shop/io.py'), readFileSync(join(dir, 'shop/io.py'), 'utf8') + '\n\ndef extra(a, b):\n    if a > 0 and b > 0:\n        return a - b\n    return b\n');
    const { candidates, stats } = await generateProceduralBugs(dir, { modifiers: ['func_pm_op_swap'], progress: false });
    expect(stats.dirty_worktree).toBe(true);
    expect(candidates.some((c) => c.entities[0].name === 'extra')).toBe(true);
  });

  it('rejects bad options with clear errors', async () => {
    const dir = shopRepo();
    await expect(generateProceduralBugs(dir, { modifiers: ['nope'] })).rejects.toThrow(/unknown modifier\(s\) nope: choose from/);
    await expect(generateProceduralBugs(dir, { likelihood: 2 })).rejects.toThrow(/between 0 and 1/);
  });
});
