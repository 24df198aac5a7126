import { existsSync, statSync } from 'node:fs';
import { cp, mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '@swe-forge/core/proc';
import type { PipelineConfig } from './pipeline/config.js';
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
}

/** What {@link runDemo} returns: the pipeline result plus modifier-family coverage. */
export interface DemoResult extends PipelineResult {
  /** Procedural modifier families with at least one valid instance. */
  families: string[];
  /** Families of procedural-bugs' MODIFIERS without any valid instance. */
  familiesMissing: string[];
  /** Valid instances from combine_file / combine_module. */
  combined: number;
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
export function demoConfig(repo: string, out: string, o: DemoOptions): PipelineConfig {
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
  if (o.fresh) await rm(join(out, 'work'), { recursive: true, force: true });
  const repo = join(out, 'work', 'minibank');
  if (!existsSync(join(repo, '.git'))) await prepareRepoCopy(source, repo);
  const cfg = demoConfig(repo, out, o);
  const result = await runPipeline(cfg, { progress: o.progress, log: o.log, title: 'swe-forge demo: minibank' });
  const { MODIFIERS } = await loadProceduralBugs();
  const familyOf = new Map((MODIFIERS ?? []).map((m) => [m.name, m.family]));
  const families = new Set<string>();
  let combined = 0;
  for (const i of result.data.instances) {
    if (i.strategy.startsWith('procedural/')) families.add(familyOf.get(i.strategy.slice('procedural/'.length)) ?? 'unknown');
    if (i.strategy.startsWith('combine_')) combined++;
  }
  const allFamilies = [...new Set((MODIFIERS ?? []).map((m) => m.family))].sort();
  return { ...result, families: [...families].sort(), familiesMissing: allFamilies.filter((f) => !families.has(f)), combined };
}
