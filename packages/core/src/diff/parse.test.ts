import { describe, expect, it } from 'vitest';
import {
  createFilePatch,
  createPatch,
  formatPatch,
  parsePatch,
  PatchParseError,
  patchFiles,
  patchStats,
  reversePatch,
  touchedLines,
} from './index.js';

const lines = (k: number): string => Array.from({ length: k }, (_, i) => `line ${i + 1}\n`).join('');

describe('createFilePatch', () => {
  it('returns an empty string when nothing changes', () => {
    expect(createFilePatch('f', 'a\n', 'a\n')).toBe('');
    expect(createPatch([{ path: 'f', before: 'x', after: 'x' }])).toBe('');
  });

  it('sorts files by path and rejects duplicates and absolute paths', () => {
    const p = createPatch([
      { path: 'b.py', before: '1\n', after: '2\n' },
      { path: 'a.py', before: '1\n', after: '2\n' },
    ]);
    expect(patchFiles(p)).toEqual(['a.py', 'b.py']);
    expect(() => createPatch([{ path: 'a', before: '', after: 'x' }, { path: 'a', before: '', after: 'y' }])).toThrow(/twice/);
    expect(() => createFilePatch('/etc/passwd', 'a', 'b')).toThrow(/relative/);
  });

  it('writes git headers for paths with spaces and quotes', () => {
    const p = createFilePatch('my dir/a b.py', 'x\n', 'y\n');
    expect(p).toContain('diff --git a/my dir/a b.py b/my dir/a b.py\n--- a/my dir/a b.py\t\n+++ b/my dir/a b.py\t\n');
    expect(parsePatch(p)[0]).toMatchObject({ oldPath: 'my dir/a b.py', newPath: 'my dir/a b.py' });
    const q = createFilePatch('we"ird\\name', 'x\n', 'y\n');
    expect(q).toContain('diff --git "a/we\\"ird\\\\name" "b/we\\"ird\\\\name"');
    expect(parsePatch(q)[0].newPath).toBe('we"ird\\name');
    expect(reversePatch(reversePatch(q))).toBe(q);
  });

  it('uses the enclosing top-level def/class as hunk heading, like git', () => {
    const before = `class Account:\n${'    x = 1\n'.repeat(10)}    def f(self):\n        return 1\n`;
    const p = createFilePatch('m.py', before, before.replace('return 1', 'return 2'));
    expect(p).toContain('@@ -10,4 +10,4 @@ class Account:\n');
  });

  it('is fast on a large file with a few changes', () => {
    const before = lines(50_000);
    const arr = before.split('\n');
    arr[100] = 'a';
    arr[25_000] = 'b';
    arr.splice(40_000, 3);
    const t0 = performance.now();
    const p = createFilePatch('big.txt', before, arr.join('\n'));
    const ms = performance.now() - t0;
    expect(patchStats(p)).toEqual({ files: 1, added: 2, removed: 5 });
    expect(ms).toBeLessThan(2000); // typically ~30 ms; a quadratic algorithm takes minutes
  });

  it('finds a minimal diff between two unrelated-ish texts', () => {
    const a = 'a\nb\nc\na\nb\nb\na\n';
    const b = 'c\nb\na\nb\na\nc\n';
    const s = patchStats(createFilePatch('f', a, b));
    // Myers' classic example: edit distance 5
    expect(s.added + s.removed).toBe(5);
    const x = Array.from({ length: 3000 }, (_, i) => `x${i}\n`).join('');
    const y = Array.from({ length: 3000 }, (_, i) => `y${i}\n`).join('');
    expect(patchStats(createFilePatch('f', x, y))).toEqual({ files: 1, added: 3000, removed: 3000 });
  });
});

const GIT_RENAME = `From 1234 Mon Sep 17 00:00:00 2001
Subject: [PATCH] rename and edit

---
diff --git a/old name.py b/new name.py
similarity index 90%
rename from old name.py
rename to new name.py
index 1111111..2222222 100644
--- a/old name.py
+++ b/new name.py
@@ -1,3 +1,3 @@ def f():
 a
-b
+B
 c
diff --git a/script.sh b/script.sh
old mode 100644
new mode 100755
diff --git a/pure.txt b/moved/pure.txt
similarity index 100%
rename from pure.txt
rename to moved/pure.txt
-- 
2.39.5
`;

