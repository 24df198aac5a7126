/**
 * The batch runner: K attempts per instance, N workers, each attempt in a fresh buggy working
 * copy, graded in a clean one, recorded once. The unit of work is the key
 * `<instance_id>#<attempt>`; a key is done when its Trajectory is in the trajectories file, so
 * a run killed at any point and rerun skips finished attempts and loses or duplicates nothing.
 * A shard (`i/n`, e.g. one Slurm array task) runs the keys with `shardOf(key, n) === i` into its
 * own file; the unsharded run and `swe-forge rollout merge` fold shard files in by key.
 */
import { readJsonlAll } from '@swe-forge/core/jsonl';
import { runPool, shardOf, type PoolSummary } from '@swe-forge/core/exec';
import type { TaskInstance, Trajectory } from '@swe-forge/core/schema';
import { toMiniSweAgentTrajectory } from '@swe-forge/core/trajectory';
import type { Sandbox } from '@swe-forge/env-builder';
import type { ValidatorEnvironment } from '@swe-forge/validator';
import { runAgent, type ChatModel, type StepTiming } from '../agent/run.js';
import type { AgentConfig } from '../config/types.js';
import { evaluateAttempt } from '../eval/evaluate.js';
import { AgentSandbox } from '../sandbox/agent-sandbox.js';
import { attemptKey, mergeShardsInto, openTrajectories, outputPaths, writeJsonAtomic, writeRunOutputs, type RolloutSummary } from './outputs.js';
import { RolloutProgress } from './progress.js';

/** Options of {@link runRollouts}. */
export interface RunRolloutsOptions {
  instances: readonly TaskInstance[];
  /** The instances' environment (env-builder's `Environment`): agent and grading sandboxes come from it. */
  env: ValidatorEnvironment;
  lm: ChatModel;
  /** Model name sent and recorded. */
  model: string;
  config: AgentConfig;
  outDir: string;
  /** Attempts per instance (default 1). */
  attempts?: number;
  /** Attempts running at once (default 1). */
  workers?: number;
  /** Run only the keys of this shard, into its own file. */
  shard?: { index: number; count: number };
  /** The shard's trajectories file (default `DIR/trajectories.shard-<i>-of-<n>.jsonl`; a Slurm array task writes its run folder's shard file). */
  shardOut?: string;
  /** Grade each submission with the validator (default true). */
  evaluate?: boolean;
  /** Timeout of one grading test run in seconds (default 90). */
  evalTimeoutS?: number;
  /** Sent as `seed + attempt` with every request of an attempt (default: not sent). */
  seed?: number;
  /** Sampling temperature (default: the config's). */
  temperature?: number;
  /** Draw the progress line (default: on a TTY outside CI). */
  progress?: boolean;
  log?: (line: string) => void;
  /** Timing of every model call (benchmarks). */
  onStep?: (t: StepTiming) => void;
  signal?: AbortSignal;
}

/** What {@link runRollouts} did. */
export interface RunRolloutsResult {
  /** Attempts recorded in this run, already recorded before (skipped), and failed (not recorded: rerun to retry). */
  done: number;
  skipped: number;
  failed: number;
  errors: { key: string; error: string }[];
  /** The trajectories file written (the shard's own file for a shard). */
  trajectoriesPath: string;
  /** Figures over every recorded attempt (null for a shard: merge first). */
  summary: RolloutSummary | null;
  /** Sandbox start times of this run's attempts (ms). */
  sandboxStartMs: number[];
}

