/**
 * The `rollout:<run>` stages: a teacher (a model server, or rollout's scripted teacher) works
 * on a slice of the dataset's instances in sandboxes, K attempts each, graded by the validator
 * (@swe-forge/rollout's `runRollouts`, resumable by `<instance_id>#<attempt>`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonl, writeJsonlAtomic } from '@swe-forge/core/jsonl';
import type { HistoryConfig, TaskInstance, Trajectory } from '@swe-forge/core/schema';
import type * as Rollout from '@swe-forge/rollout';
import { loadStage } from '../../groups.js';
import type { TrajectoryLike } from '../../report/sections/index.js';
import type { RolloutRun } from './config.js';
import { recipePaths, type RecipeContext } from './context.js';
import { runCliStageOnSlurm } from '../executor.js';
import type { StageOutcome } from '../runner.js';

/** What a rollout run left: its folder, its trajectories file and the instances it worked on. */
export interface RolloutOutput {
  run: RolloutRun;
  dir: string;
  trajectories: string;
  instances: TaskInstance[];
}

type RolloutModule = typeof Rollout;

const loadRollout = (): Promise<RolloutModule> => loadStage<RolloutModule>('rollout', '@swe-forge/rollout', ['runRollouts', 'resolveLm', 'loadAgentConfig', 'withOverrides', 'parseLmSpec', 'mergeRollouts', 'trajectoryKey']);

/** The instances of a run: `limit` instances after skipping `offset`. */
export function runInstances(all: readonly TaskInstance[], run: Pick<RolloutRun, 'offset' | 'limit'>): TaskInstance[] {
  return all.slice(run.offset, run.limit === undefined ? undefined : run.offset + run.limit);
}

function history(run: RolloutRun, base: HistoryConfig): HistoryConfig {
  const h: HistoryConfig = structuredClone(base);
  const placeholder = 'Old environment output: ({lines} lines omitted)';
  if (run.historyLast !== undefined) h.processor = { type: 'last_n_observations', n: run.historyLast, placeholder };
  if (run.maxPromptTokens !== undefined) h.condenser = { type: 'mask_oldest_observations', max_prompt_tokens: run.maxPromptTokens, target_ratio: 0.75, placeholder };
  return h;
}

/** A run's settings as recorded in its stage inputs (no credentials: only the variable's name is in the config anyway). */
function recorded(run: RolloutRun): Record<string, unknown> {
  return { ...run };
}

/** Run (or resume) one rollout run. */
export async function rolloutStage(ctx: RecipeContext, run: RolloutRun): Promise<RolloutOutput> {
  const dir = recipePaths(ctx.cfg.out).rollout(run.name);
  const instances = runInstances(ctx.instances, run);
  const out: RolloutOutput = { run, dir, trajectories: join(dir, 'trajectories.jsonl'), instances };
  const name = `rollout:${run.name}`;
  if (!instances.length) {
    ctx.runner.skip(name, `no instances after offset ${run.offset} (the dataset has ${ctx.instances.length})`);
    return out;
  }
  return ctx.runner.stage<RolloutOutput>(
    name,
    async () => {
      const mod = await loadRollout();
      const policy = mod.parseLmSpec(run.lm);
      if (policy) ctx.log(`${name}: scripted teacher (${run.lm}), a policy that acts out each instance's known fix, not a model; set rollout.lm to a server URL and rollout.model to record a real teacher`);
      const model = run.model ?? `scripted:${policy}`;
      let config = await mod.loadAgentConfig({ path: run.config, mode: run.mode, toolFormat: run.toolFormat });
      config = mod.withOverrides(config, { stepLimit: run.stepLimit, costLimit: run.costLimit, wallTimeLimitS: run.wallTimeLimitS, commandTimeoutS: run.commandTimeoutS });
      config.rollout.history = history(run, config.rollout.history);
      if (run.executor?.type === 'slurm') return onSlurm(ctx, run, mod, model, instances, dir, name, out);
      const prices = run.price ? { [model]: { prompt_per_mtok: run.price.prompt, completion_per_mtok: run.price.completion } } : undefined;
      const lm = await mod.resolveLm(run.lm, {
        model,
        instances,
        seed: run.seed,
        wrongRate: run.wrongRate,
        apiKeyEnv: run.apiKeyEnv,
        maxRetries: run.maxRetries,
        concurrency: run.workers,
        cache: run.cacheDir ? { dir: run.cacheDir, mode: 'auto' } : undefined,
        prices,
        log: (l: string) => ctx.log(`${name}: ${l}`),
      });
      try {
        const env = await ctx.openEnv(run.backend);
        const r = await mod.runRollouts({
          instances,
          env: env as unknown as Parameters<RolloutModule['runRollouts']>[0]['env'],
          lm: lm.client,
          model,
          config,
          outDir: dir,
          attempts: run.attempts,
          workers: run.workers,
          evaluate: run.evaluate,
          evalTimeoutS: run.evalTimeoutS,
          seed: run.seed,
          temperature: run.temperature,
          progress: ctx.progress,
          log: (l: string) => ctx.log(`${name}: ${l}`),
        });
        if (r.failed > 0) throw new Error(`${name}: ${r.failed} attempt(s) failed and were not recorded (first: ${r.errors[0]!.key}: ${r.errors[0]!.error}); rerun the pipeline to retry them`);
        const s = r.summary!;
        return { value: out, records: s.attempts, stats: { done: r.done, skipped: r.skipped, teacher_answers: lm.teacher?.answered ?? null, summary: s } };
      } finally {
        await lm.close();
      }
    },
    async () => out,
    { inputs: { run: recorded(run), instances: instances.map((i) => i.instance_id) } },
  );
}

