/**
 * Finding the Python files of a repository: sorted walk (output never depends on directory
 * listing order), no symlinks followed (no loops), test code skipped by default, include and
 * exclude globs, and safe reading (size cap, binary and non-UTF-8 files reported).
 */
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import picomatch from 'picomatch';

/** A file that was not processed, and why. */
export interface SkippedFile {
  file: string;
  reason: string;
}

/** Which files to consider. */
export interface FileSelection {
  /** Globs (repo-relative, POSIX); when given, only matching files are used, test files included if matched. */
  include?: string[];
  /** Globs of files to leave out (always wins). */
  exclude?: string[];
  /** Skip test code (test/tests/testing folders, test_*.py, *_test.py, conftest.py). Default true. */
  skipTests?: boolean;
}

const TEST_DIRS = new Set(['test', 'tests', 'testing']);
const SKIP_DIRS = new Set(['node_modules', '__pycache__', 'site-packages']);

/** True for test code by SWE-smith's conventions (plus conftest.py). */
export function isTestPath(rel: string): boolean {
  const parts = rel.split('/');
  const base = parts[parts.length - 1];
  if (parts.slice(0, -1).some((p) => TEST_DIRS.has(p))) return true;
  return base.startsWith('test_') || base.endsWith('_test.py') || base === 'conftest.py' || TEST_DIRS.has(base.replace(/\.py$/, ''));
}

/** Result of {@link listPythonFiles}. */
export interface FileListing {
  files: string[];
  skipped: SkippedFile[];
  /** Python files left out by the test rule or the globs. */
  filtered: number;
}

/** Lists the repository's Python files in sorted order, applying the selection. */
export async function listPythonFiles(root: string, sel: FileSelection = {}): Promise<FileListing> {
  const include = sel.include?.length ? picomatch(sel.include, { dot: true }) : null;
  const exclude = sel.exclude?.length ? picomatch(sel.exclude, { dot: true }) : null;
  const skipTests = sel.skipTests ?? true;
  const files: string[] = [];
  const skipped: SkippedFile[] = [];
  let filtered = 0;
  const walk = async (dir: string, rel: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (e) {
      skipped.push({ file: rel || '.', reason: `unreadable directory (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
      return;
    }
    names.sort();
    if (rel !== '' && names.includes('pyvenv.cfg')) return; // a virtualenv inside the repo
    for (const name of names) {
      const abs = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      let st;
      try {
        st = await lstat(abs);
      } catch {
        continue;
      }
      if (st.isSymbolicLink()) {
        // Never followed: a symlinked directory can loop, and a patch to a link target is not a patch to the repo.
        if (name.endsWith('.py') || (await stat(abs).then((s) => s.isDirectory(), () => false))) {
          skipped.push({ file: r, reason: 'symlink (not followed)' });
        }
        continue;
      }
      if (st.isDirectory()) {
        if (name.startsWith('.') || SKIP_DIRS.has(name)) continue;
        await walk(abs, r);
      } else if (st.isFile() && name.endsWith('.py')) {
        if (exclude?.(r)) {
          filtered++;
        } else if (include) {
          if (include(r)) files.push(r);
          else filtered++;
        } else if (skipTests && isTestPath(r)) {
          filtered++;
        } else {
          files.push(r);
        }
      }
    }
  };
  await walk(root, '');
  return { files, skipped, filtered };
}

/** Outcome of reading one source file. */
export type ReadResult = { ok: true; text: string; bytes: Buffer } | { ok: false; reason: string };

/** Reads a Python file as UTF-8; refuses huge, binary and non-UTF-8 files with a reason. */
export async function readPythonFile(abs: string, maxFileBytes: number): Promise<ReadResult> {
  let bytes: Buffer;
  try {
    const st = await stat(abs);
    if (st.size > maxFileBytes) return { ok: false, reason: `too large (${st.size} bytes > ${maxFileBytes}; raise --max-file-bytes to include it)` };
    bytes = await readFile(abs);
  } catch (e) {
    return { ok: false, reason: `unreadable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
  if (bytes.includes(0)) return { ok: false, reason: 'binary (contains NUL bytes)' };
  let text: string;
  try {
    // ignoreBOM keeps a byte-order mark in the text so edits splice the file byte-exactly.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return { ok: false, reason: 'not UTF-8' };
  }
  return { ok: true, text, bytes };
}
