/** The run statistics of `--runner warm` (`stats.warm`). */
import type { ValidationResult } from '@swe-forge/core/schema';
import { countFallbacks } from './fallback.js';
import type { WarmMeta } from './run-warm.js';
import { decidedWarm } from './trust.js';
import type { WarmPool } from './worker-pool.js';

/** `stats.warm`: how the candidates of this run were decided, fallbacks by reason, and the workers. */
export function warmStats(fresh: readonly ValidationResult[], pool: WarmPool): Record<string, unknown> {
  const forked = fresh.filter(decidedWarm);
  const ran = fresh.filter((r) => r.meta.warm !== undefined);
  const confirms = forked.map((r) => (r.meta.warm as WarmMeta).confirm).filter((c): c is NonNullable<WarmMeta['confirm']> => !!c);
  return {
    candidates: fresh.length,
    decided_warm: forked.length,
    decided_without_run: fresh.filter((r) => (r.meta.selection as { kind?: string } | undefined)?.kind === 'none').length,
    ran_isolated: ran.length - forked.length,
    /** Candidates decided by a forked run, over those that ran tests. */
    warm_share: ran.length ? forked.length / ran.length : null,
    fallbacks: countFallbacks(fresh),
    warm_run_s_per_candidate: forked.length ? forked.reduce((s, r) => s + ((r.meta.warm as WarmMeta).run_s ?? 0), 0) / forked.length : null,
    confirm_runs: confirms.length,
    confirm_s: confirms.reduce((s, c) => s + c.seconds, 0),
    disagreements: fresh.filter((r) => r.meta.warm_disagreement !== undefined).length,
    workers: pool.stats(),
  };
}
