/**
 * Test selection: which baseline tests a candidate's run needs.
 *
 * - `full`: every test.
 * - `files`: test files that import or mention a patched module (heuristic, see
 *   {@link selectByFiles}); falls back to `full` when it finds none.
 * - `coverage`: tests that executed the functions containing the patched lines in the
 *   instrumented baseline run (see {@link selectByCoverage}).
 *
 * A test that is not selected is assumed to keep its baseline status; the validator
 * counts unselected baseline-passing tests as PASS_TO_PASS (recorded as `p2p_inferred`).
 */
import { parsePatch } from '@swe-forge/core/diff';
import { testFile } from './compare.js';

/** Test selection mode. */
export type TestSelection = 'full' | 'files' | 'coverage';

/** The outcome of selection for one candidate. */
export type Selected =
  | { kind: 'full'; reason: string }
  | { kind: 'tests'; tests: string[]; reason: string }
  | { kind: 'none'; reason: string };

/** Per-test coverage of one instrumented baseline run, as written by the plugin. */
export interface CoverageMap {
  mode: string;
  contexts: string[];
  files: Record<string, { lines: Record<string, number[]>; funcs: [number, number, number][] | null }>;
}

const TEST_NAME = /(^|\/)(test_[^/]*|[^/]*_test|conftest)\.py$/;

function isTestFile(path: string, testFiles: ReadonlySet<string>): boolean {
  return testFiles.has(path) || TEST_NAME.test(path);
}

function testsOfFile(file: string, baselineTests: readonly string[]): string[] {
  return baselineTests.filter((id) => testFile(id) === file);
}

/** Module names a source file is imported as: `src/pkg/sub/mod.py` → `pkg.sub.mod`, last part `mod`. */
export function moduleNames(path: string): { dotted: string; last: string } | null {
  if (!path.endsWith('.py')) return null;
  let parts = path.slice(0, -3).split('/');
  if (parts[0] === 'src' || parts[0] === 'lib') parts = parts.slice(1);
  if (parts[parts.length - 1] === '__init__') parts = parts.slice(0, -1);
  if (parts.length === 0) return null;
  return { dotted: parts.join('.'), last: parts[parts.length - 1] };
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * `files` heuristic. A test file is selected when it was patched itself, or its text
 * contains the patched module's dotted name (`pkg.sub.mod`), or it has an `import` /
 * `from` line naming the module's last component as a word (`from pkg.sub import mod`,
 * `import mod`). A patched `conftest.py` or non-Python file selects everything. When no
 * test file matches, the result is `full` (a heuristic miss is not proof of no effect).
 */
export function selectByFiles(patch: string, baselineTests: readonly string[], testSources: ReadonlyMap<string, string>): Selected {
  const testFiles = new Set(baselineTests.map(testFile));
  const chosen = new Set<string>();
  for (const fp of parsePatch(patch)) {
    const path = (fp.newPath ?? fp.oldPath) as string;
    if (!path.endsWith('.py') || /(^|\/)conftest\.py$/.test(path)) return { kind: 'full', reason: `patch touches ${path}` };
    if (isTestFile(path, testFiles)) {
      chosen.add(path);
      continue;
    }
    const names = moduleNames(path);
    if (!names) return { kind: 'full', reason: `cannot name the module of ${path}` };
    const importLine = new RegExp(`^\\s*(from|import)\\s[^\\n]*\\b${escapeRe(names.last)}\\b`, 'm');
    for (const [file, text] of testSources) {
      if (text.includes(names.dotted) || importLine.test(text)) chosen.add(file);
    }
  }
  const tests = baselineTests.filter((id) => chosen.has(testFile(id)));
  if (tests.length === 0) return { kind: 'full', reason: 'no test file imports or mentions the patched modules' };
  return { kind: 'tests', tests, reason: `${chosen.size} test file(s) import or mention the patched modules` };
}

/**
 * `coverage` selection from one instrumented baseline run.
 *
 * For each patched old-side line of a Python source file ({@link codeTouchedLines}):
 * - the line is mapped to the innermost function containing it (a line in the header of
 *   a nested function — decorators, signature — maps to the enclosing function, because
 *   that header runs when the outer function runs);
 * - the tests selected are those that executed any line of that function's body;
 * - a line outside every function (module level, class body) or in a function whose body
 *   also ran at import/collection time (the empty "import" context) selects `full`,
 *   because its effect reaches tests through module state no per-test trace shows;
 * - a file no test ever executed contributes no test.
 * A patched test file selects all its tests; a patched conftest.py or non-Python file,
 * or a deleted file, selects `full`. If nothing is selected the result is `none`: no
 * test can change status, so the candidate is `no_f2p` without running anything.
 */
