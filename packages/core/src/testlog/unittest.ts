import type { TestStatus } from '../schema/index.js';
import { mergeStatus, stripAnsi } from './common.js';

// `test_x (pkg.mod.Class.test_x)` (Python 3.11+) or `test_x (pkg.mod.Class)` (older)
const DESC = String.raw`(\w+) \(([\w.]+)\)`;
const RESULT_LINE = new RegExp(String.raw`^${DESC} \.\.\. ?(.*)$`);
const SUBTEST_LINE = new RegExp(String.raw`^\s+${DESC} .* \.\.\. ?(.*)$`);
const HEADER_LINE = new RegExp(String.raw`^${DESC}$`);
// a docstring description line: `First docstring line ... ok`
const DOC_RESULT_LINE = /^(.*) \.\.\. ?(.*)$/;
const SECTION_LINE = new RegExp(String.raw`^(FAIL|ERROR|UNEXPECTED SUCCESS): ${DESC}`);
const FIXTURE_SECTION = /^(?:ERROR|FAIL): (setUpClass|tearDownClass|setUpModule|tearDownModule) \(([\w.]+)\)/;

function statusOf(word: string): TestStatus | null {
  const w = word.trim();
  if (w === 'ok') return 'PASSED';
  if (w === 'FAIL') return 'FAILED';
  if (w === 'ERROR') return 'ERROR';
  if (w === 'expected failure') return 'XFAIL';
  // unittest counts an unexpected success as a failure of the run (wasSuccessful() is False)
  if (w === 'unexpected success') return 'FAILED';
  if (/^skipped(?: ['"].*['"])?$/.test(w) || w === 'skipped') return 'SKIPPED';
  return null;
}

/** Runnable dotted id (`python -m unittest <id>`) for a verbose description. */
function unittestId(name: string, inParens: string): string {
  const failedLoad = 'unittest.loader._FailedTest.';
  if (inParens.startsWith(failedLoad)) return inParens.slice(failedLoad.length);
  if (inParens === 'unittest.loader._FailedTest') return name;
  // 3.11+ prints the full id; older versions print only `module.Class`
  return inParens.endsWith(`.${name}`) ? inParens : `${inParens}.${name}`;
}

/**
 * Parse `python -m unittest -v` output into `{ 'pkg.module.Class.test_name': status }`.
 *
 * Handles the Python 3.11+ (`test_x (pkg.mod.C.test_x) ... ok`) and older
 * (`test_x (pkg.mod.C) ... ok`) formats, docstring descriptions printed on a second line,
 * results delayed by output the test wrote to stderr, failing subtests (the parent test
 * is FAILED), import failures (`_FailedTest`: ERROR for the module) and class/module
 * fixture errors (`setUpClass (pkg.mod.C)`: ERROR for `pkg.mod.C`). `expected failure`
 * is XFAIL; `unexpected success` is FAILED, as unittest itself fails the run on it.
 */
export function parseUnittestLog(text: string): Record<string, TestStatus> {
  const out: Record<string, TestStatus> = {};
  const lines = stripAnsi(text).split(/\r?\n/);
  let pending: string | null = null; // started, result not printed yet (stderr noise)
  let header: string | null = null; // description printed, docstring line comes next
  for (const raw of lines) {
    const line = raw.trimEnd();
    const fixture = FIXTURE_SECTION.exec(line);
    if (fixture) {
      mergeStatus(out, fixture[2], 'ERROR');
      continue;
    }
    const section = SECTION_LINE.exec(line);
    if (section) {
      const id = unittestId(section[2], section[3]);
      mergeStatus(out, id, section[1] === 'ERROR' ? 'ERROR' : 'FAILED');
      pending = null;
      header = null;
      continue;
    }
    const sub = SUBTEST_LINE.exec(line);
    if (sub) {
      const st = statusOf(sub[3]);
      const id = unittestId(sub[1], sub[2]);
      if (st === 'FAILED' || st === 'ERROR') mergeStatus(out, id, st);
      else if (st === 'PASSED' && out[id] === undefined) out[id] = 'PASSED';
      pending = null;
      continue;
    }
    let res = RESULT_LINE.exec(line);
    if (res) {
      header = null;
      // Python < 3.11 prints nothing after a test whose subtest failed, so the next
      // test's description can follow on the same line: `test_a (m.C) ... test_b (m.C) ... ok`
      while (res) {
        const id = unittestId(res[1], res[2]);
        const st = statusOf(res[3]);
        if (st) {
          mergeStatus(out, id, st);
          pending = null;
          break;
        }
        pending = id;
        const rest = res[3];
        res = RESULT_LINE.exec(rest);
        if (!res && HEADER_LINE.test(rest)) {
          const h = HEADER_LINE.exec(rest)!;
          header = unittestId(h[1], h[2]);
          pending = null;
        }
      }
      continue;
    }
    const head = HEADER_LINE.exec(line);
    if (head) {
      header = unittestId(head[1], head[2]);
      pending = null;
      continue;
    }
    if (header) {
      const doc = DOC_RESULT_LINE.exec(line);
      if (doc) {
        const st = statusOf(doc[2]);
        if (st) {
          mergeStatus(out, header, st);
          pending = null;
        } else {
          pending = header;
        }
        header = null;
      }
      continue;
    }
    if (pending) {
      const st = statusOf(line);
      if (st) {
        mergeStatus(out, pending, st);
        pending = null;
      }
    }
  }
  return out;
}
