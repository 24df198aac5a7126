/**
 * The `verify` stage: best of K attempts of one rollout run (@swe-forge/verifier's
 * `selectBest`): the execution verifier runs each distinct patch through the validator, the
 * generative one asks a judge model (logprobs), majority vote and random are always reported;
 * `summary.json` (pass@k, best@k), `selections.jsonl`, `candidates.jsonl` and `report.html`
 * land in `<out>/verify`. Its caches make a rerun run and send nothing twice.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LmClient } from '@swe-forge/core/lm';
import type * as Verifier from '@swe-forge/verifier';
import type { VerifyFigures } from '../../report/sections/index.js';
import { loadStage } from '../../groups.js';
import type { VerifyStage } from './config.js';
import { fileStamps, recipePaths, type RecipeContext } from './context.js';
import type { RolloutOutput } from './rollout.js';

type VerifierModule = typeof Verifier;

const loadVerifier = (): Promise<VerifierModule> => loadStage<VerifierModule>('verify', '@swe-forge/verifier', ['selectBest', 'GenerativeVerifier', 'loadTemplate', 'verifierReportSection']);

/** The report figures of a selection summary. */
export function verifyFigures(mod: Pick<VerifierModule, 'verifierReportSection'>, run: string, dir: string, s: Verifier.VerifierSummary): VerifyFigures {
  return { run, dir, instances: s.instances, attempts: s.attempts, ks: s.ks, pass_at_k: s.pass_at_k, best_at_k: s.best_at_k, html: mod.verifierReportSection(s) };
}

/** Run (or resume) the verify stage on a rollout run's attempts. */
export async function verifyStage(ctx: RecipeContext, v: VerifyStage, run: RolloutOutput): Promise<VerifyFigures> {
  const dir = recipePaths(ctx.cfg.out).verify;
  const summaryFile = join(dir, 'summary.json');
  const judge = v.lm && { ...v.lm, apiKeyEnv: undefined };
  return ctx.runner.stage<VerifyFigures>(
    'verify',
    async () => {
      const mod = await loadVerifier();
      const wantsExec = v.verifiers.includes('execution') || v.verifiers.includes('hybrid');
      const env = wantsExec ? await ctx.openEnv(v.backend) : undefined;
      const generative = v.lm
        ? new mod.GenerativeVerifier({
            lm: new LmClient({ baseURL: v.lm.url, model: v.lm.model, apiKeyEnv: v.lm.apiKeyEnv, concurrency: v.lm.concurrency, ...(v.lm.cacheDir ? { cache: { dir: v.lm.cacheDir, mode: 'auto' as const } } : {}) }),
            model: v.lm.model,
            template: mod.loadTemplate(v.lm.template),
            budget: v.lm.maxPromptTokens ? { max_prompt_tokens: v.lm.maxPromptTokens } : undefined,
            topLogprobs: v.lm.topLogprobs,
            concurrency: v.lm.concurrency,
            cachePath: join(dir, 'cache', 'generative.jsonl'),
            progress: ctx.progress,
          })
        : undefined;
      const { summary } = await mod.selectBest({
        trajectories: run.trajectories,
        instances: run.instances,
        ks: v.ks,
        verifiers: v.verifiers,
        outDir: dir,
        env: env as unknown as Verifier.SelectOptions['env'],
        generative,
        execution: { tests: v.execTests, workers: v.workers, timeoutS: v.timeoutS },
        progress: ctx.progress,
        log: (l: string) => ctx.log(`verify: ${l}`),
      });
      const k = summary.ks[summary.ks.length - 1]!;
      ctx.log(`verify: pass@1 ${(100 * (summary.pass_at_k['1'] ?? 0)).toFixed(1)}%, pass@${k} ${(100 * summary.pass_at_k[k]!).toFixed(1)}%; ${Object.entries(summary.best_at_k).map(([name, byK]) => `best@${k} ${name} ${(100 * byK[k]!).toFixed(1)}%`).join(', ')}`);
      return { value: verifyFigures(mod, run.run.name, dir, summary), records: summary.instances, stats: { pass_at_k: summary.pass_at_k, best_at_k: summary.best_at_k } };
    },
    async () => verifyFigures(await loadVerifier(), run.run.name, dir, JSON.parse(await readFile(summaryFile, 'utf8')) as Verifier.VerifierSummary),
    { inputs: { verify: { ...v, lm: judge }, run: run.run.name, trajectories: fileStamps([run.trajectories]) } },
  );
}
