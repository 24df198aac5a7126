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
  | { kind: 'tests'; tests: string[]; reason: string; /** Some patched line runs at import time. */ importTime?: boolean }
  | { kind: 'none'; reason: string };

/** Per-test coverage of one instrumented baseline run, as written by the plugin. */
export interface CoverageMap {
  mode: string;
  /** Context names: `''` (import), a test node id, `collect:<test file>` or `fixture:<scope>:…` (a shared fixture instance). */
  contexts: string[];
  /** Tests that use each shared (class/module/package/session-scoped) fixture instance, by its context name. */
  fixture_users?: Record<string, string[]>;
  files: Record<
    string,
    {
      lines: Record<string, number[]>;
      /** Function ranges `[first line incl. decorators, last line, first body line]`; null when the file did not parse. */
      funcs: [number, number, number][] | null;
      /** Class header ranges `[first line incl. decorators, last header line]` (bases, keywords). */
      classes?: [number, number][] | null;
    }
  >;
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
 * - inside a function body: the line is mapped to the innermost function containing it
 *   and the tests that executed any line of that function's body are selected;
 * - in a function's header (decorators, signature, default values — a nested function's
 *   header maps to its parent, whose body runs it): as above, plus the file's tests (below),
 *   because the header also runs when the module is imported;
 * - outside every function (module level, class body) — code that runs when the module is
 *   imported — or in a function whose body also ran outside any test (the "import"
 *   context: at import or collection time): the *file's tests*, i.e. every test that
 *   executed any line of the patched file, plus the function's own tests.
 * - in a class header (decorators, base classes, keywords) outside every function: `full`. The
 *   class object itself changes (its MRO, metaclass, registration), and code anywhere may
 *   reach it without running a line of its file — e.g. a registry loop calling an inherited
 *   method — so no line trace bounds who is affected.
 * A file no test ever executed contributes no test. A patched test file selects all its
 * tests; a patched conftest.py or non-Python file, a deleted file or a file that did not
 * parse at baseline selects `full`. If nothing is selected the result is `none`: no test can
 * change status, so the candidate is `no_f2p` without running anything.
 *
 * Why the file's tests for import-time code: its effect reaches a test through objects the
 * module defines (classes, tables, constants, decorated functions); a test that uses them
 * almost always runs some line of the file (a method, a function, or the import itself when
 * the test is the first importer, which the trace attributes to that test). The limit: a test
 * that only reads module data (a class attribute, a constant) that another file's code
 * interprets, in a module imported before the test (e.g. at collection), runs no line of the
 * file and is not selected — unless that data was used while a test module was imported: lines
 * run during a test module's collection are traced to `collect:<file>` and select all its tests.
 * Lines run while a fixture wider than a test (class/module/package/session scope) is set up
 * select every test that uses that fixture instance, not only the test that triggered the
 * setup. See the README for how to measure this with `--verify-sample`.
 */
export function selectByCoverage(map: CoverageMap, patch: string, baselineTests: readonly string[]): Selected {
  const testFiles = new Set(baselineTests.map(testFile));
  const chosen = new Set<string>();
  const touched = codeTouchedLineKinds(patch);
  const why = { body: 0, importTime: 0 };
  const addContexts = (ctxs: readonly number[] | undefined): boolean => {
    let atImport = false;
    for (const c of ctxs ?? []) {
      const id = map.contexts[c];
      if (c === 0 || !id) atImport = true;
      else if (id.startsWith('collect:')) {
        // ran while a test module was imported: its module-level state may hold the effect
        atImport = true;
        for (const t of testsOfFile(id.slice('collect:'.length), baselineTests)) chosen.add(t);
      } else if (id.startsWith('fixture:')) {
        // ran while a shared fixture was set up: every test using that instance sees the result
        for (const t of map.fixture_users?.[id] ?? []) chosen.add(t);
      } else chosen.add(id);
    }
    return atImport;
  };
  const addFileTests = (path: string): void => {
    for (const ctxs of Object.values(map.files[path].lines)) addContexts(ctxs);
  };
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
    let fileAdded = false;
    const fileTests = (): void => {
      why.importTime++;
      if (!fileAdded) addFileTests(path);
      fileAdded = true;
    };
    const funcs = cov.funcs;
    for (const { line, kind } of touched.get(path) ?? []) {
      // A class header (not inside a function) that the change edits or inserts into.
      const header = (cov.classes ?? []).find(([s, e]) => (kind === 'after' ? s - 1 <= line && line < e : s <= line && line <= e) && !enclosingFunction(funcs, s));
      if (header) return { kind: 'full', reason: `patch changes the header of a class (bases, decorators) at ${path}:${header[0]}` };
      const fn = enclosingFunction(funcs, line);
      if (!fn) {
        fileTests();
        continue;
      }
      const [, end, body] = fn;
      let atImport = line < body;
      for (let l = body; l <= end; l++) if (addContexts(cov.lines[String(l)])) atImport = true;
      if (atImport) fileTests();
      else why.body++;
    }
  }
  const known = new Set(baselineTests);
  const tests = [...chosen].filter((id) => known.has(id)).sort();
  if (tests.length === 0) return { kind: 'none', reason: 'no test executes the patched code' };
  const parts = [why.body ? `${why.body} line(s) in function bodies` : '', why.importTime ? `${why.importTime} import-time line(s): tests that ran the file` : ''].filter(Boolean);
  return { kind: 'tests', tests, reason: `${tests.length} test(s) execute the patched code${parts.length ? ` (${parts.join('; ')})` : ''}`, importTime: why.importTime > 0 };
}

