/**
 * validateCandidates: apply each BugCandidate in an isolated working copy, run (a
 * selection of) the tests, compare with the per-test baseline and record a
 * ValidationResult. Results are appended to a resumable JSONL file keyed by candidate id.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyPatch, patchFiles } from '@swe-forge/core/diff';
import { runPool, shardOf } from '@swe-forge/core/exec';
import { seededShuffle } from '@swe-forge/core/ids';
import { readJsonlAll, ResumableJsonlWriter, writeJsonlAtomic } from '@swe-forge/core/jsonl';
import type { BugCandidate, TestStatus, ValidationResult, ValidationStatus } from '@swe-forge/core/schema';
import { SCHEMA_VERSION } from '@swe-forge/core/schema';
import type { Sandbox } from '@swe-forge/env-builder';
import { ensureBaseline, type BaselineRecord } from './baseline.js';
import { classify, type MissingPolicy, untrustworthyReason } from './compare.js';
import { CANDIDATE_PYTEST_ARGS, failingImports, runTests, supportsPlugin, unparsableFiles, type TestRun } from './run.js';
import { isUnittestSuite, nativeRunner, pytestRunner, type SelectionRunner } from './runner.js';
import { importedModules, selectByCoverage, selectByFiles, type CoverageMap, type Selected, type TestSelection } from './selection.js';
import type { ValidatorEnvironment } from './types.js';
import { prepareWarm, runWarm, type WarmAttempt, type WarmMeta } from './warm/run-warm.js';
import { planWarm } from './warm/swap-plan.js';
import { warmStats } from './warm/stats.js';
import { verifyWarmSample } from './warm/trust.js';
import { WarmPool } from './warm/worker-pool.js';

/** Options of {@link validateCandidates}. */
export interface ValidateOptions {
  /** Results file (JSONL of ValidationResult); the baseline, coverage map and logs go next to it. */
  out: string;
  /** Test selection (default `full`). */
  tests?: TestSelection;
  /** Parallel isolated working copies (default 1). */
  workers?: number;
  /** Per-candidate timeout of the test run in seconds (default 90): no run ever lasts longer. */
  timeoutS?: number;
  /**
   * Bound each run by what its tests took at baseline (default on): stop it at
   * max(`floorS`, `factor` × the baseline seconds of the tests it runs), never above `timeoutS`,
   * and give each test max(`testFloorS`, `factor` × its baseline seconds) through pytest-timeout
   * when the environment has it (the run stops at the first test over its time). A run stopped
   * either way is `timeout`, never an instance. `false`: only `timeoutS`.
   */
  bounds?: false | Partial<RunBounds>;
  /** Show progress on a TTY (default true; always quiet when `CI` is set). */
  progress?: boolean;
  /** How a baseline test missing from the bug run is counted (default `fail`, see `classify`). */
  missing?: MissingPolicy;
  /** Re-run the FAIL_TO_PASS tests once more with the bug; keep only those that fail again. */
  confirm?: boolean;
  /** After validating, run the full suite on this many random candidates and compare F2P sets. */
  verifySample?: number;
  /** Seed of the verify sample (default 0). */
  seed?: number;
  /** Log lines (baseline progress, decisions). */
  log?: (line: string) => void;
  /**
   * How selected runs execute (default `isolated`): `isolated` starts a fresh python process per
   * candidate; `warm` (with `tests: 'coverage'`) forks each candidate from one long-lived worker
   * per sandbox that imported the project and collected the tests once, swapping the patched
   * function bodies in (see the README). Candidates it cannot swap safely run isolated, with the
   * reason counted; valid ones are confirmed by an isolated run of their FAIL_TO_PASS tests.
   */
  runner?: ExecutionRunner;
  /** Validate only the candidates of one shard (`shardOf(id, count) === index`): one Slurm array task. */
  shard?: { index: number; count: number };
  /**
   * Reuse the baseline and coverage map recorded next to this results file instead of next to
   * `out` (the array tasks of a Slurm run share the baseline the submitting side computed once).
   */
  baselineOf?: string;
}