/** Run the attempts of every instance (resumable; see the module comment). */
export async function runRollouts(o: RunRolloutsOptions): Promise<RunRolloutsResult> {
  const attempts = Math.max(1, o.attempts ?? 1);
  const workers = Math.max(1, o.workers ?? 1);
  const evaluate = o.evaluate ?? true;
  const byId = new Map(o.instances.map((i) => [i.instance_id, i]));
  if (byId.size !== o.instances.length) throw new Error('runRollouts: instance ids must be unique; the instances file lists one id twice');
  const foreign = o.instances.filter((i) => i.env_id && o.env.spec.id && i.env_id !== o.env.spec.id);
  if (foreign.length) o.log?.(`note: ${foreign.length} instance(s) name another environment id (e.g. ${foreign[0]!.env_id}) than ${o.env.spec.id}; they run here if their bug patch applies`);
  const path = o.shard ? (o.shardOut ?? outputPaths.shard(o.outDir, o.shard)) : outputPaths.trajectories(o.outDir);
  const writer = await openTrajectories(path);
  if (!o.shard) {
    const merged = await mergeShardsInto(o.outDir, writer);
    if (merged) o.log?.(`merged ${merged} attempts from shard files`);
  }
  const tasks = o.instances.flatMap((inst) => Array.from({ length: attempts }, (_, a) => ({ key: attemptKey(inst.instance_id, a), input: { instance: inst, attempt: a } })));
  const todo = tasks.filter((t) => !writer.has(t.key) && (!o.shard || shardOfKey(t.key, o.shard)));
  const progress = new RolloutProgress(todo.length, { enabled: o.progress });

  const freeGraders: Sandbox[] = [];
  const allGraders: Sandbox[] = [];
  const takeGrader = async (): Promise<Sandbox> => {
    const sb = freeGraders.pop();
    if (sb) return sb;
    const fresh = await o.env.sandbox();
    allGraders.push(fresh);
    return fresh;
  };
  const startTimes: number[] = [];

  let pool: PoolSummary<Trajectory>;
  try {
    pool = await runPool(tasks, {
      concurrency: workers,
      out: writer,
      shard: o.shard,
      progress: false,
      signal: o.signal,
      worker: async ({ instance, attempt }) => {
        const sb = await AgentSandbox.open(o.env, instance);
        startTimes.push(sb.startMs);
        try {
          const sampling = { temperature: o.temperature, seed: o.seed === undefined ? undefined : o.seed + attempt };
          const t = await runAgent({ instance, attempt, sandbox: sb, lm: o.lm, model: o.model, config: o.config, sampling, onStep: o.onStep });
          if (evaluate) {
            const grader = await takeGrader();
            try {
              t.eval = await evaluateAttempt({
                sandbox: grader,
                env: o.env,
                instance,
                patch: t.submission,
                model: o.model,
                outDir: outputPaths.eval(o.outDir, instance.instance_id, attempt),
                timeoutMs: Math.round((o.evalTimeoutS ?? 90) * 1000),
                readBuggy: (p) => sb.buggyContent(p),
              });
            } finally {
              freeGraders.push(grader);
            }
          }
          await writeJsonAtomic(outputPaths.traj(o.outDir, instance.instance_id, attempt), toMiniSweAgentTrajectory(t));
          progress.add(t);
          return t;
        } finally {
          await sb.dispose();
        }
      },
    });
    await writer.finalize();
  } finally {
    progress.done();
    await writer.close().catch(() => {});
    await Promise.all(allGraders.map((g) => g.dispose()));
  }
  let summary: RolloutSummary | null = null;
  if (!o.shard) summary = await writeRunOutputs(o.outDir, await readJsonlAll<Trajectory>(path, { schema: 'Trajectory' }));
  return { done: pool.done, skipped: pool.skipped, failed: pool.failed, errors: pool.errors, trajectoriesPath: path, summary, sandboxStartMs: startTimes };
}

/** Fold every shard file of `dir` into its trajectories file and write preds.json and summary.json. */
export async function mergeRollouts(dir: string): Promise<{ added: number; summary: RolloutSummary }> {
  const path = outputPaths.trajectories(dir);
  const writer = await openTrajectories(path);
  let added = 0;
  try {
    added = await mergeShardsInto(dir, writer);
    await writer.finalize();
  } finally {
    await writer.close().catch(() => {});
  }
  const all = await readJsonlAll<Trajectory>(path, { schema: 'Trajectory' });
  return { added, summary: await writeRunOutputs(dir, all) };
}

/** Whether `key` belongs to `shard` (core's stable `shardOf`, as the pool uses). */
function shardOfKey(key: string, shard: { index: number; count: number }): boolean {
  return shardOf(key, shard.count) === shard.index;
}
