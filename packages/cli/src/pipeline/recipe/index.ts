/**
 * The stages after the task instances, in order: rollout runs → sft → train → verify. Each runs
 * only when configured, resumes from its marker, and adds its section to the report.
 */
import { isAbsolute, resolve } from 'node:path';
import { sftFigures, trajectoryFigures, type RecipeFigures } from '../../report/sections/index.js';
import type { RecipeContext } from './context.js';
import { readTrajectorySummaries, rolloutStage, type RolloutOutput } from './rollout.js';
import { readSftFolder, sftStage } from './sft.js';
import { trainStage } from './train.js';
import { verifyStage } from './verify.js';

export { recipePaths, type RecipeContext } from './context.js';
export { resolveRecipe, validateRecipe, RECIPE_KEYS, type RecipeConfig, type RolloutRun, type SftStage, type TrainStage, type VerifyStage, type JudgeConfig } from './config.js';
export { runInstances, type RolloutOutput } from './rollout.js';
export { CHECK_NOTES, checkRows, sftProblems } from './sft.js';

/** What the recipe stages produced (paths for callers, figures for the report). */
export interface RecipeResult {
  rollouts: RolloutOutput[];
  sft?: { dir: string; tokenizer: string };
  train?: { dir: string; planFile: string };
  verify?: { dir: string };
  figures: RecipeFigures;
}

/** Run (or resume) every configured recipe stage. */
export async function runRecipe(ctx: RecipeContext): Promise<RecipeResult> {
  const r = ctx.cfg.recipe;
  const figures: RecipeFigures = {};
  const result: RecipeResult = { rollouts: [], figures };
  for (const run of r.rollout?.runs ?? []) result.rollouts.push(await rolloutStage(ctx, run));

  let masked: Record<string, number> | null = null;
  let dataset: string | undefined;
  if (r.sft) {
    const tokenizer = r.sft.tokenizer ?? (r.train ? absolute(String(r.train.plan.model), r.train.baseDir) : undefined);
    const out = await sftStage(ctx, r.sft, tokenizer!, result.rollouts);
    const files = await readSftFolder(out.dir);
    figures.sft = sftFigures(out.dir, files, out.checks);
    masked = files.report.build.maskedTurns;
    result.sft = { dir: out.dir, tokenizer: out.tokenizer };
    dataset = out.dir;
  }
  const withTrajectories = result.rollouts.filter((o) => o.instances.length > 0);
  if (withTrajectories.length) {
    const runs = await Promise.all(withTrajectories.map(async (o) => ({ name: o.run.name, trajectories: await readTrajectorySummaries(o) })));
    figures.trajectories = trajectoryFigures(runs, masked);
  }
  if (r.train) {
    const ds = dataset ?? absolute(String(r.train.plan.dataset), r.train.baseDir);
    const out = await trainStage(ctx, r.train, ds, r.sft?.acceptFailedChecks ?? []);
    figures.train = out.figures;
    result.train = { dir: out.dir, planFile: out.planFile };
  }
  if (r.verify) {
    const run = result.rollouts.find((o) => o.run.name === r.verify!.rollout)!;
    if (!run.instances.length) ctx.runner.skip('verify', `rollout run ${run.run.name} has no instances`);
    else {
      figures.verify = await verifyStage(ctx, r.verify, run);
      result.verify = { dir: figures.verify.dir };
    }
  }
  return result;
}

function absolute(p: string, base: string): string {
  return isAbsolute(p) ? p : resolve(base, p);
}