/** How a candidate's selected tests execute (`--runner`). */
export type ExecutionRunner = 'isolated' | 'warm';

/** How runs are bounded by their baseline cost (see {@link ValidateOptions.bounds}). */
export interface RunBounds {
  /** Multiple of the baseline seconds a run (or a test) may take (default 5). */
  factor: number;
  /** A run may always take this many seconds (default 30). */
  floorS: number;
  /** A test may always take this many seconds (default 10). */
  testFloorS: number;
}

/** Default {@link RunBounds}. */
export const DEFAULT_BOUNDS: RunBounds = { factor: 5, floorS: 30, testFloorS: 10 };

/** Files a validation run writes next to `out`. */
export function validationPaths(out: string): { baseline: string; coverage: string; logs: string; verify: string } {
  return { baseline: `${out}.baseline.json`, coverage: `${out}.coverage.json`, logs: `${out}.logs`, verify: `${out}.verify.json` };
}

interface Ctx {
  env: ValidatorEnvironment;
  baseline: BaselineRecord;
  /** How selected runs execute (null: only full runs with the repository's own command). */
  runner: SelectionRunner | null;
  bounds: RunBounds | null;
  /** pytest-timeout is installed in the environment: runs get per-test timeouts. */
  perTest: boolean;
  coverage: CoverageMap | null;
  testSources: Map<string, string>;
  mode: TestSelection;
  timeoutMs: number;
  missing: MissingPolicy;
  confirm: boolean;
  logsDir: string;
  /** Warm workers (`runner: 'warm'`), null when runs are isolated. */
  warm: WarmPool | null;
  /**
   * For the import check, computed once on first need: the repository modules the baseline
   * imported, and those of them that already fail to import on the clean tree (null: the
   * check could not run).
   */
  importCheck?: { modules: string[]; atBaseline: Promise<Set<string> | null> };
}

const safeName = (id: string): string => id.replace(/[^A-Za-z0-9._-]+/g, '_');

function select(ctx: Ctx, mode: TestSelection, patch: string): Selected {
  if (mode === 'full' || !ctx.runner) return { kind: 'full', reason: 'full suite requested' };
  const ids = Object.keys(ctx.runner.tests);
  if (mode === 'files') return selectByFiles(patch, ids, ctx.testSources);
  return selectByCoverage(ctx.coverage as CoverageMap, patch, ids);
}

/** The time a run gets: its bound (from the baseline seconds of the tests it runs) and per-test timeouts. */
function budget(ctx: Ctx, runnerIds: readonly string[] | null, runSpecHasPlugin: boolean): { timeoutMs: number; baselineS: number | null; testTimeouts?: Record<string, number> } {
  const b = ctx.bounds;
  if (!b) return { timeoutMs: ctx.timeoutMs, baselineS: null };
  const d = ctx.baseline.durations;
  const known = d ? Object.values(d) : [];
  const longest = known.length ? Math.max(...known) : 0;
  let baselineS = ctx.baseline.full_duration_s;
  if (runnerIds && d) baselineS = (ctx.baseline.overhead_s ?? 0) + runnerIds.reduce((s, id) => s + (d[id] ?? longest), 0);
  const timeoutMs = Math.round(Math.min(ctx.timeoutMs, Math.max(b.floorS, b.factor * baselineS) * 1000));
  if (!runSpecHasPlugin || !d || !ctx.perTest) return { timeoutMs, baselineS };
  // unknown ids (not in the baseline) get the longest test's allowance
  const testTimeouts: Record<string, number> = { '*': Math.ceil(Math.max(b.testFloorS, b.factor * longest)) };
  for (const id of runnerIds ?? Object.keys(d)) if (d[id] !== undefined) testTimeouts[id] = Math.ceil(Math.max(b.testFloorS, b.factor * d[id]));
  return { timeoutMs, baselineS, testTimeouts };
}

