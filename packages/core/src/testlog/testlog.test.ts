import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  JUnitParseError,
  junitNodeId,
  parseJUnitXml,
  parsePytestLog,
  parseTestLog,
  parseUnittestLog,
  splitIdAndMessage,
  stripAnsi,
  summarize,
} from './index.js';

// Captured from REAL runs by fixtures/capture.sh: examples/demo-repo copied to a temp dir,
// parse_line mutated (descriptions lose everything after "::"), plus tests/test_zz_broken.py
// (failing fixture, teardown error, ids with ' - ' and brackets, XPASS, class skip) and
// tests/test_zz_syntax.py (collection error).
const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8');

const P = 'tests/test_parser.py';
const Z = 'tests/test_zz_broken.py';

/** Statuses every parser must agree on for the demo run (ids as pytest prints them). */
const EXPECTED_DEMO = {
  [`${P}::test_parse_line_keeps_description[x::y]`]: 'FAILED',
  [`${P}::test_parse_line_keeps_description[a b]`]: 'PASSED',
  [`${P}::test_parse_line_keeps_description[[x]]`]: 'PASSED',
  [`${Z}::test_pairs[p - q]`]: 'FAILED',
  [`${Z}::test_pairs[[1]]`]: 'FAILED',
  [`${Z}::test_pairs[ok]`]: 'PASSED',
  [`${Z}::test_needs_ledger`]: 'ERROR',
  [`${Z}::test_teardown_breaks`]: 'ERROR',
  [`${Z}::test_sometimes_passes`]: 'PASSED', // non-strict XPASS
  [`${Z}::TestGrouped::test_member[n0]`]: 'PASSED',
  ['tests/test_zz_syntax.py']: 'ERROR',
  ['tests/test_money.py::test_adding_currencies_converts_automatically']: 'XFAIL',
  ['tests/test_ledger.py::test_concurrent_imports_interleave_by_chunk[1-a1 b1 a2 b2 a3 b3]']: 'PASSED',
  ['tests/test_money.py::test_str[-5-USD--0.05 USD]']: 'PASSED',
  ['tests/test_parser.py::test_parse_amount[($1,000)--100000]']: 'PASSED',
} as const;

describe('parsePytestLog on captured demo-repo output', () => {
  const plain = parsePytestLog(fixture('demo-pytest-rA.txt'));

  it('gives the exact status of specific ids, including odd parametrize ids', () => {
    for (const [id, status] of Object.entries(EXPECTED_DEMO)) expect([id, plain[id]]).toEqual([id, status]);
  });

  it('matches the counts pytest printed (teardown error folds the PASSED line into ERROR)', () => {
    // pytest: 3 failed, 240 passed, 2 skipped, 1 xfailed, 1 xpassed, 3 errors
    expect(summarize(plain)).toEqual({ passed: 240, failed: 3, errors: 3, skipped: 0, xfail: 1, total: 247 });
  });

  it('ignores folded SKIPPED [n] file:line lines instead of inventing ids', () => {
    expect(Object.keys(plain).some((id) => id.includes(':128') || id.startsWith('[') || id.includes(': '))).toBe(false);
    expect(Object.keys(plain).every((id) => id.startsWith('tests/'))).toBe(true);
  });

  it('gives the same result on --color=yes output', () => {
    const colored = fixture('demo-pytest-rA-color.txt');
    expect(colored).toContain('\u001b[');
    expect(parsePytestLog(colored)).toEqual(plain);
  });

  it('recovers skipped ids from verbose lines when -v is combined with -rA', () => {
    const verbose = parsePytestLog(fixture('demo-pytest-rA-verbose.txt'));
    expect(verbose['tests/test_report.py::test_export_pdf_statement']).toBe('SKIPPED');
    expect(verbose[`${Z}::TestGrouped::test_member[2]`]).toBe('SKIPPED');
    expect(summarize(verbose)).toEqual({ passed: 240, failed: 3, errors: 3, skipped: 2, xfail: 1, total: 249 });
    for (const [id, status] of Object.entries(EXPECTED_DEMO)) expect([id, verbose[id]]).toEqual([id, status]);
  });

  it('falls back to verbose lines when there is no short summary', () => {
    const log = fixture('demo-pytest-verbose-only.txt');
    expect(log).not.toContain('short test summary');
    const tests = parsePytestLog(log);
    expect(tests[`${Z}::test_pairs[p - q]`]).toBe('FAILED');
    expect(tests[`${Z}::test_teardown_breaks`]).toBe('ERROR');
    expect(tests[`${Z}::test_sometimes_passes`]).toBe('PASSED');
    expect(tests[`${Z}::TestGrouped::test_member[2]`]).toBe('SKIPPED');
    expect(tests[`${P}::test_parse_line_keeps_description[x::y]`]).toBe('FAILED');
    expect(tests[`${P}::test_parse_line_keeps_description[a b]`]).toBe('PASSED');
  });

  it('fails a test whose pytest 9 subtest failed, even when pytest lists it as PASSED', () => {
    const log = fixture('pytest9-subtests.txt');
    const expected = { 'tests/test_s.py::test_sub': 'FAILED', 'tests/test_s.py::T::test_u': 'FAILED', 'tests/test_s.py::test_plain': 'PASSED' };
    expect(parsePytestLog(log)).toEqual(expected);
    // verbose lines alone reach the same verdict
    const verboseOnly = log.slice(0, log.indexOf('short test summary'));
    expect(parsePytestLog(verboseOnly)).toEqual(expected);
  });

  it('reports the collection error of an interrupted run', () => {
    expect(parsePytestLog(fixture('demo-pytest-interrupted.txt'))).toEqual({ 'tests/test_zz_syntax.py': 'ERROR' });
  });
});