describe('parsePatch', () => {
  it('parses multiple files, new and deleted files', () => {
    const p = createPatch([
      { path: 'a.py', before: 'x\n', after: 'y\n' },
      { path: 'new.py', before: null, after: 'n\n' },
      { path: 'old.py', before: 'o\n', after: null },
    ]);
    const files = parsePatch(p);
    expect(files.map((f) => [f.oldPath, f.newPath, f.isNew, f.isDeleted])).toEqual([
      ['a.py', 'a.py', false, false],
      [null, 'new.py', true, false],
      ['old.py', null, false, true],
    ]);
    expect(files[0].hunks[0]).toEqual({ oldStart: 1, oldLines: 1, newStart: 1, newLines: 1, header: '@@ -1 +1 @@', lines: ['-x', '+y'] });
    expect(formatPatch(files)).toBe(p);
  });

  it('tolerates mail headers, renames, mode changes and pure renames', () => {
    const files = parsePatch(GIT_RENAME);
    expect(files).toHaveLength(3);
    expect(files[0]).toMatchObject({ oldPath: 'old name.py', newPath: 'new name.py', isNew: false, isDeleted: false });
    expect(files[0].hunks[0].lines).toEqual([' a', '-b', '+B', ' c']);
    expect(files[1]).toMatchObject({ oldPath: 'script.sh', newPath: 'script.sh', hunks: [] });
    expect(files[2]).toMatchObject({ oldPath: 'pure.txt', newPath: 'moved/pure.txt', hunks: [] });
    expect(patchFiles(GIT_RENAME)).toEqual(['new name.py', 'script.sh', 'moved/pure.txt']);
  });

  it('reverses renames and modes, and reversing twice is the identity', () => {
    const rev = reversePatch(GIT_RENAME);
    expect(rev).toContain('diff --git a/new name.py b/old name.py\nsimilarity index 90%\nrename from new name.py\nrename to old name.py\nindex 2222222..1111111 100644\n--- a/new name.py\n+++ b/old name.py\n@@ -1,3 +1,3 @@ def f():\n a\n-B\n+b\n c\n');
    expect(rev).toContain('old mode 100755\nnew mode 100644\n');
    expect(parsePatch(rev)[2]).toMatchObject({ oldPath: 'moved/pure.txt', newPath: 'pure.txt' });
    expect(reversePatch(rev)).toBe(formatPatch(parsePatch(GIT_RENAME)));
  });

  it('parses plain `diff -u` output with timestamps', () => {
    const plain = `--- a/x.txt\t2024-01-01 10:00:00.000000000 +0000
+++ b/x.txt\t2024-01-02 10:00:00.000000000 +0000
@@ -1,2 +1,2 @@
-old
+new
 same
--- a/y.txt
+++ b/y.txt
@@ -1 +1 @@
-1
+2
`;
    const files = parsePatch(plain);
    expect(files.map((f) => f.newPath)).toEqual(['x.txt', 'y.txt']);
    expect(patchStats(plain)).toEqual({ files: 2, added: 2, removed: 2 });
  });

  it('keeps lines that look like headers inside hunks', () => {
    const p = createFilePatch('f', '--- a\n+++ b\nkeep\n', '--- A\n+++ b\nkeep\n');
    const f = parsePatch(p);
    expect(f).toHaveLength(1);
    expect(f[0].hunks[0].lines).toEqual(['---- a', '+--- A', ' +++ b', ' keep']);
  });

  it('accepts context lines whose leading space was stripped', () => {
    const p = 'diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n\n-b\n+c\n';
    expect(parsePatch(p)[0].hunks[0].lines).toEqual([' a', ' ', '-b', '+c']);
  });

  it('throws PatchParseError with the line on malformed input', () => {
    const bad = 'diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n';
    expect(() => parsePatch(bad)).toThrow(PatchParseError);
    expect(() => parsePatch(bad)).toThrow(/truncated.*patch line 4/);
    expect(() => parsePatch('--- a/f\n+++ b/f\n@@ -x +y @@\n')).toThrow(/malformed hunk header/);
    expect(() => parsePatch('--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n*b\n')).toThrow(/unexpected line.*patch line 5/);
    expect(() => parsePatch('@@ -1 +1 @@\n-a\n+b\n')).toThrow(/without a file header/);
    // counts too small: the extra '+' line must not be dropped silently
    expect(() => parsePatch('--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n+c\n')).toThrow(/more lines than its header counts.*patch line 6/);
  });

  it('returns no files for an empty patch', () => {
    expect(parsePatch('')).toEqual([]);
    expect(patchStats('')).toEqual({ files: 0, added: 0, removed: 0 });
  });

  it('keeps CRLF content in hunk lines', () => {
    const p = createFilePatch('w', 'a\r\nb\r\n', 'a\r\nc\r\n');
    expect(parsePatch(p)[0].hunks[0].lines).toEqual([' a\r', '-b\r', '+c\r']);
  });
});

describe('reversePatch', () => {
  it('swaps new and deleted files', () => {
    const p = createPatch([
      { path: 'n', before: null, after: 'x\n' },
      { path: 'd', before: 'y\n', after: null },
    ]);
    const r = reversePatch(p);
    expect(parsePatch(r).map((f) => [f.oldPath, f.newPath, f.isNew, f.isDeleted])).toEqual([
      [null, 'd', true, false],
      ['n', null, false, true],
    ]);
    expect(r).toContain('new file mode 100644\n--- /dev/null\n+++ b/d\n@@ -0,0 +1 @@\n+y\n');
    expect(reversePatch(r)).toBe(p);
  });

  it('puts removals before additions in each change block', () => {
    const p = createFilePatch('f', 'a\nb\nc\n', 'a\nB1\nB2\nc\n');
    expect(reversePatch(p)).toContain('@@ -1,4 +1,3 @@\n a\n-B1\n-B2\n+b\n c\n');
  });

  it('keeps no-newline markers with their line', () => {
    const p = createFilePatch('f', 'a\nb', 'a\nb\n');
    expect(p).toContain('-b\n\\ No newline at end of file\n+b\n');
    expect(reversePatch(p)).toContain('-b\n+b\n\\ No newline at end of file\n');
    expect(reversePatch(reversePatch(p))).toBe(p);
  });
});

