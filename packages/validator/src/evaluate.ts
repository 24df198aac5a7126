/**
 * evaluatePredictions: grade model patches on task instances, SWE-bench style.
 *
 * For each prediction: reset a working copy, apply the bug (`instance.patch`) to get the
 * buggy tree, apply the model patch, then restore every test file the model patch touched
 * to its buggy-tree version (files of FAIL_TO_PASS / PASS_TO_PASS tests, any
 * `test_*.py`, `*_test.py`, `conftest.py`, files under a `tests/` or `test/` folder, and
 * pytest configuration: `pytest.ini`, `tox.ini`, `setup.cfg`, `pyproject.toml`; a file the
 * patch created there is deleted), run FAIL_TO_PASS + PASS_TO_PASS and grade with
 * {@link resolutionStatus}.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyPatch, parsePatch } from '@swe-forge/core/diff';
import { runPool, shardOf } from '@swe-forge/core/exec';
import { readJsonlAll, ResumableJsonlWriter } from '@swe-forge/core/jsonl';
import type { TaskInstance } from '@swe-forge/core/schema';
import type { Sandbox } from '@swe-forge/env-builder';
import { testFile } from './compare.js';
import { resolutionStatus, testsStatus, type ResolutionStatus, type TestsStatus } from './grading.js';
import { runTests, supportsPlugin } from './run.js';
import type { ValidatorEnvironment } from './types.js';

/** A model's patch for one instance. */
export interface Prediction {
  instance_id: string;
  model_patch: string;
  model_name_or_path?: string;
}

/** The evaluation of one prediction. */
export interface EvalResult {
  instance_id: string;
  status: ResolutionStatus;
  resolved: boolean;
  patch_is_None: boolean;
  patch_exists: boolean;
  patch_successfully_applied: boolean;
  /** Test files the model patch touched that were restored to the buggy-tree version. */
  restored_files: string[];
  tests_status: TestsStatus;
  exit_code: number | null;
  timed_out: boolean;
  duration_s: number;
  error?: string;
}

/** Options of {@link evaluatePredictions}. */
export interface EvaluateOptions {
  /** Writes `<outDir>/<instance_id>/{report.json,test_output.txt,model.patch}`, `results.jsonl`, `summary.json`. */
  outDir: string;
  workers?: number;
  /** Per-instance timeout in seconds (default 90). */
  timeoutS?: number;
  progress?: boolean;
  /** Evaluate only the predictions of one shard (`shardOf(instance_id, count) === index`): one Slurm array task. */
  shard?: { index: number; count: number };
  /** Where the keyed results go (default `<outDir>/results.jsonl`; an array task writes its shard file). */
  resultsPath?: string;
}

const CONFIG_FILES = /(^|\/)(pytest\.ini|tox\.ini|setup\.cfg|pyproject\.toml)$/;
const TEST_PATH = /(^|\/)(test_[^/]*\.py|[^/]*_test\.py|conftest\.py)$|(^|\/)tests?\//;

/** Files of a model patch that must keep their buggy-tree version. */
export function protectedPaths(modelPatch: string, instance: Pick<TaskInstance, 'FAIL_TO_PASS' | 'PASS_TO_PASS'>): string[] {
  const testFiles = new Set([...instance.FAIL_TO_PASS, ...instance.PASS_TO_PASS].map(testFile));
  const out = new Set<string>();
  for (const fp of parsePatch(modelPatch)) {
    for (const p of [fp.oldPath, fp.newPath]) {
      if (p && (testFiles.has(p) || TEST_PATH.test(p) || CONFIG_FILES.test(p))) out.add(p);
    }
  }
  return [...out].sort();
}

async function snapshot(sb: Sandbox, paths: string[]): Promise<Map<string, string | null>> {
  const m = new Map<string, string | null>();
  for (const p of paths) {
    try {
      m.set(p, await sb.readFile(p));
    } catch {
      m.set(p, null);
    }
  }
  return m;
}

