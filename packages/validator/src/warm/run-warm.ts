/**
 * One candidate on the warm path: before its patch is applied, get the sandbox's worker and the
 * patched files' old text; after, send the new text and the selected tests, and turn the forked
 * child's answer into the same {@link TestRun} an isolated run gives (statuses parsed from its
 * pytest output with the same parser). A decline or a dead worker yields the fallback reason.
 */
import { constants } from 'node:os';
import { parseTestLog } from '@swe-forge/core/testlog';
import type { EnvSpec } from '@swe-forge/core/schema';
import type { Sandbox } from '@swe-forge/env-builder';
import type { TestRun } from '../run.js';
import type { FallbackReason } from './fallback.js';
import type { WarmFile } from './protocol.js';
import type { WarmPlan } from './swap-plan.js';
import type { WarmPool } from './worker-pool.js';
import { WarmWorker, WarmWorkerDiedError, type WarmRunOutput } from './worker.js';

/** What a result records about the warm path (`meta.warm`). */
export interface WarmMeta {
  /** `warm`: a forked child decided the candidate; `isolated`: it ran in a fresh process. */
  path: 'warm' | 'isolated';
  reason?: FallbackReason;
  detail?: string;
  /** Seconds of the forked run (request to answer). */
  run_s?: number;
  /** Files swapped and live functions that got new code. */
  swapped?: { path: string; functions: number; removed?: string[] }[];
  /** The isolated confirmation run of the FAIL_TO_PASS tests. */
  confirm?: { tests: number; seconds: number; agreed: boolean };
}

/** A candidate ready to go warm once its patch is applied. */
export interface WarmAttempt {
  worker: WarmWorker;
  plan: WarmPlan;
  old: Map<string, string>;
}

/** Before the patch: the sandbox's worker (restarted if needed) and the old text of the patched files. */
export async function prepareWarm(pool: WarmPool, sb: Sandbox, plan: WarmPlan): Promise<WarmAttempt | WarmMeta> {
  const w = await pool.get(sb);
  if (!(w instanceof WarmWorker)) return { path: 'isolated', reason: 'worker-unavailable', detail: w.unavailable };
  const old = new Map<string, string>();
  for (const f of plan.files) old.set(f.path, f.isNew ? '' : await sb.readFile(f.path));
  return { worker: w, plan, old };
}

function signalExitCode(name: string | null): number | null {
  if (!name) return null;
  const n = (constants.signals as Record<string, number>)[name];
  // what a shell reports for a command killed by a signal, as an isolated run would
  return n ? 128 + n : null;
}

/** The forked child's answer as a TestRun (`spec`: the selection runner's, for the log parser). */
export function warmTestRun(out: WarmRunOutput, spec: EnvSpec): TestRun {
  const r = out.result;
  const note = r.signal && !r.timed_out ? `\n# the forked child was killed by ${r.signal}\n` : '';
  const log = `${out.log}${note}`;
  return {
    tests: parseTestLog(spec.log_parser, log),
    exitCode: r.exit_code ?? signalExitCode(r.signal),
    timedOut: r.timed_out,
    durationMs: Math.round(r.duration_s * 1000),
    command: out.command,
    log,
    testTimeouts: r.timeouts ?? [],
  };
}

/** After the patch: run the selected tests in a forked child, or say why not. */
export async function runWarm(
  a: WarmAttempt,
  sb: Sandbox,
  spec: EnvSpec,
  bound: { timeoutMs: number; testTimeouts?: Record<string, number> },
): Promise<{ run: TestRun; meta: WarmMeta } | { run: null; meta: WarmMeta }> {
  const files: WarmFile[] = [];
  for (const f of a.plan.files) files.push({ path: f.path, old: a.old.get(f.path) ?? '', new: await sb.readFile(f.path) });
  let out: WarmRunOutput;
  try {
    out = await a.worker.run({ tests: a.plan.tests, files, timeoutMs: bound.timeoutMs, testTimeouts: bound.testTimeouts });
  } catch (e) {
    if (e instanceof WarmWorkerDiedError) return { run: null, meta: { path: 'isolated', reason: 'worker-died', detail: e.message } };
    throw e;
  }
  if (out.result.declined) {
    return { run: null, meta: { path: 'isolated', reason: `declined:${out.result.declined}` as FallbackReason, detail: out.result.detail } };
  }
  return { run: warmTestRun(out, spec), meta: { path: 'warm', run_s: out.result.duration_s, swapped: out.result.swapped } };
}
