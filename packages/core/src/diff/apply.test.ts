import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyPatch, createPatch, PatchApplyError, reversePatch } from './index.js';

const root = mkdtempSync(join(tmpdir(), 'swe-forge-diff-apply-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function tree(files: Record<string, string>, parent = root): string {
  const dir = join(parent, `t${n++}`);
  mkdirSync(dir, { recursive: true });
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return dir;
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.git') continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else out[r] = readFileSync(join(d, e.name), 'utf8');
    }
  };
  walk(dir, '');
  return out;
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, encoding: 'utf8' });
}

const body = (k: number): string => Array.from({ length: k }, (_, i) => `v${i + 1} = ${i + 1}\n`).join('');
const BEFORE = { 'pkg/a.py': body(20), 'pkg/b.py': 'import os\n\nprint(os.sep)\n', 'gone.txt': 'bye\n' };
const AFTER = { 'pkg/a.py': body(20).replace('v10 = 10', 'v10 = -10'), 'pkg/b.py': 'import sys\n\nprint(os.sep)\n', 'new/c.py': 'é = "漢"\n' };
const PATCH = createPatch(
  ['gone.txt', 'new/c.py', 'pkg/a.py', 'pkg/b.py'].map((path) => ({
    path,
    before: (BEFORE as Record<string, string>)[path] ?? null,
    after: (AFTER as Record<string, string>)[path] ?? null,
  })),
);