async function restore(sb: Sandbox, saved: Map<string, string | null>): Promise<void> {
  for (const [p, text] of saved) {
    if (text === null) await sb.exec(`rm -f -- '${p.replace(/'/g, `'\\''`)}'`);
    else await sb.writeFile(p, text);
  }
}

const emptyStatus = (inst: TaskInstance): TestsStatus => ({
  FAIL_TO_PASS: { success: [], failure: [...inst.FAIL_TO_PASS] },
  PASS_TO_PASS: { success: [], failure: [...inst.PASS_TO_PASS] },
});

/** Options of {@link evaluatePrediction}. */
export interface EvaluateOneOptions {
  /** Writes `<outDir>/{report.json,test_output.txt,model.patch}` (the folder is used as given). */
  outDir: string;
  /** Timeout of the test run in milliseconds (default 90 000). */
  timeoutMs?: number;
}

/**
 * Evaluate one prediction in a given sandbox (reset before and after): the building block of
 * {@link evaluatePredictions}, for callers that grade several patches of one instance (rollout's
 * attempts, the verifier's candidates) and key results themselves.
 */
export async function evaluatePrediction(sb: Sandbox, env: ValidatorEnvironment, inst: TaskInstance, pred: Prediction, opts: EvaluateOneOptions): Promise<EvalResult> {
  return evaluateIn(sb, env, inst, pred, opts.outDir, opts.timeoutMs ?? 90_000);
}

async function evaluateOne(sb: Sandbox, env: ValidatorEnvironment, inst: TaskInstance, pred: Prediction, outDir: string, timeoutMs: number): Promise<EvalResult> {
  return evaluateIn(sb, env, inst, pred, join(outDir, inst.instance_id.replace(/[^A-Za-z0-9._-]+/g, '_')), timeoutMs);
}

async function evaluateIn(sb: Sandbox, env: ValidatorEnvironment, inst: TaskInstance, pred: Prediction, dir: string, timeoutMs: number): Promise<EvalResult> {
  const t0 = Date.now();
  await mkdir(dir, { recursive: true });
  const patch = pred.model_patch ?? '';
  await writeFile(join(dir, 'model.patch'), patch);
  const result: EvalResult = {
    instance_id: inst.instance_id,
    status: 'RESOLVED_NO',
    resolved: false,
    patch_is_None: pred.model_patch == null,
    patch_exists: patch.trim() !== '',
    patch_successfully_applied: false,
    restored_files: [],
    tests_status: emptyStatus(inst),
    exit_code: null,
    timed_out: false,
    duration_s: 0,
  };
  const done = async (): Promise<EvalResult> => {
    result.duration_s = (Date.now() - t0) / 1000;
    await writeFile(join(dir, 'report.json'), `${JSON.stringify({ [inst.instance_id]: result }, null, 2)}\n`);
    return result;
  };
  await sb.reset();
  try {
    try {
      await applyPatch(sb.root, inst.patch);
    } catch (e) {
      result.error = `the instance's bug patch does not apply to the environment's tree: ${(e as Error).message}`;
      return await done();
    }
    if (result.patch_exists) {
      let saved: Map<string, string | null>;
      try {
        const guarded = protectedPaths(patch, inst);
        saved = await snapshot(sb, guarded);
        await applyPatch(sb.root, patch);
      } catch (e) {
        result.error = `model patch does not apply: ${(e as Error).message}`;
        return await done();
      }
      await restore(sb, saved);
      result.restored_files = [...saved.keys()];
    }
    result.patch_successfully_applied = true;
    const ids = [...new Set([...inst.FAIL_TO_PASS, ...inst.PASS_TO_PASS])];
    const run = await runTests(sb, env.spec, { select: supportsPlugin(env.spec) ? ids : null, timeoutMs });
    await writeFile(join(dir, 'test_output.txt'), `$ ${run.command}\n# exit code: ${run.exitCode}${run.timedOut ? ' (timed out)' : ''}\n${run.log}`);
    result.exit_code = run.exitCode;
    result.timed_out = run.timedOut;
    if (run.timedOut) {
      result.error = `the test run exceeded ${timeoutMs / 1000} s and was killed`;
      return await done();
    }
    result.tests_status = testsStatus(run.tests, inst);
    result.status = resolutionStatus(result.tests_status);
    result.resolved = result.status === 'RESOLVED_FULL';
    return await done();
  } finally {
    await sb.reset();
  }
}

/** Read predictions: SWE-bench `preds.json` (a dict keyed by instance id, or a list) or JSONL of `{instance_id, model_patch}`. */
export async function loadPredictions(path: string): Promise<Prediction[]> {
  const text = await readFile(path, 'utf8');
  const trimmed = text.trim();
  let records: unknown[];
  if (trimmed.startsWith('[')) records = JSON.parse(trimmed) as unknown[];
  else if (trimmed.startsWith('{') && !trimmed.includes('\n{')) {
    const obj = JSON.parse(trimmed) as Record<string, unknown>;
    records = 'instance_id' in obj ? [obj] : Object.entries(obj).map(([k, v]) => ({ instance_id: k, ...(typeof v === 'string' ? { model_patch: v } : (v as object)) }));
  } else records = await readJsonlAll(path);
  return records.map((r, i) => {
    const p = r as Partial<Prediction>;
    if (!p || typeof p.instance_id !== 'string') throw new Error(`prediction ${i} in ${path} has no instance_id; expected {instance_id, model_patch}`);
    return { instance_id: p.instance_id, model_patch: typeof p.model_patch === 'string' ? p.model_patch : '', model_name_or_path: p.model_name_or_path };
  });
}

/**
 * Evaluate predictions on task instances. Writes per-instance reports, `results.jsonl`
 * (resumable by instance id) and `summary.json`; returns the summary.
 */
export async function evaluatePredictions(
  env: ValidatorEnvironment,
  instances: TaskInstance[],
  predictions: Prediction[],
  opts: EvaluateOptions,
): Promise<{ summary: Record<string, unknown>; results: EvalResult[] }> {
  await mkdir(opts.outDir, { recursive: true });
  const byId = new Map(instances.map((i) => [i.instance_id, i]));
  const unknown = predictions.filter((p) => !byId.has(p.instance_id)).map((p) => p.instance_id);
  const shard = opts.shard;
  const preds = [...new Map(predictions.filter((p) => byId.has(p.instance_id)).map((p) => [p.instance_id, p])).values()].filter((p) => !shard || shardOf(p.instance_id, shard.count) === shard.index);
  const timeoutMs = Math.round((opts.timeoutS ?? 90) * 1000);
  const sandboxes = await env.workers(Math.max(1, Math.min(opts.workers ?? 1, preds.length || 1)));
  const free = [...sandboxes];
  const resultsPath = opts.resultsPath ?? join(opts.outDir, 'results.jsonl');
  try {
    const writer = await ResumableJsonlWriter.open<EvalResult>(resultsPath, { key: (r) => r.instance_id });
    await runPool(
      preds.map((p) => ({ key: p.instance_id, input: p })),
      {
        concurrency: sandboxes.length,
        out: writer,
        progress: opts.progress === false ? false : { label: 'eval' },
        worker: async (pred) => {
          const sb = free.pop() as Sandbox;
          try {
            return await evaluateOne(sb, env, byId.get(pred.instance_id) as TaskInstance, pred, opts.outDir, timeoutMs);
          } finally {
            free.push(sb);
          }
        },
      },
    );
    await writer.finalize();
  } finally {
    await Promise.all(sandboxes.map((sb) => sb.dispose()));
  }
  const wanted = new Set(preds.map((p) => p.instance_id));
  const results = (await readJsonlAll<EvalResult>(resultsPath)).filter((r) => wanted.has(r.instance_id));
  const count = (s: ResolutionStatus): number => results.filter((r) => r.status === s).length;
  const summary: Record<string, unknown> = {
    total_instances: instances.length,
    submitted_instances: preds.length,
    completed_instances: results.filter((r) => r.patch_successfully_applied && !r.timed_out).length,
    resolved_instances: count('RESOLVED_FULL'),
    partial_instances: count('RESOLVED_PARTIAL'),
    unresolved_instances: count('RESOLVED_NO'),
    empty_patch_instances: results.filter((r) => !r.patch_exists).length,
    apply_failed_instances: results.filter((r) => !r.patch_successfully_applied).length,
    timed_out_instances: results.filter((r) => r.timed_out).length,
    resolved_rate: preds.length ? count('RESOLVED_FULL') / preds.length : 0,
    resolved_ids: results.filter((r) => r.status === 'RESOLVED_FULL').map((r) => r.instance_id).sort(),
    partial_ids: results.filter((r) => r.status === 'RESOLVED_PARTIAL').map((r) => r.instance_id).sort(),
    unresolved_ids: results.filter((r) => r.status === 'RESOLVED_NO').map((r) => r.instance_id).sort(),
    unknown_prediction_ids: unknown,
  };
  // a shard's summary is partial: the submitting side writes the whole run's after merging the shards
  if (!opts.shard) await writeFile(join(opts.outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return { summary, results };
}