describe('parsePytestLog on hand-written lines', () => {
  it('splits the message only after the id, even with " - " inside brackets', () => {
    const log = [
      'FAILED tests/test_a.py::test_x[p - q] - AssertionError: [1] - [2]',
      'FAILED tests/test_a.py::test_y[x::y] - assert 1',
      'PASSED tests/test_a.py::test_z[[1]]',
      'ERROR tests/test_b.py - ImportError: cannot import name x',
      'FAILED tests/test_a.py::test_plain - ValueError: a[0] - b',
      'XFAIL tests/test_a.py::test_xf - reason: known bug',
      'XPASS tests/test_a.py::test_xp',
      'SKIPPED [2] tests/test_a.py:36: inside',
      'SKIPPED tests/test_a.py::test_unfolded',
    ].join('\n');
    expect(parsePytestLog(log)).toEqual({
      'tests/test_a.py::test_x[p - q]': 'FAILED',
      'tests/test_a.py::test_y[x::y]': 'FAILED',
      'tests/test_a.py::test_z[[1]]': 'PASSED',
      'tests/test_b.py': 'ERROR',
      'tests/test_a.py::test_plain': 'FAILED',
      'tests/test_a.py::test_xf': 'XFAIL',
      'tests/test_a.py::test_xp': 'PASSED',
      'tests/test_a.py::test_unfolded': 'SKIPPED',
    });
  });

  it('handles unbalanced brackets inside params and pytest-xdist lines', () => {
    expect(splitIdAndMessage('t.py::test_q[[] - boom')).toEqual({ id: 't.py::test_q[[]', message: 'boom' });
    expect(splitIdAndMessage('t.py::test_q[a]b]')).toEqual({ id: 't.py::test_q[a]b]', message: '' });
    expect(parsePytestLog('[gw1] [ 50%] FAILED tests/t.py::test_a[x y]\n[gw0] [100%] PASSED tests/t.py::test_b')).toEqual({
      'tests/t.py::test_a[x y]': 'FAILED',
      'tests/t.py::test_b': 'PASSED',
    });
  });

  it('does not turn traceback or captured-output lines into ids', () => {
    const log = 'E   AssertionError: PASSED\nsome output FAILED\nPASSED not-a-test-id\n';
    expect(parsePytestLog(log)).toEqual({});
  });
});

describe('parseJUnitXml', () => {
  it('reads the captured demo-repo --junitxml report into pytest node ids', () => {
    const tests = parseJUnitXml(fixture('demo-junit.xml'));
    for (const [id, status] of Object.entries(EXPECTED_DEMO)) expect([id, tests[id]]).toEqual([id, status]);
    expect(tests['tests/test_report.py::test_export_pdf_statement']).toBe('SKIPPED');
    expect(tests[`${Z}::TestGrouped::test_member[2]`]).toBe('SKIPPED');
    expect(summarize(tests)).toEqual({ passed: 240, failed: 3, errors: 3, skipped: 2, xfail: 1, total: 249 });
    // the console parser (with -v) and the JUnit parser agree id for id
    expect(tests).toEqual(parsePytestLog(fixture('demo-pytest-rA-verbose.txt')));
  });

  it('decodes entities, CDATA and comments and maps classes', () => {
    const xml = `<?xml version="1.0"?>
<!-- <testcase name="commented_out"/> -->
<testsuites><testsuite name="pytest">
  <testcase classname="tests.sub.test_x.TestC.TestInner" name="test_y[a&amp;b &lt;c&gt; &quot;d&quot; &#233;]" time="0.1"/>
  <testcase classname="tests.test_x" name="test_f" time="0.1"><failure message="x &gt; y"><![CDATA[<testcase name="fake"/>]]></failure><system-out>noise</system-out></testcase>
  <testcase classname='tests.test_x' name='test_xf'><skipped type="pytest.xfail" message="known"/></testcase>
  <testcase classname="tests.test_x" name="test_e"><error message="boom"/></testcase>
  <testcase classname="tests.test_x" name="test_fe"><failure message="f"/><error message="teardown"/></testcase>
</testsuite></testsuites>`;
    expect(parseJUnitXml(xml)).toEqual({
      'tests/sub/test_x.py::TestC::TestInner::test_y[a&b <c> "d" é]': 'PASSED',
      'tests/test_x.py::test_f': 'FAILED',
      'tests/test_x.py::test_xf': 'XFAIL',
      'tests/test_x.py::test_e': 'ERROR',
      'tests/test_x.py::test_fe': 'FAILED',
    });
  });

  it('uses the file attribute when present and names bad input in its error', () => {
    expect(junitNodeId('tests.v1.test_x.TestC', 'test_y', 'tests/v1/test_x.py')).toBe('tests/v1/test_x.py::TestC::test_y');
    // items from non-Python files (pygments' example files, doctests in .rst)
    expect(junitNodeId('tests.examplefiles.abnf.abnf_example1.abnf', '')).toBe('tests/examplefiles/abnf/abnf_example1.abnf::');
    expect(junitNodeId('docs.index.rst', 'index.rst')).toBe('docs/index.rst::index.rst');
    expect(junitNodeId('boltons.strutils', 'boltons.strutils.slugify')).toBe('boltons/strutils.py::boltons.strutils.slugify');
    expect(() => parseJUnitXml('PASSED tests/test_a.py::test_x')).toThrow(JUnitParseError);
    expect(() => parseJUnitXml('PASSED tests/test_a.py::test_x')).toThrow(/--junitxml/);
  });
});