/** Why a bounded run was stopped, for the result's `error`. */
function stoppedWhy(ctx: Ctx, run: TestRun, timeoutMs: number, baselineS: number | null, testTimeouts?: Record<string, number>): string {
  if (run.testTimeouts?.length) {
    const id = run.testTimeouts[0];
    const took = ctx.baseline.durations?.[id];
    return `test ${id} exceeded its per-test timeout of ${testTimeouts?.[id] ?? testTimeouts?.['*']} s${took !== undefined ? ` (${took.toFixed(2)} s at baseline)` : ''}: the run was stopped there`;
  }
  if (baselineS !== null && timeoutMs < ctx.timeoutMs)
    return `the test run was stopped at ${(timeoutMs / 1000).toFixed(0)} s: its tests took ${baselineS.toFixed(1)} s at baseline (bound max(${ctx.bounds!.floorS} s, ${ctx.bounds!.factor}× that), never above --timeout ${ctx.timeoutMs / 1000} s)`;
  return `the test run exceeded ${ctx.timeoutMs / 1000} s and was killed`;
}

/**
 * Validate one candidate in one (reset) sandbox. `mode` may differ from ctx.mode (verify runs);
 * `isolated` keeps a warm validation off the warm path (verify and disagreement re-runs).
 */
async function validateOne(sb: Sandbox, cand: BugCandidate, ctx: Ctx, mode: TestSelection, isolated = false): Promise<ValidationResult> {
  const t0 = Date.now();
  const spec = ctx.env.spec;
  const base = {
    candidate_id: cand.id,
    env_id: spec.id,
    FAIL_TO_PASS: [] as string[],
    PASS_TO_PASS: [] as string[],
    FAIL_TO_FAIL: [] as string[],
    PASS_TO_FAIL: [] as string[],
    test_selection: mode,
    candidate: cand,
  };
  const meta: Record<string, unknown> = { base_commit: spec.commit, repo: spec.repo };
  const finish = (status: ValidationStatus, report: ValidationResult['report'], extra: Partial<ValidationResult> = {}): ValidationResult => ({
    schema_version: SCHEMA_VERSION,
    ...base,
    status,
    report,
    duration_s: (Date.now() - t0) / 1000,
    meta,
    ...extra,
  });
  const noRun = { exit_code: null, timed_out: false, duration_s: 0, n_tests: 0 };

  await sb.reset();
  try {
    let sel = select(ctx, mode, cand.patch);
    if (sel.kind === 'tests' && ctx.runner?.mismatched.size) {
      const odd = sel.tests.find((id) => ctx.runner!.mismatched.has(id));
      if (odd) sel = { kind: 'full', reason: `selected test ${odd} has another status under pytest than under the repository's runner` };
    }
    if (sel.kind === 'tests' && sel.importTime && ctx.coverage && !ctx.importCheck) {
      // the sandbox holds the clean tree now: note what fails to import without any bug
      const modules = importedModules(ctx.coverage, Object.keys(ctx.runner?.tests ?? ctx.baseline.tests));
      ctx.importCheck = { modules, atBaseline: failingImports(sb, modules).then((f) => (f ? new Set(f) : null)) };
    }
    const importCheck = sel.kind === 'tests' && sel.importTime && ctx.importCheck?.modules.length ? ctx.importCheck : null;
    const atBaseline = importCheck ? await importCheck.atBaseline : null;
    // The warm path: decided before the patch is applied (a dead worker restarts on the clean tree).
    const plan = ctx.warm && mode === ctx.mode && !isolated ? planWarm(sel, cand.patch, ctx.coverage as CoverageMap) : null;
    let attempt: WarmAttempt | null = null;
    if (plan && !plan.ok) meta.warm = { path: 'isolated', reason: plan.reason, detail: plan.detail } satisfies WarmMeta;
    else if (plan?.ok && ctx.warm) {
      const a = await prepareWarm(ctx.warm, sb, plan);
      if ('worker' in a) attempt = a;
      else meta.warm = a;
    }
    try {
      await applyPatch(sb.root, cand.patch);
    } catch (e) {
      return finish('apply_failed', noRun, { error: (e as Error).message });
    }
    let warmRun: TestRun | null = null;
    if (attempt && sel.kind === 'tests') {
      // the child compiles every patched file: one that no longer parses is declined (then checked below)
      const w = await runWarm(attempt, sb, (ctx.runner as SelectionRunner).spec, budget(ctx, sel.tests, true));
      meta.warm = w.meta;
      warmRun = w.run;
    }
    if (sel.kind !== 'full' && !warmRun) {
      // A patch that breaks a module's syntax breaks every importer: only the full suite shows that.
      const broken = await unparsableFiles(sb, patchFiles(cand.patch));
      if (broken.length > 0) sel = { kind: 'full', reason: `patched file(s) no longer parse: ${broken.join(', ')}` };
    }
    if (sel.kind === 'tests' && importCheck && !warmRun) {
      // An import-time change that makes a module fail to import breaks every test reaching it,
      // even one importing it lazily without running a traced line of it: only the full suite shows that.
      const failing = await failingImports(sb, importCheck.modules);
      const newly = failing === null || atBaseline === null ? null : failing.filter((m) => !atBaseline.has(m));
      if (newly === null) sel = { kind: 'full', reason: 'could not check whether the repository modules still import' };
      else if (newly.length > 0) sel = { kind: 'full', reason: `module(s) no longer import: ${newly.slice(0, 5).join(', ')}${newly.length > 5 ? ', …' : ''}` };
    }
    meta.selection = { kind: sel.kind, reason: sel.reason, n_selected: sel.kind === 'tests' ? sel.tests.length : sel.kind === 'full' ? Object.keys(ctx.baseline.tests).length : 0 };
    if (sel.kind === 'none') return finish('no_f2p', noRun);

    // Selected tests run through the selection runner (pytest for a unittest suite), in its ids;
    // a full run uses the repository's own command and ids.
    const runner = sel.kind === 'tests' ? (ctx.runner as SelectionRunner) : null;
    if (runner && runner.kind !== 'native') meta.runner = 'pytest (standing in for the unittest runner)';
    const selectIds = sel.kind === 'tests' ? sel.tests : null;
    const runSpec = runner ? runner.spec : spec;
    const b = budget(ctx, selectIds, supportsPlugin(runSpec));
    if (b.baselineS !== null) meta.bound = { timeout_s: b.timeoutMs / 1000, baseline_s: Number(b.baselineS.toFixed(3)), per_test: !!b.testTimeouts };
    const run = warmRun ?? (await runTests(sb, runSpec, { select: selectIds, timeoutMs: b.timeoutMs, testTimeouts: b.testTimeouts, extraArgs: supportsPlugin(runSpec) ? CANDIDATE_PYTEST_ARGS : undefined }));
    const logPath = join(ctx.logsDir, `${safeName(cand.id)}${mode === ctx.mode ? '' : `.${mode}`}.txt`);
    await writeFile(logPath, `$ ${run.command}\n# exit code: ${run.exitCode}${run.timedOut ? ' (timed out)' : ''}\n${run.log}`);
    const report = { exit_code: run.exitCode, timed_out: run.timedOut || !!run.testTimeouts?.length, duration_s: run.durationMs / 1000, log_path: logPath, n_tests: Object.keys(run.tests).length };
    if (run.timedOut || run.testTimeouts?.length) return finish('timeout', report, { error: stoppedWhy(ctx, run, b.timeoutMs, b.baselineS, b.testTimeouts) });
    const why = untrustworthyReason(run);
    if (why) return finish('untrustworthy', report, { error: why });

    const toRepo = (ids: string[]): string[] => (runner ? ids.map((id) => runner.toRepo(id)).filter((x): x is string => !!x).sort() : ids);
    const cls0 = runner
      ? classify(runner.tests, run.tests, { ran: selectIds ?? undefined, flaky: runner.flaky, missing: ctx.missing, log: run.log })
      : classify(ctx.baseline.tests, run.tests, { ran: undefined, flaky: ctx.baseline.flaky, missing: ctx.missing, log: run.log });
    const cls = {
      ...cls0,
      FAIL_TO_PASS: toRepo(cls0.FAIL_TO_PASS),
      PASS_TO_PASS: toRepo(cls0.PASS_TO_PASS),
      FAIL_TO_FAIL: toRepo(cls0.FAIL_TO_FAIL),
      PASS_TO_FAIL: toRepo(cls0.PASS_TO_FAIL),
      missing: toRepo(cls0.missing),
      missingCountedFailed: toRepo(cls0.missingCountedFailed),
    };
    let PASS_TO_PASS = cls.PASS_TO_PASS;
    if (selectIds) {
      // Tests not selected did not execute the patched code: they keep their baseline status.
      const chosen = new Set(toRepo([...selectIds]));
      const inferred = Object.entries(ctx.baseline.tests)
        .filter(([id, s]) => s === 'PASSED' && !chosen.has(id))
        .map(([id]) => id);
      meta.p2p_inferred = inferred.length;
      PASS_TO_PASS = [...PASS_TO_PASS, ...inferred].sort();
    }
    if (cls.missing.length) meta.missing = cls.missing;
    if (cls.missingCountedFailed.length) meta.missing_counted_failed = cls.missingCountedFailed;
    meta.flaky_excluded = cls.flakyExcluded;

    let FAIL_TO_PASS = cls.FAIL_TO_PASS;
    // A forked result becomes an instance only once an isolated run of its FAIL_TO_PASS tests agrees.
    if ((ctx.confirm || warmRun) && FAIL_TO_PASS.length > 0) {
      const tc = Date.now();
      // the F2P tests again, through the same runner and ids as the first run
      const ids = runner ? FAIL_TO_PASS.map((id) => runner.toRunner(id)).filter((x): x is string => !!x) : FAIL_TO_PASS;
      const canSelect = runner !== null || supportsPlugin(spec);
      const cb = budget(ctx, canSelect ? ids : null, supportsPlugin(runSpec));
      // only statuses matter here: no tracebacks (rendering hundreds of them can cost more than the tests)
      const extraArgs = supportsPlugin(runSpec) ? ['--tb=no'] : undefined;
      const again = await runTests(sb, runSpec, { select: canSelect ? ids : null, timeoutMs: cb.timeoutMs, testTimeouts: cb.testTimeouts, extraArgs });
      if (again.timedOut || again.testTimeouts?.length) return finish('timeout', report, { error: `the confirmation run of the FAIL_TO_PASS tests: ${stoppedWhy(ctx, again, cb.timeoutMs, cb.baselineS, cb.testTimeouts)}` });
      const missingFailed = new Set(cls0.missingCountedFailed);
      const stillFailing = (repoId: string): boolean => {
        const id = runner ? runner.toRunner(repoId) ?? repoId : repoId;
        const s: TestStatus | undefined = again.tests[id];
        return s === 'FAILED' || s === 'ERROR' || (s === undefined && missingFailed.has(id));
      };
      const unconfirmed = FAIL_TO_PASS.filter((id) => !stillFailing(id));
      if (warmRun) {
        const w = meta.warm as WarmMeta;
        w.confirm = { tests: FAIL_TO_PASS.length, seconds: (Date.now() - tc) / 1000, agreed: unconfirmed.length === 0 };
        if (unconfirmed.length) {
          // forked and isolated disagree: report both, and let an isolated run decide the candidate
          const forked = { status: 'forked', FAIL_TO_PASS, unconfirmed_in_isolation: unconfirmed };
          const again = await validateOne(sb, cand, ctx, mode, true);
          const disagreement = { candidate_id: cand.id, warm: forked, isolated: { status: again.status, FAIL_TO_PASS: again.FAIL_TO_PASS } };
          const warm: WarmMeta = { ...w, path: 'isolated', reason: 'disagreement', detail: `${unconfirmed.length} FAIL_TO_PASS test(s) passed in isolation` };
          return { ...again, duration_s: (Date.now() - t0) / 1000, meta: { ...again.meta, warm, warm_disagreement: disagreement } };
        }
      }
      if (ctx.confirm) {
        FAIL_TO_PASS = FAIL_TO_PASS.filter(stillFailing);
        meta.confirmed = true;
        if (unconfirmed.length) meta.unconfirmed_f2p = unconfirmed;
      }
    }
    const status: ValidationStatus = FAIL_TO_PASS.length === 0 ? 'no_f2p' : PASS_TO_PASS.length === 0 ? 'no_p2p' : 'valid';
    return finish(status, report, { FAIL_TO_PASS, PASS_TO_PASS, FAIL_TO_FAIL: cls.FAIL_TO_FAIL, PASS_TO_FAIL: cls.PASS_TO_FAIL });
  } finally {
    await sb.reset();
  }
}

