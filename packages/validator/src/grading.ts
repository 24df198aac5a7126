/**
 * Grading a model patch, following SWE-bench's `get_eval_tests_report` and
 * `get_resolution_status` (swebench/harness/grading.py), with one deliberate change the
 * swe-forge issue asks for: a SKIPPED FAIL_TO_PASS test counts as failed.
 *
 * - A test passes when it ran and is PASSED or XFAIL.
 * - A FAIL_TO_PASS test that did not pass (FAILED, ERROR, SKIPPED or absent) is a failure.
 * - A PASS_TO_PASS test fails when it is FAILED, ERROR or absent; a SKIPPED one is neither
 *   (as in SWE-bench).
 * - ratio = success / (success + failure), 1 when both are empty.
 * - RESOLVED_FULL: F2P ratio 1 and P2P ratio 1; RESOLVED_PARTIAL: 0 < F2P ratio < 1 and
 *   P2P ratio 1; RESOLVED_NO otherwise.
 */
import type { TestStatus } from '@swe-forge/core/schema';

/** SWE-bench resolution status. */
export type ResolutionStatus = 'RESOLVED_FULL' | 'RESOLVED_PARTIAL' | 'RESOLVED_NO';

/** Per-list successes and failures, in SWE-bench's `tests_status` shape. */
export interface TestsStatus {
  FAIL_TO_PASS: { success: string[]; failure: string[] };
  PASS_TO_PASS: { success: string[]; failure: string[] };
}

const passed = (s: TestStatus | undefined): boolean => s === 'PASSED' || s === 'XFAIL';

/** Sort F2P / P2P tests of an instance into successes and failures for one eval run. */
export function testsStatus(statuses: Record<string, TestStatus>, instance: { FAIL_TO_PASS: string[]; PASS_TO_PASS: string[] }): TestsStatus {
  const out: TestsStatus = { FAIL_TO_PASS: { success: [], failure: [] }, PASS_TO_PASS: { success: [], failure: [] } };
  for (const id of instance.FAIL_TO_PASS) (passed(statuses[id]) ? out.FAIL_TO_PASS.success : out.FAIL_TO_PASS.failure).push(id);
  for (const id of instance.PASS_TO_PASS) {
    const s = statuses[id];
    if (passed(s)) out.PASS_TO_PASS.success.push(id);
    else if (s !== 'SKIPPED') out.PASS_TO_PASS.failure.push(id);
  }
  return out;
}

function ratio(r: { success: string[]; failure: string[] }): number {
  const total = r.success.length + r.failure.length;
  return total === 0 ? 1 : r.success.length / total;
}

/** RESOLVED_FULL / RESOLVED_PARTIAL / RESOLVED_NO from a tests-status report. */
export function resolutionStatus(report: TestsStatus): ResolutionStatus {
  const f2p = ratio(report.FAIL_TO_PASS);
  const p2p = ratio(report.PASS_TO_PASS);
  if (f2p === 1 && p2p === 1) return 'RESOLVED_FULL';
  if (f2p < 1 && f2p > 0 && p2p === 1) return 'RESOLVED_PARTIAL';
  return 'RESOLVED_NO';
}
