/**
 * Trust in the warm path: a forked result is only as good as its agreement with an isolated run
 * of the same candidate. `--verify-sample N` with `--runner warm` re-validates N seeded-random
 * candidates that the warm path decided, in a fresh process each, and compares status and
 * FAIL_TO_PASS; a disagreement is reported with both outcomes and the isolated result replaces
 * the forked one.
 */
import { seededShuffle } from '@swe-forge/core/ids';
import type { ValidationResult } from '@swe-forge/core/schema';
import { runPool } from '@swe-forge/core/exec';

/** One candidate on which the forked and the isolated run disagree. */
export interface WarmMismatch {
  candidate_id: string;
  warm: { status: string; FAIL_TO_PASS: string[]; error?: string };
  isolated: { status: string; FAIL_TO_PASS: string[]; error?: string };
}

/** The verify sample's report for `--runner warm` (`stats.verify`). */
export interface WarmVerifyReport {
  against: 'isolated';
  sampled: number;
  compared: number;
  identical_f2p: number;
  identical_status: number;
  /** identical FAIL_TO_PASS sets / compared. */
  agreement: number | null;
  /** The same candidates, forked vs isolated seconds. */
  paired: { candidates: number; warm_seconds_per_candidate: number; isolated_seconds_per_candidate: number; speedup: number } | null;
  mismatches: WarmMismatch[];
  /** Results replaced by their isolated re-run. */
  replaced: number;
}

const outcome = (r: ValidationResult): WarmMismatch['warm'] => ({ status: r.status, FAIL_TO_PASS: r.FAIL_TO_PASS, ...(r.error ? { error: r.error } : {}) });

/** True when the warm path decided this result. */
export function decidedWarm(r: ValidationResult): boolean {
  return (r.meta.warm as { path?: string } | undefined)?.path === 'warm';
}

/**
 * Re-validate `n` seeded-random warm-decided results with `isolated` and compare. Returns the
 * report and the results to store in place of disagreeing ones.
 */
export async function verifyWarmSample(
  results: readonly ValidationResult[],
  n: number,
  seed: number,
  concurrency: number,
  isolated: (r: ValidationResult) => Promise<ValidationResult>,
): Promise<{ report: WarmVerifyReport; replacements: ValidationResult[] }> {
  const sample = seededShuffle(results.filter(decidedWarm), seed).slice(0, n);
  const mismatches: WarmMismatch[] = [];
  const replacements: ValidationResult[] = [];
  let compared = 0;
  let sameF2p = 0;
  let sameStatus = 0;
  let warmS = 0;
  let isoS = 0;
  await runPool(
    sample.map((r) => ({ key: r.candidate_id, input: r })),
    {
      concurrency,
      progress: false,
      worker: async (r) => {
        const iso = await isolated(r);
        compared++;
        warmS += r.duration_s;
        isoS += iso.duration_s;
        const a = new Set(r.FAIL_TO_PASS);
        const f2p = iso.FAIL_TO_PASS.length === a.size && iso.FAIL_TO_PASS.every((x) => a.has(x));
        if (f2p) sameF2p++;
        if (iso.status === r.status) sameStatus++;
        if (!f2p || iso.status !== r.status) {
          const m = { candidate_id: r.candidate_id, warm: outcome(r), isolated: outcome(iso) };
          mismatches.push(m);
          replacements.push({ ...iso, meta: { ...iso.meta, warm_disagreement: m } });
        }
        return iso;
      },
    },
  );
  return {
    report: {
      against: 'isolated',
      sampled: sample.length,
      compared,
      identical_f2p: sameF2p,
      identical_status: sameStatus,
      agreement: compared ? sameF2p / compared : null,
      paired: compared ? { candidates: compared, warm_seconds_per_candidate: warmS / compared, isolated_seconds_per_candidate: isoS / compared, speedup: isoS / Math.max(warmS, 1e-9) } : null,
      mismatches,
      replaced: replacements.length,
    },
    replacements,
  };
}