describe('parseUnittestLog on captured python -m unittest -v output', () => {
  const tests = parseUnittestLog(fixture('unittest-verbose.txt'));
  const T = 'calc.test_calc.TestAdd';

  it('gives the exact status of every test', () => {
    expect(tests).toEqual({
      [`${T}.test_docstring`]: 'PASSED', // docstring line between description and result
      [`${T}.test_error`]: 'ERROR',
      [`${T}.test_expected_failure`]: 'XFAIL',
      [`${T}.test_fail`]: 'FAILED',
      [`${T}.test_noisy`]: 'PASSED', // result printed after stderr noise
      [`${T}.test_ok`]: 'PASSED',
      [`${T}.test_skipped`]: 'SKIPPED',
      [`${T}.test_subtests`]: 'FAILED', // one failing subtest fails the test
      [`${T}.test_unexpected_success`]: 'FAILED',
      'calc.test_calc.TestBrokenSetup': 'ERROR', // setUpClass error
      'calc.test_calc.TestDocFail.test_doc_fail': 'FAILED',
      test_missing: 'ERROR', // module that failed to import
    });
  });

  it('reads the same run printed by Python 3.8 (old format) and 3.13 identically', () => {
    const old = fixture('unittest-verbose-py3.8.txt');
    expect(old).toContain('test_ok (calc.test_calc.TestAdd) ... ok');
    // 3.8 prints no result for a test whose subtest failed: the next test follows on that line
    expect(old).toMatch(/test_subtests \(calc\.test_calc\.TestAdd\) \.\.\. test_unexpected_success/);
    expect(parseUnittestLog(old)).toEqual(tests);
    expect(parseUnittestLog(fixture('unittest-verbose-py3.13.txt'))).toEqual(tests);
  });

  it('reads the pre-3.11 format `test_x (module.Class)`', () => {
    const old = [
      'test_a (pkg.mod.TestK) ... ok',
      'test_b (pkg.mod.TestK)',
      'Docstring line ... FAIL',
      "test_c (pkg.mod.TestK) ... skipped 'later'",
    ].join('\n');
    expect(parseUnittestLog(old)).toEqual({
      'pkg.mod.TestK.test_a': 'PASSED',
      'pkg.mod.TestK.test_b': 'FAILED',
      'pkg.mod.TestK.test_c': 'SKIPPED',
    });
  });
});

describe('parseTestLog, summarize, stripAnsi', () => {
  it('dispatches by EnvSpec.log_parser and rejects unknown parsers', () => {
    expect(parseTestLog('pytest', 'PASSED t.py::a')).toEqual({ 't.py::a': 'PASSED' });
    expect(parseTestLog('unittest', 'test_a (m.C.test_a) ... ok')).toEqual({ 'm.C.test_a': 'PASSED' });
    expect(parseTestLog('junit', '<testsuite><testcase classname="t" name="a"/></testsuite>')).toEqual({ 't.py::a': 'PASSED' });
    expect(() => parseTestLog('nose' as never, '')).toThrow(/unknown test log parser "nose"/);
  });

  it('strips colours and OSC links', () => {
    expect(stripAnsi('\u001b[32mPASSED\u001b[0m \u001b[1mt.py::a\u001b[0m \u001b]8;;file:///x\u0007x\u001b]8;;\u0007')).toBe('PASSED t.py::a x');
  });
});
