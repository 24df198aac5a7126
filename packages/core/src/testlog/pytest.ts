import type { TestStatus } from '../schema/index.js';
import { mergeStatus, stripAnsi } from './common.js';

const SUMMARY_WORDS = ['PASSED', 'FAILED', 'ERROR', 'SKIPPED', 'XFAIL', 'XPASS'] as const;
type SummaryWord = (typeof SUMMARY_WORDS)[number];

// `XPASS` (non-strict) is a pass: pytest itself exits 0 on it. A strict XPASS is already
// reported by pytest as `FAILED id - [XPASS(strict)] ...`, so it lands on FAILED by itself.
function wordToStatus(word: SummaryWord): TestStatus {
  return word === 'XPASS' ? 'PASSED' : word;
}

/**
 * Split `id - message` where the id may itself contain ` - `, spaces, `::` or brackets
 * inside its parametrize part. The id ends after the bracket that closes the first `[`
 * of its last `::` segment (bracket-depth matched), then at ` - ` or end of line.
 */
export function splitIdAndMessage(rest: string): { id: string; message: string } {
  const text = rest.replace(/\s+$/, '');
  const open = findParamOpen(text);
  if (open >= 0) {
    let depth = 0;
    for (let i = open; i < text.length; i++) {
      const ch = text[i];
      if (ch === '[') depth++;
      else if (ch === ']') {
        depth--;
        if (depth === 0) {
          const after = text.slice(i + 1);
          if (after === '') return { id: text, message: '' };
          if (after.startsWith(' - ')) return { id: text.slice(0, i + 1), message: after.slice(3) };
          // a `]` inside the params that happens to balance early (e.g. `[a]b]`): keep going
        }
        if (depth < 0) depth = 0;
      }
    }
    // Unbalanced params (e.g. a parameter that is a lone `[`): the id ends at the last
    // `]` that is followed by the message separator or the end of the line.
    const end = text.endsWith(']') ? text.length - 1 : text.lastIndexOf('] - ');
    if (end >= open) {
      const id = text.slice(0, end + 1);
      const after = text.slice(end + 1);
      return { id, message: after.startsWith(' - ') ? after.slice(3) : '' };
    }
  }
  const sep = text.indexOf(' - ');
  if (sep < 0) return { id: text, message: '' };
  return { id: text.slice(0, sep), message: text.slice(sep + 3) };
}

// Index of the `[` that opens the parametrize part of a node id, or -1. Only a `[` that
// comes after the last `::` before it and directly follows an identifier character counts,
// so a `[` in a message or in a directory name is not mistaken for one.
function findParamOpen(text: string): number {
  const sep = text.indexOf(' - ');
  const firstSpace = text.indexOf(' ');
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '[') continue;
    // the id's name part cannot contain a space before its params begin
    if (firstSpace >= 0 && firstSpace < i) return -1;
    if (sep >= 0 && sep < i) return -1;
    if (i > 0 && /[\w)]/.test(text[i - 1])) return i;
  }
  return -1;
}

const SUMMARY_LINE = /^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (.+)$/;
// `SKIPPED [3] tests/test_a.py:17: reason` — folded skips carry a location, not a test id.
const FOLDED_SKIP = /^SKIPPED \[\d+\] /;
// `tests/test_a.py::test_x[a b] PASSED  [ 10%]`, `... SKIPPED (reason) [ 50%]`
const VERBOSE_LINE =
  /^(\S.*?) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)(?: \(.*\))?(?:\s+\[\s*\d+%\])?$/;
// pytest-xdist: `[gw1] [ 50%] PASSED tests/test_a.py::test_x`
const XDIST_LINE = /^\[gw\d+\] \[\s*\d+%\] (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (.+)$/;

// pytest >= 9 subtests: `SUBFAILED[msg] (i=2) tests/t.py::test_a - assert ...` in the summary,
// `tests/t.py::test_a SUBFAILED[msg] (i=2)  [ 50%]` in verbose output.
const SUB_SUMMARY = /^SUB(FAILED|PASSED|SKIPPED|XFAIL|XPASS|ERROR)\S*(?: .*?)? ((?:[^\s[\]()]+\/)*[^\s[\]()/]+\.py(?:::.*)?)$/;
const SUB_VERBOSE = /^(\S.*?::\S.*?) SUB(FAILED|PASSED|SKIPPED|XFAIL|XPASS|ERROR)\b/;

// A failing subtest fails its test (pytest can report the test itself as PASSED, e.g. for
// unittest subTest); passing or skipped subtests say nothing about the test as a whole.
function subtestStatus(word: string): TestStatus | null {
  return word === 'FAILED' || word === 'ERROR' ? 'FAILED' : null;
}

function looksLikeNodeId(id: string): boolean {
  return id.includes('::') || /\.py$/.test(id);
}

/**
 * Parse pytest console output into `{ node id: status }`.
 *
 * Reads the `-rA` short test summary (`PASSED id`, `FAILED id - msg`, `ERROR id - msg`,
 * `XFAIL id - reason`, `XPASS id`; folded `SKIPPED [n] file:line: reason` lines are
 * ignored because they name no test) and, as a fallback for tests the summary does not
 * list (skips, or runs without `-r`), verbose `-v` result lines. Summary lines win over
 * verbose lines; within one source, a worse status wins (a test that passed but errored
 * in teardown is ERROR). Non-strict XPASS counts as PASSED. A failing subtest (pytest 9
 * `SUBFAILED`) makes its test FAILED. ANSI colours are stripped.
 */
export function parsePytestLog(text: string): Record<string, TestStatus> {
  const summary: Record<string, TestStatus> = {};
  const verbose: Record<string, TestStatus> = {};
  const lines = stripAnsi(text).split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.replace(/\s+$/, '');
    if (line === '') continue;
    const sub = SUB_SUMMARY.exec(line);
    if (sub) {
      const status = subtestStatus(sub[1]);
      const { id } = splitIdAndMessage(sub[2]);
      if (status && looksLikeNodeId(id)) mergeStatus(summary, id, status);
      continue;
    }
    const subv = SUB_VERBOSE.exec(line);
    if (subv) {
      const status = subtestStatus(subv[2]);
      if (status) mergeStatus(verbose, subv[1], status);
      continue;
    }
    const s = SUMMARY_LINE.exec(line);
    if (s) {
      if (FOLDED_SKIP.test(line)) continue;
      const { id } = splitIdAndMessage(s[2]);
      if (id && looksLikeNodeId(id)) mergeStatus(summary, id, wordToStatus(s[1] as SummaryWord));
      continue;
    }
    const x = XDIST_LINE.exec(line);
    if (x) {
      const id = x[2].trim();
      if (looksLikeNodeId(id)) mergeStatus(verbose, id, wordToStatus(x[1] as SummaryWord));
      continue;
    }
    const v = VERBOSE_LINE.exec(line);
    if (v && v[1].includes('::')) mergeStatus(verbose, v[1], wordToStatus(v[2] as SummaryWord));
  }
  return { ...verbose, ...summary };
}