/**
 * Repository modules the coverage map shows were imported during the baseline run (any line
 * run in the import context or while a test module was collected), as dotted names, test
 * files excluded. The validator imports these after an import-time patch: a module that no
 * longer imports breaks every test that reaches it, including tests that import it lazily and
 * run no traced line of it, so such a candidate runs the full suite.
 */
export function importedModules(map: CoverageMap, baselineTests: readonly string[]): string[] {
  const testFiles = new Set(baselineTests.map(testFile));
  const importCtx = new Set<number>([0]);
  map.contexts.forEach((c, i) => {
    if (c.startsWith('collect:')) importCtx.add(i);
  });
  const out = new Set<string>();
  for (const [path, cov] of Object.entries(map.files)) {
    if (isTestFile(path, testFiles) || /(^|\/)conftest\.py$/.test(path)) continue;
    if (!Object.values(cov.lines).some((ctxs) => ctxs.some((c) => importCtx.has(c)))) continue;
    const names = moduleNames(path);
    // never run a program by importing it
    if (!names || /(^|\.)(__main__|setup|noxfile|fabfile)$/.test(names.dotted)) continue;
    if (/^[A-Za-z_][\w.]*$/.test(names.dotted)) out.add(names.dotted);
  }
  return [...out].sort();
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
 * One old-side line a patch touches: `removed` (a code line removed or replaced), `at` (code
 * inserted in place of removed blank/comment lines, landing at this line) or `after` (code
 * inserted right after this line; 0 means at the top of the file).
 */
export interface TouchedLine {
  line: number;
  kind: 'removed' | 'at' | 'after';
}

/** Like {@link codeTouchedLines}, with what happens at each line. */
export function codeTouchedLineKinds(patch: string): Map<string, TouchedLine[]> {
  const out = new Map<string, TouchedLine[]>();
  for (const fp of parsePatch(patch)) {
    if (fp.oldPath === null) continue;
    const seen = new Map<number, TouchedLine>();
    for (const t of out.get(fp.oldPath) ?? []) seen.set(t.line, t);
    const add = (line: number, kind: TouchedLine['kind']): void => {
      const prev = seen.get(line);
      // 'removed' is the strongest claim about a line; keep it over an insertion mark
      if (!prev || prev.kind !== 'removed') seen.set(line, { line, kind });
    };
    for (const h of fp.hunks) {
      let line = h.oldLines === 0 ? h.oldStart + 1 : h.oldStart;
      let run: { start: number; firstMinus: number | null; minusCode: number[]; plusCode: boolean } | null = null;
      const flush = (): void => {
        if (!run) return;
        for (const l of run.minusCode) add(l, 'removed');
        if (run.plusCode && run.minusCode.length === 0) {
          if (run.firstMinus !== null) add(run.firstMinus, 'at');
          else add(run.start - 1, 'after');
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
    out.set(fp.oldPath, [...seen.values()].sort((a, b) => a.line - b.line));
  }
  return out;
}

/**
 * Old-side line numbers a patch changes, per file, ignoring removed blank and comment-only
 * lines (removing them changes nothing). Within each run of changed lines: every removed
 * code line; and for a run that adds code but removes none (an insertion), the first
 * removed line of the run or else the line before it — where the new code lands (line 1
 * for an insertion at the top of the file).
 */
export function codeTouchedLines(patch: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [path, lines] of codeTouchedLineKinds(patch)) {
    out.set(path, [...new Set(lines.map((t) => Math.max(1, t.line)))].sort((a, b) => a - b));
  }
  return out;
}
