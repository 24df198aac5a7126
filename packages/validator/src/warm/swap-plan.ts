/**
 * Whether a candidate may take the warm path, decided from its coverage selection, the coverage
 * map and the patch before anything runs. The warm child swaps function bodies into modules the
 * worker imported at warm-up; everything that ran before the fork (imports, collection, module
 * and class bodies, function headers, any function called meanwhile) keeps its clean-tree result
 * there. So a candidate goes warm only when its selection is a list of tests and every patched
 * line lies in a function whose body never ran in the baseline's import or collection context.
 * Whether a line in a function is really in its body (and not in its decorators, signature or
 * defaults), and whether a change outside functions can be reproduced in the live modules, is
 * left to the child, which compares the two sources statement by statement
 * (python/swe_forge_swap.py) and declines anything that is not a body change: the selection
 * itself counts code inserted right after a `def` line as a header change, which a shuffled body
 * often produces.
 */
import { parsePatch } from '@swe-forge/core/diff';
import { codeTouchedLineKinds, enclosingFunction, type CoverageMap, type Selected } from '../selection.js';
import type { PlanFallback } from './fallback.js';

/** A candidate that may go warm: the patched Python files to send (paths relative to the root). */
export interface WarmPlan {
  ok: true;
  tests: string[];
  /** Patched files; `isNew` ones have no old text. */
  files: { path: string; isNew: boolean }[];
}

/** A candidate that runs isolated, and why. */
export interface WarmRefusal {
  ok: false;
  reason: PlanFallback;
  detail: string;
}

const TEST_NAME = /(^|\/)(test_[^/]*|[^/]*_test|conftest)\.py$/;

/**
 * Why a patched line counts as import-time for the warm path; null when the child may decide: the
 * line is in a function body that never ran at import or collection, or outside every function
 * (module-level or class-body code, which the child compares statement by statement: it declines
 * any change there except the few it reproduces exactly, such as methods removed from a class).
 */
export function importTimeLine(map: CoverageMap, path: string, line: number): string | null {
  const cov = map.files[path];
  if (!cov) return null; // no test ever ran a line of this file, at import or later
  if (!cov.funcs) return `${path} did not parse at baseline`;
  const fn = enclosingFunction(cov.funcs, line);
  if (!fn) return null;
  const atImport = new Set<number>([0]);
  map.contexts.forEach((c, i) => {
    if (c.startsWith('collect:')) atImport.add(i);
  });
  for (let l = fn[2]; l <= fn[1]; l++) {
    if ((cov.lines[String(l)] ?? []).some((c) => atImport.has(c))) return `the function at ${path}:${fn[0]} ran at import or collection time (line ${l})`;
  }
  return null;
}

/**
 * Decide the warm path for a candidate whose selection is `sel` (null when nothing runs: a
 * `none` selection needs no runner); `map` is the baseline's coverage map. A patched test module
 * (`test_*.py`, `*_test.py`, `conftest.py`) runs isolated: pytest rewrote its asserts at import.
 * A source module that only holds doctests is swapped like any other.
 */
export function planWarm(sel: Selected, patch: string, map: CoverageMap): WarmPlan | WarmRefusal | null {
  if (sel.kind === 'none') return null;
  if (sel.kind === 'full') return { ok: false, reason: 'full-suite', detail: sel.reason };
  const files: WarmPlan['files'] = [];
  for (const fp of parsePatch(patch)) {
    const path = (fp.newPath ?? fp.oldPath) as string;
    if (TEST_NAME.test(path)) return { ok: false, reason: 'test-file', detail: `patch touches ${path}` };
    // the selection sends non-Python, deleted and conftest files to the full suite already
    if (!path.endsWith('.py') || fp.isDeleted) return { ok: false, reason: 'full-suite', detail: `patch touches ${path}` };
    files.push({ path, isNew: fp.isNew });
  }
  for (const [path, touched] of codeTouchedLineKinds(patch)) {
    for (const t of touched) {
      const why = t.line < 1 ? `code inserted at the top of ${path}` : importTimeLine(map, path, t.line);
      if (why) return { ok: false, reason: 'import-time', detail: why };
    }
  }
  return { ok: true, tests: sel.tests, files };
}