async function readTestSources(sb: Sandbox, files: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of files) {
    try {
      out.set(f, await sb.readFile(f));
    } catch {
      // a test id whose file cannot be read (e.g. generated): the heuristic skips it
    }
  }
  return out;
}

/**
 * Validate bug candidates against an environment. Returns every result in the output
 * file (including ones from earlier runs) and run statistics (counts per status, seconds
 * per candidate, validations per minute, verify-sample agreement).
 */
export async function validateCandidates(
  env: ValidatorEnvironment,
  candidates: BugCandidate[],
  opts: ValidateOptions,
): Promise<{ results: ValidationResult[]; stats: Record<string, unknown> }> {
  let mode: TestSelection = opts.tests ?? 'full';
  let execution: ExecutionRunner = opts.runner ?? 'isolated';
  if (execution === 'warm' && mode !== 'coverage') {
    opts.log?.(`--runner warm needs --tests coverage (its per-test map decides what may be swapped); --tests ${mode} runs isolated`);
    execution = 'isolated';
  }
  const workers = Math.max(1, opts.workers ?? 1);
  const timeoutMs = Math.round((opts.timeoutS ?? 90) * 1000);
  const paths = validationPaths(opts.out);
  const basePaths = opts.baselineOf ? validationPaths(opts.baselineOf) : paths;
  await mkdir(paths.logs, { recursive: true });
  if (mode !== 'full' && !supportsPlugin(env.spec) && !isUnittestSuite(env.spec)) {
    opts.log?.(`--tests ${mode} needs a pytest environment; ${env.spec.id} uses ${env.spec.test_framework}: running the full suite`);
    mode = 'full';
  }
  const bounds: RunBounds | null = opts.bounds === false ? null : { ...DEFAULT_BOUNDS, ...(opts.bounds ?? {}) };
  const sandboxes = await env.workers(workers);
  const t0 = Date.now();
  let warm: WarmPool | null = null;
  try {
    const { baseline, coverage, reused } = await ensureBaseline(env, sandboxes, basePaths, { coverage: mode === 'coverage', selection: mode !== 'full', timeoutMs, log: opts.log });
    let runner: SelectionRunner | null = null;
    if (supportsPlugin(env.spec)) runner = nativeRunner(env.spec, baseline.tests, baseline.flaky);
    else if (baseline.runner) runner = pytestRunner(env.spec, baseline.runner, baseline.tests, baseline.flaky);
    else if (mode !== 'full') {
      opts.log?.(`--tests ${mode}: ${baseline.runner_unavailable ?? 'no pytest stand-in for this unittest suite'}; running the full suite`);
      mode = 'full';
      execution = 'isolated';
    }
    let perTest = false;
    if (bounds && runner) {
      perTest = (await sandboxes[0].exec('python -c "import pytest_timeout"', { timeoutMs: 60_000 })).exitCode === 0;
      if (!perTest) opts.log?.('pytest-timeout is not installed in the environment: no per-test timeouts (a hanging test costs its run\'s bound)');
    }
    const testFiles = runner ? [...new Set(Object.keys(runner.tests).map((id) => id.split('::')[0]))] : [];
    if (execution === 'warm' && runner) {
      // one worker per sandbox, each importing and collecting once on a clean working copy
      warm = new WarmPool({
        spec: runner.spec,
        paths: runner.kind === 'native' ? undefined : baseline.runner?.paths,
        warmupTimeoutMs: Math.max(120_000, 10 * ((baseline.overhead_s ?? baseline.full_duration_s) * 1000)),
        log: opts.log,
      });
      await warm.startAll(sandboxes);
    }
    const ctx: Ctx = {
      env,
      baseline,
      runner,
      bounds,
      perTest,
      coverage,
      testSources: mode === 'files' ? await readTestSources(sandboxes[0], testFiles) : new Map(),
      mode,
      timeoutMs,
      missing: opts.missing ?? 'fail',
      confirm: opts.confirm ?? false,
      logsDir: paths.logs,
      warm,
    };
    const baselineS = (Date.now() - t0) / 1000;

    const free = [...sandboxes];
    const withSandbox = async <T>(fn: (sb: Sandbox) => Promise<T>): Promise<T> => {
      const sb = free.pop();
      if (!sb) throw new Error('internal: no free sandbox (more concurrent tasks than workers)');
      try {
        return await fn(sb);
      } finally {
        free.push(sb);
      }
    };
    const writer = await ResumableJsonlWriter.open<ValidationResult>(opts.out, { key: (r) => r.candidate_id, schema: 'ValidationResult' });
    const tValidate = Date.now();
    const shard = opts.shard;
    const unique = [...new Map(candidates.map((c) => [c.id, c])).values()].filter((c) => !shard || shardOf(c.id, shard.count) === shard.index);
    const summary = await runPool(
      unique.map((c) => ({ key: c.id, input: c })),
      {
        concurrency: sandboxes.length,
        worker: (cand) => withSandbox((sb) => validateOne(sb, cand, ctx, mode)),
        out: writer,
        progress: opts.progress === false ? false : { label: `validate (${mode})` },
        onError: (key, error) => {
          const cand = unique.find((c) => c.id === key) as BugCandidate;
          return {
            schema_version: SCHEMA_VERSION,
            candidate_id: key,
            env_id: env.spec.id,
            status: 'error' as const,
            FAIL_TO_PASS: [],
            PASS_TO_PASS: [],
            FAIL_TO_FAIL: [],
            PASS_TO_FAIL: [],
            test_selection: mode,
            report: { exit_code: null, timed_out: false, duration_s: 0, n_tests: 0 },
            error: error.message,
            candidate: cand,
            duration_s: 0,
            meta: { base_commit: env.spec.commit, repo: env.spec.repo },
          };
        },
      },
    );
    const validateS = (Date.now() - tValidate) / 1000;
    await writer.finalize();
    let results = await readJsonlAll<ValidationResult>(opts.out);

    const byStatus: Record<string, number> = {};
    for (const r of results) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    const fresh = summary.results;
    const perCandidate = fresh.length ? fresh.reduce((s, r) => s + r.duration_s, 0) / fresh.length : 0;
    const stats: Record<string, unknown> = {
      env_id: env.spec.id,
      tests: mode,
      workers: sandboxes.length,
      candidates: unique.length,
      validated_now: summary.done,
      skipped_done: summary.skipped,
      failed: summary.failed,
      by_status: byStatus,
      baseline: { reused, seconds: baselineS, tests: Object.keys(baseline.tests).length, flaky: baseline.flaky.length, unstable_ids: baseline.unstable_ids?.length ?? 0, full_duration_s: baseline.full_duration_s },
      seconds_per_candidate: perCandidate,
      bounds: bounds ?? false,
      runner: runner?.kind ?? null,
      execution,
      timed_out_share: timedOutShare(fresh),
      validations_per_minute: validateS > 0 ? (summary.done / validateS) * 60 : 0,
      wall_s: (Date.now() - t0) / 1000,
    };
    if (warm) stats.warm = warmStats(fresh, warm);
    if (opts.verifySample && opts.verifySample > 0 && warm) {
      // forked vs isolated on a sample; a disagreeing candidate keeps its isolated result
      const v = await verifyWarmSample(results, opts.verifySample, opts.seed ?? 0, sandboxes.length, (r) => withSandbox((sb) => validateOne(sb, r.candidate, ctx, ctx.mode, true)));
      stats.verify = v.report;
      if (v.replacements.length) {
        const byId = new Map(v.replacements.map((r) => [r.candidate_id, r]));
        results = results.map((r) => byId.get(r.candidate_id) ?? r);
        await writeJsonlAtomic(opts.out, results);
      }
      await writeFile(paths.verify, JSON.stringify(stats.verify, null, 2));
    } else if (opts.verifySample && opts.verifySample > 0) {
      stats.verify = await verifySample(results, ctx, opts.verifySample, opts.seed ?? 0, sandboxes.length, withSandbox);
      await writeFile(paths.verify, JSON.stringify(stats.verify, null, 2));
    }
    return { results, stats };
  } finally {
    await warm?.close();
    await Promise.all(sandboxes.map((sb) => sb.dispose()));
  }
}