describe('patchStats / patchFiles / touchedLines', () => {
  const before = lines(30);
  const arr = before.split('\n');
  arr[4] = 'modified 5'; // line 5 modified
  arr.splice(12, 2); // lines 13-14 removed
  arr.splice(23, 0, 'inserted'); // pure insertion after old line 25 (index 23 once 2 lines are gone)
  const after = arr.join('\n');
  const p = createPatch([
    { path: 'src/m.py', before, after },
    { path: 'src/new.py', before: null, after: 'a\nb\n' },
    { path: 'src/gone.py', before: 'x\ny\n', after: null },
  ]);

  it('counts files and lines', () => {
    expect(patchStats(p)).toEqual({ files: 3, added: 4, removed: 5 });
    expect(patchFiles(p)).toEqual(['src/gone.py', 'src/m.py', 'src/new.py']);
  });

  it('lists removed old-side lines and the line before a pure insertion', () => {
    const t = touchedLines(p);
    expect(t.get('src/m.py')).toEqual([5, 13, 14, 25]);
    expect(t.get('src/gone.py')).toEqual([1, 2]);
    expect(t.has('src/new.py')).toBe(false); // created files have no old lines
  });

  it('maps an insertion at the top of a file to line 1', () => {
    expect(touchedLines(createFilePatch('f', 'a\nb\n', 'top\na\nb\n')).get('f')).toEqual([1]);
    expect(touchedLines(createFilePatch('f', '', 'x\n')).get('f')).toEqual([]);
    expect(touchedLines(createFilePatch('f', 'a\nb\n', 'a\nb\nend\n')).get('f')).toEqual([2]);
  });
});

describe('patches produced by git itself', () => {
  it('parse → format is byte-exact and the reverse applies with git', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, writeFileSync, readFileSync, rmSync, chmodSync, mkdirSync, renameSync, unlinkSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'swe-forge-gitdiff-'));
    const git = (...args: string[]): string =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, encoding: 'utf8' });
    try {
      git('init', '-q');
      mkdirSync(join(dir, 'src'));
      writeFileSync(join(dir, 'src/app.py'), 'def main():\n    return 1\n\n\nclass A:\n    x = 1\n');
      writeFileSync(join(dir, 'run.sh'), 'echo hi\n');
      writeFileSync(join(dir, 'old_name.py'), `${'# filler line\n'.repeat(20)}value = 1\n`);
      writeFileSync(join(dir, 'doomed.txt'), 'bye\n');
      writeFileSync(join(dir, 'naïve 漢.txt'), 'a\n');
      git('add', '-A');
      git('commit', '-qm', 'init');
      writeFileSync(join(dir, 'src/app.py'), 'def main():\n    return 2\n\n\nclass A:\n    x = 10\n');
      chmodSync(join(dir, 'run.sh'), 0o755);
      renameSync(join(dir, 'old_name.py'), join(dir, 'new_name.py'));
      writeFileSync(join(dir, 'new_name.py'), `${'# filler line\n'.repeat(20)}value = 2\n`);
      unlinkSync(join(dir, 'doomed.txt'));
      writeFileSync(join(dir, 'naïve 漢.txt'), 'b');
      writeFileSync(join(dir, 'added.py'), 'print("new")\n');
      git('add', '-A');
      const diff = git('diff', '--cached', '-M', '--no-color');
      expect(diff).toContain('rename from old_name.py');
      expect(diff).toContain('"a/na\\303\\257ve \\346\\274\\242.txt"'); // core.quotePath octal escapes
      const files = parsePatch(diff);
      expect(files.map((f) => [f.oldPath, f.newPath])).toEqual([
        [null, 'added.py'],
        ['doomed.txt', null],
        ['naïve 漢.txt', 'naïve 漢.txt'],
        ['old_name.py', 'new_name.py'],
        ['run.sh', 'run.sh'],
        ['src/app.py', 'src/app.py'],
      ]);
      expect(formatPatch(files)).toBe(diff);
      expect(reversePatch(reversePatch(diff))).toBe(diff);
      // the reverse patch restores the committed tree (index and working copy)
      writeFileSync(join(dir, 'rev.patch'), reversePatch(diff));
      git('apply', '--index', 'rev.patch');
      unlinkSync(join(dir, 'rev.patch'));
      expect(git('status', '--porcelain')).toBe('');
      expect(readFileSync(join(dir, 'old_name.py'), 'utf8')).toContain('value = 1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
