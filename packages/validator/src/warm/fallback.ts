/**
 * Why a candidate did not take the warm path: each reason is counted in the run statistics
 * (`stats.warm.fallbacks`) and recorded in the result (`meta.warm.reason`). The candidate then
 * runs exactly as with `--runner isolated`: its working copy, a fresh python process.
 */

/** Reasons decided by the validator before asking the worker. */
export type PlanFallback =
  /** The selection runs the full suite (class header, conftest, non-Python or deleted file, …). */
  | 'full-suite'
  /** A patched line runs at import (module-level code, class body, a function header, or a body that ran at import). */
  | 'import-time'
  /** The patch touches a test file (pytest rewrites test modules' asserts: their code cannot be recompiled as-is). */
  | 'test-file';

/** Reasons the worker's child gave when it declined to swap (python/swe_forge_swap.py `DECLINE_KINDS`). */
export type DeclineKind =
  | 'parse'
  | 'module-level'
  | 'import'
  | 'class-header'
  | 'class-body'
  | 'decorator'
  | 'signature'
  | 'docstring'
  | 'closure'
  | 'live-closure'
  | 'suspended-generator'
  | 'rewritten-code'
  | 'fixture'
  | 'hook'
  | 'c-extension'
  /** The child failed while planning the swap (an unexpected exception). */
  | 'error';

/** Reasons that come from the worker process itself. */
export type WorkerFallback =
  /** No worker for this sandbox: it could not start or said it cannot serve (see `stats.warm.workers`). */
  | 'worker-unavailable'
  /** The worker died or stopped answering during this candidate (it is restarted for the next). */
  | 'worker-died'
  /** An isolated run of the forked run's FAIL_TO_PASS tests disagreed: the candidate was re-validated isolated. */
  | 'disagreement';

/** Any reason a candidate ran isolated although `--runner warm` was asked for. */
export type FallbackReason = PlanFallback | WorkerFallback | `declined:${DeclineKind}`;

const DESCRIPTIONS: Record<string, string> = {
  'full-suite': 'the selection runs the full suite',
  'import-time': 'a patched line runs at import time',
  'test-file': 'the patch touches a test file',
  'worker-unavailable': 'no warm worker for this sandbox',
  'worker-died': 'the warm worker died or stopped answering',
  disagreement: 'the isolated confirmation disagreed with the forked run',
  'declined:parse': 'a patched file does not parse',
  'declined:module-level': 'module-level code changed',
  'declined:import': 'an import statement changed',
  'declined:class-header': 'a class header changed',
  'declined:class-body': 'a class body statement changed',
  'declined:decorator': 'a decorator changed',
  'declined:signature': 'a signature, default value or annotation changed',
  'declined:docstring': 'a docstring changed',
  'declined:closure': 'the free variables of a function changed',
  'declined:live-closure': 'a closure made at import from changed code exists',
  'declined:suspended-generator': 'a generator suspended in changed code exists',
  'declined:rewritten-code': "a live function's code differs from its source",
  'declined:fixture': 'a pytest fixture changed',
  'declined:hook': 'a pytest hook changed',
  'declined:c-extension': 'the module is a compiled extension',
  'declined:error': 'the swap failed unexpectedly',
};

/** A one-line description of a fallback reason. */
export function describeFallback(reason: string): string {
  return DESCRIPTIONS[reason] ?? reason;
}

/** Count of candidates per fallback reason, from results' `meta.warm`. */
export function countFallbacks(results: readonly { meta: Record<string, unknown> }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    const w = r.meta.warm as { path?: string; reason?: string } | undefined;
    if (w?.path === 'isolated' && w.reason) out[w.reason] = (out[w.reason] ?? 0) + 1;
  }
  return out;
}
