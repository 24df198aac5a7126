/**
 * The `train` stage: the training plan on the sft stage's dataset (@swe-forge/trainer-launcher).
 * It writes `<out>/train/plan.yaml`, renders every trainer's config (`train plan`), runs the
 * preflight (`train check`) into `preflight.json`, and renders the launch with `--dry-run`
 * (script and command, nothing started) into `launch.json` and `dry-run/`. A failed preflight
 * check stops the pipeline as it would stop `train launch`, unless its id is accepted
 * (`train.accept_failed_checks`, plus `sft.<id>` for each check sft accepts).
 * `summary.json` holds the report's figures.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import type * as Trainer from '@swe-forge/trainer-launcher';
import type { TrainFigures } from '../../report/sections/index.js';
import { loadStage } from '../../groups.js';
import { writeJsonAtomic } from '../runner.js';
import { trainOutputDir, type TrainStage } from './config.js';
import { recipePaths, type RecipeContext } from './context.js';

type TrainerModule = typeof Trainer;

/** What the train stage left. */
export interface TrainOutput {
  dir: string;
  planFile: string;
  figures: TrainFigures;
}

/** Run (or resume) the train stage on a dataset folder; `acceptedSft` are the sft checks the config accepts. */
export async function trainStage(ctx: RecipeContext, train: TrainStage, dataset: string, acceptedSft: readonly string[]): Promise<TrainOutput> {
  const dir = recipePaths(ctx.cfg.out).train;
  const planFile = join(dir, 'plan.yaml');
  const summaryFile = join(dir, 'summary.json');
  const datasetManifest = join(dataset, 'dataset.json');
  return ctx.runner.stage<TrainOutput>(
    'train',
    async () => {
      const mod = await loadStage<TrainerModule>('train', '@swe-forge/trainer-launcher', ['parsePlan', 'renderPlan', 'renderContext', 'writeRendered', 'checkRenderedFields', 'runPreflight', 'launchPlan', 'REAL_TRAINERS', 'paramCount']);
      const plan = mod.parsePlan({ output_dir: trainOutputDir(ctx.cfg.out), ...train.plan, dataset }, train.baseDir, planFile);
      await mkdir(dir, { recursive: true });
      const { file: _file, ...planFields } = plan;
      await writeFile(planFile, `# written by swe-forge pipeline: launch with \`swe-forge train launch ${planFile} --${train.launch === 'local' ? 'local' : 'slurm'}\`\n${stringifyYaml(planFields)}`);

      // `train plan`: every trainer's configs, checked against its field list
      const rctx = mod.renderContext(plan);
      const configs: TrainFigures['configs'] = [];
      for (const t of [...new Set<Trainer.Trainer>([...mod.REAL_TRAINERS, plan.trainer])]) {
        try {
          const run = mod.renderPlan(plan, t, rctx);
          const problems = mod.checkRenderedFields(run).flatMap((f) => f.problems.map((p) => `${f.file}: ${p.message}`));
          configs.push({ trainer: t, ok: problems.length === 0, files: await mod.writeRendered(run), notes: [...run.notes, ...problems] });
        } catch (e) {
          configs.push({ trainer: t, ok: false, files: [], notes: [], error: (e as Error).message });
        }
      }

      // `train check`
      const pre = await mod.runPreflight({ plan });
      const accept = new Set([...train.acceptFailedChecks, ...acceptedSft.map((id) => `sft.${id}`)]);
      const checks = pre.results.map((r) => ({ id: r.id, status: r.status, message: r.message, ...(r.fix ? { fix: r.fix } : {}), accepted: r.status === 'fail' && accept.has(r.id) }));
      await writeJsonAtomic(join(dir, 'preflight.json'), { ...pre, accepted: checks.filter((c) => c.accepted).map((c) => c.id) });
      for (const c of checks) if (c.status !== 'pass') ctx.log(`train: ${c.status.toUpperCase()} ${c.id}${c.accepted ? ' (accepted)' : ''}: ${c.message}`);
      const refused = checks.filter((c) => c.status === 'fail' && !c.accepted);
      if (refused.length) throw new Error(`train: the preflight refuses this plan (${refused.map((c) => c.id).join(', ')}): ${refused[0]!.message}${refused[0]!.fix ? `; fix: ${refused[0]!.fix}` : ''} — see ${join(dir, 'preflight.json')}, or accept it with train.accept_failed_checks`);

      // `train launch --dry-run`: the script and the command, nothing started
      let launch: TrainFigures['launch'] = null;
      if (train.launch !== 'none') {
        const res = await mod.launchPlan(plan, { mode: train.launch, dryRun: true });
        const dry = join(dir, 'dry-run');
        await mkdir(dry, { recursive: true });
        await writeFile(join(dry, basename(res.script.path)), res.script.content);
        const cli = `swe-forge train launch ${planFile} --${train.launch}`;
        launch = { mode: train.launch, command: res.command, cli, script: join(dry, basename(res.script.path)), files: res.files.map((f) => f.path) };
        await writeJsonAtomic(join(dir, 'launch.json'), { dry_run: true, ...launch, notes: res.run.notes, contents: Object.fromEntries(res.files.map((f) => [f.path, f.content])) });
        ctx.log(`train: launch rendered, not run: ${cli} (would run: ${res.command.join(' ')})`);
      }

      const fit = pre.results.find((r) => r.id === 'memory.fit');
      const ladder = (fit?.data?.ladder as { step: string; total_gb: number }[] | undefined) ?? undefined;
      const rows = pre.results.find((r) => r.id === 'model.template_rows');
      const figures: TrainFigures = {
        plan_file: planFile,
        name: plan.name,
        trainer: plan.trainer,
        method: plan.method,
        model: plan.model,
        params: pre.arch ? mod.paramCount(pre.arch) : null,
        context_length: plan.context_length,
        hardware: plan.hardware,
        parallel: plan.parallel,
        weights_read: !!rows && rows.status !== 'skip',
        memory: pre.memory ? { total_gb: pre.memory.total_gb, usable_gb: pre.memory.usable_gb, fits: pre.memory.fits, parts: pre.memory.parts, cpu_gb_per_node: pre.memory.cpu_gb_per_node, ...(ladder ? { ladder } : {}) } : null,
        checks,
        configs,
        launch,
      };
      await writeJsonAtomic(summaryFile, figures);
      return { value: { dir, planFile, figures }, records: 1, stats: { trainer: plan.trainer, memory_gb: figures.memory?.total_gb ?? null, preflight: checks.map((c) => `${c.id}:${c.status}${c.accepted ? ':accepted' : ''}`) } };
    },
    async () => ({ dir, planFile, figures: JSON.parse(await readFile(summaryFile, 'utf8')) as TrainFigures }),
    { inputs: { train, dataset, acceptedSft, manifest: existsSync(datasetManifest) ? await readFile(datasetManifest, 'utf8') : null } },
  );
}
