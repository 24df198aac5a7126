import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../ids/index.js';
import { createFilePatch, createPatch, parsePatch, reversePatch } from './index.js';

const root = mkdtempSync(join(tmpdir(), 'swe-forge-diff-rt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function freshDir(files: Record<string, string | null>): string {
  const dir = join(root, `case-${n++}`);
  mkdirSync(dir, { recursive: true });
  for (const [p, content] of Object.entries(files)) {
    if (content === null) continue;
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  return dir;
}

/** Real `git apply` (outside any repository: the ceiling stops discovery at the temp root). */
function gitApply(dir: string, patch: string, reverse = false): void {
  const file = join(dir, '..', `p-${n++}.patch`);
  writeFileSync(file, patch);
  execFileSync('git', ['apply', ...(reverse ? ['--reverse'] : []), file], {
    cwd: dir,
    env: { ...process.env, GIT_CEILING_DIRECTORIES: root },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function contents(dir: string, paths: string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const p of paths) out[p] = existsSync(join(dir, p)) ? readFileSync(join(dir, p)).toString('latin1') : null;
  return out;
}

const bytes = (files: Record<string, string | null>): Record<string, string | null> =>
  Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v === null ? null : Buffer.from(v, 'utf8').toString('latin1')]));

/** before → patch → git apply → after (byte-exact), then the reverse patch (and git apply -R) → before. */
function roundTrip(before: Record<string, string | null>, after: Record<string, string | null>): string {
  const paths = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const patch = createPatch(paths.map((path) => ({ path, before: before[path] ?? null, after: after[path] ?? null })));
  const dir = freshDir(before);
  gitApply(dir, patch);
  expect(contents(dir, paths)).toEqual(bytes(Object.fromEntries(paths.map((p) => [p, after[p] ?? null]))));
  const rev = reversePatch(patch);
  expect(reversePatch(rev)).toBe(patch);
  gitApply(dir, rev);
  expect(contents(dir, paths)).toEqual(bytes(Object.fromEntries(paths.map((p) => [p, before[p] ?? null]))));
  // and git's own reverse mode agrees
  gitApply(dir, patch);
  gitApply(dir, patch, true);
  expect(contents(dir, paths)).toEqual(bytes(Object.fromEntries(paths.map((p) => [p, before[p] ?? null]))));
  return patch;
}

const lines = (k: number, f = (i: number) => `line ${i}`): string => Array.from({ length: k }, (_, i) => `${f(i + 1)}\n`).join('');

describe('createPatch round-trips through real git apply (forward and reverse)', () => {
  it('plain edits', () => {
    const before = 'def f(x):\n    return x + 1\n\n\ndef g():\n    pass\n';
    const after = 'def f(x):\n    return x - 1\n\n\ndef g():\n    return None\n';
    const patch = roundTrip({ 'pkg/m.py': before }, { 'pkg/m.py': after });
    expect(patch.startsWith('diff --git a/pkg/m.py b/pkg/m.py\n--- a/pkg/m.py\n+++ b/pkg/m.py\n@@ -1,6 +1,6 @@\n')).toBe(true);
  });

  it('unicode text', () => {
    roundTrip({ 'u.txt': 'café\n漢字の行\nemoji 🎉 here\nzeta\n' }, { 'u.txt': 'café é\n漢字の行\nemoji 🎉🚀 here\nζeta\n' });
  });

  it('unicode file names', () => {
    roundTrip({ 'docs/résumé 漢.md': 'a\n' }, { 'docs/résumé 漢.md': 'b\n' });
  });

  it('no final newline on both sides', () => {
    const patch = roundTrip({ f: 'a\nb\nc' }, { f: 'a\nB\nc' });
    expect(patch).toContain(' c\n\\ No newline at end of file\n');
  });

  it('adding and removing the final newline', () => {
    const patch = roundTrip({ f: 'a\nb\nc' }, { f: 'a\nb\nc\n' });
    expect(patch).toContain('-c\n\\ No newline at end of file\n+c\n');
    roundTrip({ f: 'a\nb\nc\n' }, { f: 'a\nb\nc' });
    roundTrip({ f: 'x' }, { f: 'y' });
  });

  it('CRLF files stay CRLF byte for byte', () => {
    const before = 'one\r\ntwo\r\nthree\r\nfour\r\n';
    const after = 'one\r\nTWO\r\nthree\r\nfour\r\nfive\r\n';
    const patch = roundTrip({ 'w.txt': before }, { 'w.txt': after });
    expect(patch).toContain('-two\r\n+TWO\r\n');
    roundTrip({ 'w.txt': 'a\r\nb\r\nc' }, { 'w.txt': 'a\r\nb\r\nc\r\n' });
    // switching line endings is a change of every line
    roundTrip({ 'w.txt': 'a\nb\n' }, { 'w.txt': 'a\r\nb\r\n' });
    // mixed endings
    roundTrip({ 'w.txt': 'a\r\nb\nc\r\n' }, { 'w.txt': 'a\r\nB\nc\r\n' });
  });

  it('a new file and a deleted file', () => {
    const patch = roundTrip({ 'old.py': 'x = 1\ny = 2\n' }, { 'new/mod.py': 'import os\n\nprint(os.sep)\n' });
    expect(patch).toContain('diff --git a/new/mod.py b/new/mod.py\nnew file mode 100644\n--- /dev/null\n+++ b/new/mod.py\n@@ -0,0 +1,3 @@\n');
    expect(patch).toContain('deleted file mode 100644\n--- a/old.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n');
    roundTrip({}, { 'n.txt': 'no newline' });
    roundTrip({}, { 'empty.txt': '' });
    roundTrip({ 'gone.txt': '' }, {});
  });

  it('multiple hunks far apart and close together', () => {
    const before = lines(200);
    const arr = before.split('\n');
    arr[10] = 'changed 11';
    arr[17] = 'changed 18'; // 6 equal lines between: merged into one hunk
    arr[100] = 'changed 101';
    arr.splice(150, 2);
    arr.splice(190, 0, 'inserted');
    const after = arr.join('\n');
    const patch = roundTrip({ big: before }, { big: after });
    expect(parsePatch(patch)[0].hunks.map((h) => h.header)).toEqual([
      '@@ -8,14 +8,14 @@ line 7',
      '@@ -98,7 +98,7 @@ line 97',
      '@@ -148,8 +148,6 @@ line 147',
      '@@ -190,6 +188,7 @@ line 189',
    ]);
    // 7 equal lines between changes: separate hunks
    const arr2 = before.split('\n');
    arr2[10] = 'x';
    arr2[18] = 'y';
    expect(parsePatch(roundTrip({ big: before }, { big: arr2.join('\n') }))[0].hunks).toHaveLength(2);
  });

  it('changes at the very start and end', () => {
    roundTrip({ f: lines(10) }, { f: `first\n${lines(10)}last\n` });
    roundTrip({ f: lines(10) }, { f: lines(10).split('\n').slice(1, -2).join('\n') + '\n' });
  });

  it('an empty before (existing empty file) and an emptied file', () => {
    const patch = roundTrip({ e: '' }, { e: 'a\nb\nc\n' });
    expect(patch).toContain('--- a/e\n+++ b/e\n@@ -0,0 +1,3 @@\n');
    roundTrip({ e: 'a\nb\n' }, { e: '' });
  });

  it('context 0 and context 10', () => {
    const before = lines(50);
    const after = before.replace('line 20\n', 'LINE 20\n');
    const p0 = createFilePatch('f', before, after, { context: 0 });
    expect(p0).toContain('@@ -20 +20 @@ line 19\n-line 20\n+LINE 20\n');
    const p10 = createFilePatch('f', before, after, { context: 10 });
    expect(parsePatch(p10)[0].hunks[0]).toMatchObject({ oldStart: 10, oldLines: 21 });
  });

  it('matches `git diff --no-index` for a simple edit', () => {
    const dir = freshDir({ 'a/f.py': lines(20), 'b/f.py': lines(20).replace('line 7\n', 'line seven\n') });
    let out = '';
    try {
      execFileSync('git', ['diff', '--no-index', '--no-color', 'a/f.py', 'b/f.py'], { cwd: dir, encoding: 'utf8' });
    } catch (e) {
      out = (e as { stdout: string }).stdout;
    }
    const ours = createFilePatch('f.py', lines(20), lines(20).replace('line 7\n', 'line seven\n'));
    const git = out
      .split('\n')
      .filter((l) => !l.startsWith('index '))
      .join('\n')
      .replaceAll('a/a/f.py', 'a/f.py')
      .replaceAll('b/b/f.py', 'b/f.py');
    expect(ours).toBe(git);
  });
});

describe('property: random edits round-trip through git apply', () => {
  it('200 seeded random edits of random texts', () => {
    const rand = seededRandom(20241121);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const vocab = ['', 'x', 'y = 1', '    return x', 'é', '漢字', '🎉', 'if a:', '\tpass', 'line', '}', '# comment'];
    const eol = (): string => (rand() < 0.1 ? '\r\n' : '\n');
    const randomText = (): string => {
      const k = Math.floor(rand() * 40);
      let t = '';
      for (let i = 0; i < k; i++) t += pick(vocab) + eol();
      if (rand() < 0.2) t += pick(vocab) + 'z'; // no final newline
      return t;
    };
    const edit = (text: string): string => {
      const ls = text.split('\n');
      const ops = 1 + Math.floor(rand() * 5);
      for (let o = 0; o < ops; o++) {
        const at = Math.floor(rand() * (ls.length + 1));
        const r = rand();
        if (r < 0.35) ls.splice(at, 1);
        else if (r < 0.7) ls.splice(at, 0, pick(vocab));
        else if (at < ls.length) ls[at] = pick(vocab) + (rand() < 0.5 ? '\r' : '');
        else ls.push(pick(vocab));
      }
      return ls.join('\n');
    };
    const before: Record<string, string> = {};
    const after: Record<string, string> = {};
    for (let i = 0; i < 200; i++) {
      const b = randomText();
      let a = edit(b);
      if (a === b) a = `${b}extra\n`;
      before[`f${String(i).padStart(3, '0')}.txt`] = b;
      after[`f${String(i).padStart(3, '0')}.txt`] = a;
    }
    const paths = Object.keys(before);
    const patch = createPatch(paths.map((path) => ({ path, before: before[path], after: after[path] })));
    expect(parsePatch(patch)).toHaveLength(200);
    const dir = freshDir(before);
    gitApply(dir, patch);
    expect(contents(dir, paths)).toEqual(bytes(after));
    gitApply(dir, reversePatch(patch));
    expect(contents(dir, paths)).toEqual(bytes(before));
    // every single-file patch also applies on its own
    for (const path of paths.slice(0, 20)) {
      const one = createFilePatch(path, before[path], after[path]);
      const d = freshDir({ [path]: before[path] });
      gitApply(d, one);
      expect(contents(d, [path])).toEqual(bytes({ [path]: after[path] }));
    }
  });
});