/**
 * What the report needs of a run's trajectories ([] when it recorded none), streamed and
 * slimmed (steps reduced to their error flags), so a large run is not held in memory whole.
 */
export async function readTrajectorySummaries(o: RolloutOutput): Promise<TrajectoryLike[]> {
  if (!existsSync(o.trajectories)) return [];
  const out: TrajectoryLike[] = [];
  for await (const t of readJsonl<Trajectory>(o.trajectories)) {
    out.push({
      instance_id: t.instance_id,
      attempt: t.attempt,
      model: t.model,
      exit_status: t.exit_status,
      stats: { steps: t.stats.steps, tokens: t.stats.tokens, cost: t.stats.cost },
      eval: t.eval ? { resolved: t.eval.resolved, semi_resolved: t.eval.semi_resolved } : null,
      steps: t.steps.map((s) => ({ format_error: s.format_error, tool_error: s.tool_error, timed_out: s.timed_out, exit_code: s.exit_code })),
    });
  }
  return out;
}

/** The `swe-forge rollout run` flags of a run's settings (what an array task runs with). */
function runFlags(run: RolloutRun, model: string): string[] {
  const f: string[] = ['--lm', run.lm, '--model', model, '--attempts', String(run.attempts), '--workers', String(run.workers)];
  const opt = (flag: string, v: string | number | undefined): void => {
    if (v !== undefined) f.push(flag, String(v));
  };
  opt('--config', run.config);
  opt('--mode', run.mode);
  opt('--tool-format', run.toolFormat);
  opt('--seed', run.seed);
  opt('--temperature', run.temperature);
  opt('--step-limit', run.stepLimit);
  opt('--cost-limit', run.costLimit);
  opt('--wall-time-limit', run.wallTimeLimitS);
  opt('--timeout', run.commandTimeoutS);
  opt('--eval-timeout', run.evalTimeoutS);
  opt('--history-last', run.historyLast);
  opt('--max-prompt-tokens', run.maxPromptTokens);
  opt('--api-key-env', run.apiKeyEnv);
  opt('--max-retries', run.maxRetries);
  opt('--prompt-price', run.price?.prompt);
  opt('--completion-price', run.price?.completion);
  opt('--cache', run.cacheDir);
  opt('--wrong-rate', run.wrongRate);
  opt('--backend', run.backend);
  if (!run.evaluate) f.push('--no-eval');
  return f;
}

/** A run as a Slurm job array: `swe-forge rollout run --shard` per array task, merged by attempt key. */
async function onSlurm(ctx: RecipeContext, run: RolloutRun, mod: RolloutModule, model: string, instances: TaskInstance[], dir: string, name: string, out: RolloutOutput): Promise<StageOutcome<RolloutOutput>> {
  if (run.executor?.type !== 'slurm') throw new Error('internal: onSlurm without a Slurm executor');
  const file = join(dir, 'instances.jsonl');
  await writeJsonlAtomic(file, instances, { schema: 'TaskInstance' });
  const trajectories = join(dir, 'trajectories.jsonl');
  const r = await runCliStageOnSlurm<Trajectory>({
    argv: ['rollout', 'run', '--instances', file, '--env', ctx.envDir, '--out', dir, ...runFlags(run, model)],
    outFlag: '--shard-out',
    out: trajectories,
    settings: run.executor.slurm,
    defaultRunDir: join(dir, 'slurm'),
    jobName: `swe-forge-rollout-${run.name}`,
    key: mod.trajectoryKey,
    schema: 'Trajectory',
    requirePaths: [
      { path: file, what: 'instances file' },
      { path: ctx.envDir, what: 'environment' },
      ...(run.config ? [{ path: run.config, what: 'agent config' }] : []),
    ],
    requireUrls: mod.parseLmSpec(run.lm) ? [] : [{ url: run.lm, what: 'LM endpoint' }],
    log: (l) => ctx.log(`${name}: ${l}`),
  });
  const { summary } = await mod.mergeRollouts(dir);
  return { value: out, records: summary.attempts, stats: { executor: 'slurm', shards: r.shards, submitted: r.submitted, run_dir: r.runDir, summary } };
}