export function selectByCoverage(map: CoverageMap, patch: string, baselineTests: readonly string[]): Selected {
  const testFiles = new Set(baselineTests.map(testFile));
  const chosen = new Set<string>();
  const touched = codeTouchedLines(patch);
  for (const fp of parsePatch(patch)) {
    const path = (fp.newPath ?? fp.oldPath) as string;
    if (!path.endsWith('.py') || /(^|\/)conftest\.py$/.test(path)) return { kind: 'full', reason: `patch touches ${path}` };
    if (fp.isDeleted) return { kind: 'full', reason: `patch deletes ${path}` };
    if (fp.isNew) continue;
    if (isTestFile(path, testFiles)) {
      for (const id of testsOfFile(path, baselineTests)) chosen.add(id);
      if (!map.files[path]) continue;
    }
    const cov = map.files[path];
    if (!cov) continue; // no test ever executed a line of this file
    if (!cov.funcs) return { kind: 'full', reason: `could not parse ${path} at baseline` };
    for (const line of touched.get(path) ?? []) {
      const fn = enclosingFunction(cov.funcs, line);
      if (!fn) return { kind: 'full', reason: `${path}:${line} is module-level or class-level code` };
      const [, end, body] = fn;
      for (let l = body; l <= end; l++) {
        const ctxs = cov.lines[String(l)];
        if (!ctxs) continue;
        for (const c of ctxs) {
          if (c === 0) return { kind: 'full', reason: `${path}:${l} runs at import/collection time` };
          const id = map.contexts[c];
          if (id) chosen.add(id);
        }
      }
    }
  }
  const known = new Set(baselineTests);
  const tests = [...chosen].filter((id) => known.has(id)).sort();
  if (tests.length === 0) return { kind: 'none', reason: 'no test executes the patched code' };
  return { kind: 'tests', tests, reason: `${tests.length} test(s) execute the patched functions` };
}

/** Innermost function containing `line`; a line in a nested function's header maps to its parent. */
export function enclosingFunction(funcs: readonly [number, number, number][], line: number): [number, number, number] | null {
  const containing = funcs.filter(([s, e]) => s <= line && line <= e).sort((a, b) => a[1] - a[0] - (b[1] - b[0]));
  if (containing.length === 0) return null;
  const inner = containing[0];
  if (line < inner[2] && containing.length > 1) return containing[1];
  return inner;
}

const NOT_CODE = /^\s*(#.*)?$/;

/**
 * Old-side line numbers a patch changes, per file, ignoring removed blank and comment-only
 * lines (removing them changes nothing). Within each run of changed lines: every removed
 * code line; and for a run that adds code but removes none (an insertion), the first
 * removed line of the run or else the line before it — where the new code lands.
 */
export function codeTouchedLines(patch: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const fp of parsePatch(patch)) {
    if (fp.oldPath === null) continue;
    const set = new Set<number>(out.get(fp.oldPath) ?? []);
    for (const h of fp.hunks) {
      let line = h.oldLines === 0 ? h.oldStart + 1 : h.oldStart;
      let run: { start: number; firstMinus: number | null; minusCode: number[]; plusCode: boolean } | null = null;
      const flush = (): void => {
        if (!run) return;
        for (const l of run.minusCode) set.add(l);
        if (run.plusCode && run.minusCode.length === 0) {
          const at = run.firstMinus ?? run.start - 1;
          if (at >= 1) set.add(at);
          else set.add(1);
        }
        run = null;
      };
      for (const text of h.lines) {
        const c = text[0];
        if (c === '\\') continue;
        if (c === ' ') {
          flush();
          line++;
          continue;
        }
        run ??= { start: line, firstMinus: null, minusCode: [], plusCode: false };
        if (c === '-') {
          run.firstMinus ??= line;
          if (!NOT_CODE.test(text.slice(1))) run.minusCode.push(line);
          line++;
        } else if (c === '+' && !NOT_CODE.test(text.slice(1))) run.plusCode = true;
      }
      flush();
    }
    out.set(fp.oldPath, [...set].sort((a, b) => a - b));
  }
  return out;
}