/**
 * Run the full suite on `n` seeded-random candidates that were validated with a
 * selection, and report how often the FAIL_TO_PASS sets are identical.
 */
async function verifySample(
  results: ValidationResult[],
  ctx: Ctx,
  n: number,
  seed: number,
  concurrency: number,
  withSandbox: <T>(fn: (sb: Sandbox) => Promise<T>) => Promise<T>,
): Promise<Record<string, unknown>> {
  const eligible = results.filter((r) => r.test_selection !== 'full' && ['valid', 'no_f2p', 'no_p2p'].includes(r.status));
  const sample = seededShuffle(eligible, seed).slice(0, n);
  const mismatches: { candidate_id: string; only_full: string[]; only_selected: string[] }[] = [];
  let agree = 0;
  let compared = 0;
  let fullSeconds = 0;
  let fullRuns = 0;
  let pairedSelected = 0;
  let pairedFull = 0;
  let pairs = 0;
  const ratios: number[] = [];
  await runPool(
    sample.map((r) => ({ key: r.candidate_id, input: r })),
    {
      concurrency,
      progress: false,
      worker: async (r) => {
        // Time the selected mode again right before the full run, so the two timings of a
        // candidate are taken under the same machine load (paired comparison).
        const again = await withSandbox((sb) => validateOne(sb, r.candidate, ctx, ctx.mode));
        const full = await withSandbox((sb) => validateOne(sb, r.candidate, ctx, 'full'));
        if (full.status !== 'timeout' && again.status !== 'timeout') {
          pairedSelected += again.duration_s;
          pairedFull += full.duration_s;
          pairs++;
          ratios.push(full.duration_s / Math.max(again.duration_s, 0.1));
        }
        if (full.status !== 'timeout') {
          fullSeconds += full.duration_s;
          fullRuns++;
        }
        if (!['valid', 'no_f2p', 'no_p2p'].includes(full.status)) return full;
        compared++;
        const a = new Set(full.FAIL_TO_PASS);
        const b = new Set(r.FAIL_TO_PASS);
        const onlyFull = [...a].filter((x) => !b.has(x));
        const onlySel = [...b].filter((x) => !a.has(x));
        if (onlyFull.length === 0 && onlySel.length === 0) agree++;
        else mismatches.push({ candidate_id: r.candidate_id, only_full: onlyFull, only_selected: onlySel });
        return full;
      },
    },
  );
  const selectedSeconds = sample.reduce((s, r) => s + r.duration_s, 0);
  return {
    sampled: sample.length,
    compared,
    identical_f2p: agree,
    agreement: compared ? agree / compared : null,
    full_seconds_per_candidate: fullRuns ? fullSeconds / fullRuns : null,
    selected_seconds_per_candidate: sample.length ? selectedSeconds / sample.length : null,
    /**
     * Same candidates, selected mode then full back to back (robust to machine-load drift).
     * `speedup`: total full time over total selected time; `median_speedup`: the median
     * candidate's ratio (selected time floored at 0.1 s).
     */
    paired: pairs
      ? {
          candidates: pairs,
          selected_seconds_per_candidate: pairedSelected / pairs,
          full_seconds_per_candidate: pairedFull / pairs,
          speedup: pairedFull / Math.max(pairedSelected, 1e-9),
          median_speedup: median(ratios),
        }
      : null,
    mismatches,
  };
}

/** Share of the candidates' run time spent in candidates that ended `timeout` (0 when none ran). */
export function timedOutShare(results: readonly ValidationResult[]): number {
  const total = results.reduce((s, r) => s + r.duration_s, 0);
  return total > 0 ? results.filter((r) => r.status === 'timeout').reduce((s, r) => s + r.duration_s, 0) / total : 0;
}

function median(xs: number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}