describe('applyPatch', () => {
  it('applies with git in a plain directory, and reverses', async () => {
    const dir = tree(BEFORE);
    const r = await applyPatch(dir, PATCH);
    expect(r).toEqual({ method: 'git', files: ['gone.txt', 'new/c.py', 'pkg/a.py', 'pkg/b.py'] });
    expect(snapshot(dir)).toEqual(AFTER);
    expect(await applyPatch(dir, PATCH, { reverse: true })).toMatchObject({ method: 'git' });
    expect(snapshot(dir)).toEqual(BEFORE);
    await applyPatch(dir, reversePatch(reversePatch(PATCH)));
    expect(snapshot(dir)).toEqual(AFTER);
  });

  it('applies at the root of a git repository without touching the index', async () => {
    const dir = tree(BEFORE);
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'init');
    await applyPatch(dir, PATCH);
    expect(snapshot(dir)).toEqual(AFTER);
    expect(git(dir, 'diff', '--cached', '--name-only')).toBe('');
    expect(git(dir, 'status', '--porcelain').trimEnd().split('\n').sort()).toEqual([' D gone.txt', ' M pkg/a.py', ' M pkg/b.py', '?? new/'].sort());
  });

  it('applies relative to a subdirectory of a git repository', async () => {
    const repo = tree({ 'README.md': 'top\n' });
    git(repo, 'init', '-q');
    const dir = tree(BEFORE, repo); // the patch is relative to dir, not the repository root
    await applyPatch(dir, PATCH);
    expect(snapshot(dir)).toEqual(AFTER);
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).toBe('top\n');
  });

  it('check mode changes nothing', async () => {
    const dir = tree(BEFORE);
    expect(await applyPatch(dir, PATCH, { check: true })).toMatchObject({ method: 'git' });
    expect(snapshot(dir)).toEqual(BEFORE);
    await expect(applyPatch(dir, PATCH, { check: true, reverse: true })).rejects.toBeInstanceOf(PatchApplyError);
  });

  it('falls back to patch --fuzz when the context shifted', async () => {
    const dir = tree(BEFORE);
    // a context line near the change was edited since the patch was made: git apply refuses
    writeFileSync(join(dir, 'pkg/a.py'), body(20).replace('v8 = 8', 'v8 = 8  # tweaked'));
    const r = await applyPatch(dir, PATCH);
    expect(r.method).toBe('patch');
    expect(readFileSync(join(dir, 'pkg/a.py'), 'utf8')).toBe(body(20).replace('v8 = 8', 'v8 = 8  # tweaked').replace('v10 = 10', 'v10 = -10'));
    expect(snapshot(dir)).toMatchObject({ 'pkg/b.py': AFTER['pkg/b.py'], 'new/c.py': AFTER['new/c.py'] });
    expect(Object.keys(snapshot(dir)).filter((f) => f.endsWith('.orig') || f.endsWith('.rej'))).toEqual([]);
    // with fuzz 0 the same patch is refused and nothing changes
    const strict = tree(BEFORE);
    writeFileSync(join(strict, 'pkg/a.py'), body(20).replace('v8 = 8', 'v8 = 8  # tweaked'));
    const pre = snapshot(strict);
    await expect(applyPatch(strict, PATCH, { fuzz: 0 })).rejects.toBeInstanceOf(PatchApplyError);
    expect(snapshot(strict)).toEqual(pre);
  });

  it('check mode reports the patch fallback without writing', async () => {
    const dir = tree(BEFORE);
    writeFileSync(join(dir, 'pkg/a.py'), body(20).replace('v8 = 8', 'v8 = 8  # tweaked'));
    const pre = snapshot(dir);
    expect(await applyPatch(dir, PATCH, { check: true })).toMatchObject({ method: 'patch' });
    expect(snapshot(dir)).toEqual(pre);
  });

  it('throws a PatchApplyError naming the file and hunk and leaves the tree unchanged', async () => {
    const dir = tree(BEFORE);
    writeFileSync(join(dir, 'pkg/b.py'), 'completely\ndifferent\ncontent\n');
    const pre = snapshot(dir);
    const e = (await applyPatch(dir, PATCH).catch((x: unknown) => x)) as PatchApplyError;
    expect(e).toBeInstanceOf(PatchApplyError);
    expect(e.file).toBe('pkg/b.py');
    expect(e.hunkLine).toBe(1);
    expect(e.message).toContain('pkg/b.py (hunk at line 1)');
    expect(e.message).toContain('Hint:');
    expect(e.gitStderr).toContain('patch does not apply');
    expect(e.patchOutput).toContain('FAILED');
    // the other files (gone.txt, pkg/a.py, new/c.py) were not half-applied
    expect(snapshot(dir)).toEqual(pre);
  });

  it('says when a patch is already applied', async () => {
    const dir = tree(AFTER);
    const e = (await applyPatch(dir, PATCH).catch((x: unknown) => x)) as PatchApplyError;
    expect(e).toBeInstanceOf(PatchApplyError);
    expect(e.hint).toMatch(/applied already/);
    expect(snapshot(dir)).toEqual(AFTER);
  });

  it('applies CRLF and no-final-newline patches byte for byte', async () => {
    const before = { 'w.txt': 'a\r\nb\r\nc\r\n', 'n.txt': 'x\ny' };
    const after = { 'w.txt': 'a\r\nB\r\nc\r\n', 'n.txt': 'x\ny\n' };
    const p = createPatch(Object.keys(before).map((path) => ({ path, before: before[path as 'w.txt'], after: after[path as 'w.txt'] })));
    const dir = tree(before);
    await applyPatch(dir, p);
    expect(snapshot(dir)).toEqual(after);
    await applyPatch(dir, p, { reverse: true });
    expect(snapshot(dir)).toEqual(before);
  });

  it('applies zero-context patches', async () => {
    const dir = tree({ f: body(10) });
    const p = createPatch([{ path: 'f', before: body(10), after: body(10).replace('v5 = 5', 'v5 = 50') }], { context: 0 });
    expect(await applyPatch(dir, p)).toMatchObject({ method: 'git' });
    expect(readFileSync(join(dir, 'f'), 'utf8')).toBe(body(10).replace('v5 = 5', 'v5 = 50'));
  });

  it('handles empty and malformed input with clear errors', async () => {
    const dir = tree({ f: 'x\n' });
    expect(await applyPatch(dir, '')).toEqual({ method: 'git', files: [] });
    await expect(applyPatch(dir, 'not a patch\n')).rejects.toThrow(/no file sections/);
    await expect(applyPatch(join(dir, 'missing'), PATCH)).rejects.toThrow(/does not exist/);
    expect(existsSync(join(dir, 'f'))).toBe(true);
  });
});
