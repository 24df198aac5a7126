/**
 * A unittest-style suite (`python -m unittest discover`) gets coverage selection through pytest,
 * with FAIL_TO_PASS / PASS_TO_PASS in the unittest runner's own ids; a candidate that makes a
 * test loop forever is stopped by its per-test timeout (pytest-timeout in the built environment)
 * instead of the whole --timeout, and ends `timeout` exactly as an unbounded run would.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidationResult } from '@swe-forge/core/schema';
import { tempDir } from '@swe-forge/testkit';
import { buildEnvironment, openEnvironment, type Environment } from '@swe-forge/env-builder';
import { editCandidate } from '../test/candidates.js';
import { mapUnittestIds, discoveryDirs, pytestDotted } from './runner.js';
import { timedOutShare, validateCandidates } from './validate.js';

const UNIT = fileURLToPath(new URL('../fixtures/unit', import.meta.url));
const R = 'local/unit';

describe('runner ids', () => {
  it('maps unittest ids to pytest node ids both ways, whatever directory unittest names modules from', () => {
    expect(pytestDotted('tests/test_cart.py::TotalTests::test_total')).toBe('tests.test_cart.TotalTests.test_total');
    expect(pytestDotted('tests/test_cart.py::test_fn[1]')).toBeNull();
    const pytestIds = ['tests/test_cart.py::TotalTests::test_total', 'tests/test_cart.py::TotalTests::test_empty', 'tests/test_cart.py::test_pytest_only', 'other/test_cart.py::TotalTests::test_dup'];
    // `-s tests -t .` names modules from the root, `-s tests` from tests/
    expect(mapUnittestIds(['tests.test_cart.TotalTests.test_total'], pytestIds).ids).toEqual({ 'tests.test_cart.TotalTests.test_total': 'tests/test_cart.py::TotalTests::test_total' });
    expect(mapUnittestIds(['test_cart.TotalTests.test_empty', 'test_cart.TotalTests.test_gone'], pytestIds)).toEqual({
      ids: { 'test_cart.TotalTests.test_empty': 'tests/test_cart.py::TotalTests::test_empty' },
      unmapped: ['test_cart.TotalTests.test_gone'],
      ambiguous: [],
    });
    expect(discoveryDirs('python -m unittest discover -v -s tests -t . 2>&1')).toEqual({ start: 'tests', top: '.' });
    expect(discoveryDirs('python -m unittest discover -v 2>&1')).toEqual({ start: '.', top: null });
  });
});

describe('validateCandidates on a unittest-style suite (env-builder environment)', () => {
  let env: Environment;
  const work = tempDir('swe-forge-val-unit-');
  beforeAll(async () => {
    const built = await buildEnvironment(UNIT, { findLinks: ['/opt/pypi/files'], noIndex: true, cacheDir: join(work, 'envs'), workDir: join(work, 'wc') });
    env = await openEnvironment(built);
  }, 240_000);
  afterAll(async () => {
    await env?.dispose();
  });

  const totalBug = editCandidate(UNIT, R, 'shop/cart.py', 'return sum(prices)', 'return sum(prices) + 1');
  const labelBug = editCandidate(UNIT, R, 'shop/labels.py', 'return name.strip().title()', 'return name.title()');
  const loopBug = editCandidate(UNIT, R, 'shop/cart.py', '        n -= 1\n', '        n -= 0\n', 'procedural/func_pm_op_change_const');

  it('is detected as unittest, and coverage selection runs only the covering tests through pytest, in unittest ids', async () => {
    expect(env.spec.log_parser).toBe('unittest');
    expect(env.spec.install.join('\n')).toMatch(/pytest pytest-timeout/);
    const out = join(work, 'cov.jsonl');
    const { results, stats } = await validateCandidates(env, [totalBug, labelBug], { out, tests: 'coverage', workers: 2, timeoutS: 120, progress: false, verifySample: 2, seed: 1 });
    expect(stats.runner).toBe('pytest-for-unittest');
    const byId = new Map(results.map((r) => [r.candidate_id, r]));
    const total = byId.get(totalBug.id)!;
    expect(total.status).toBe('valid');
    expect(total.test_selection).toBe('coverage');
    expect(total.meta.selection).toMatchObject({ kind: 'tests', n_selected: 2 });
    expect(total.meta.runner).toMatch(/pytest/);
    expect(total.FAIL_TO_PASS).toEqual(['tests.test_cart.TotalTests.test_empty', 'tests.test_cart.TotalTests.test_total']);
    expect(total.PASS_TO_PASS).toEqual([
      'tests.test_cart.CountDownTests.test_steps',
      'tests.test_cart.DiscountTests.test_half',
      'tests.test_cart.DiscountTests.test_none',
      'tests.test_labels.LabelTests.test_many',
      'tests.test_labels.LabelTests.test_plain',
      'tests.test_labels.LabelTests.test_title',
    ]);
    const label = byId.get(labelBug.id)!;
    expect(label.status).toBe('valid');
    expect(label.FAIL_TO_PASS).toEqual(['tests.test_labels.LabelTests.test_title']);
    // the full suite under the repository's own unittest runner finds the same FAIL_TO_PASS sets
    expect(stats.verify).toMatchObject({ compared: 2, agreement: 1 });
  }, 240_000);

  it('--runner warm forks the pytest stand-in: the same FAIL_TO_PASS / PASS_TO_PASS, in unittest ids', async () => {
    const warm = await validateCandidates(env, [totalBug, labelBug], { out: join(work, 'warm.jsonl'), tests: 'coverage', runner: 'warm', workers: 1, timeoutS: 120, progress: false });
    const iso = await validateCandidates(env, [totalBug, labelBug], { out: join(work, 'iso.jsonl'), tests: 'coverage', workers: 1, timeoutS: 120, progress: false });
    expect(warm.stats.runner).toBe('pytest-for-unittest');
    expect(warm.stats.warm).toMatchObject({ decided_warm: 2, fallbacks: {} });
    for (const c of [totalBug, labelBug]) {
      const a = warm.results.find((r) => r.candidate_id === c.id)!;
      const b = iso.results.find((r) => r.candidate_id === c.id)!;
      expect((a.meta.warm as { path: string }).path).toBe('warm');
      expect([a.status, a.FAIL_TO_PASS, a.PASS_TO_PASS]).toEqual([b.status, b.FAIL_TO_PASS, b.PASS_TO_PASS]);
    }
    expect(warm.results.find((r) => r.candidate_id === totalBug.id)!.FAIL_TO_PASS).toEqual(['tests.test_cart.TotalTests.test_empty', 'tests.test_cart.TotalTests.test_total']);
  }, 240_000);

  it('a test that loops forever fails alone at its per-test timeout: the candidate is a timeout, as in an unbounded run, in a fraction of the time', async () => {
    const cands = [totalBug, loopBug];
    const bounded = await validateCandidates(env, cands, { out: join(work, 'bounded.jsonl'), tests: 'coverage', workers: 1, timeoutS: 60, progress: false, bounds: { testFloorS: 2, floorS: 10 } });
    const unbounded = await validateCandidates(env, cands, { out: join(work, 'unbounded.jsonl'), tests: 'coverage', workers: 1, timeoutS: 25, progress: false, bounds: false });
    const loop = (rs: ValidationResult[]): ValidationResult => rs.find((r) => r.candidate_id === loopBug.id)!;
    expect(loop(bounded.results).status).toBe('timeout');
    expect(loop(bounded.results).error).toMatch(/^test tests\/test_cart\.py::CountDownTests::test_steps exceeded its per-test timeout of 2 s .*: the run was stopped there$/);
    expect(loop(bounded.results).duration_s).toBeLessThan(12);
    expect(loop(unbounded.results).status).toBe('timeout');
    expect(loop(unbounded.results).duration_s).toBeGreaterThanOrEqual(25);
    const valid = (rs: ValidationResult[]): string[] => rs.filter((r) => r.status === 'valid').map((r) => r.candidate_id).sort();
    expect(valid(bounded.results)).toEqual(valid(unbounded.results));
    expect(valid(bounded.results)).toEqual([totalBug.id]);
    expect(bounded.stats.timed_out_share as number).toBeLessThan(timedOutShare(unbounded.results));
  }, 240_000);
});
