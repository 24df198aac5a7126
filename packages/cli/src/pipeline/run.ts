import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ResumableJsonlWriter, readJsonlAll } from '@swe-forge/core/jsonl';
import { LmClient } from '@swe-forge/core/lm';
import type { BugCandidate, TaskInstance, ValidationResult } from '@swe-forge/core/schema';
import { loadDemonstrations, writeProblemStatements, type WriteStats } from '@swe-forge/issue-writer';
import { buildReportData, type IssueRow, type ReportData, type StageTiming } from '../report/data.js';
import { writeReport } from '../report/render.js';
import type { LmServer, PipelineConfig, PipelineIssueStrategy } from './config.js';
import { toDatasetRow } from './dataset.js';
import { recipePaths, runRecipe, validateRecipe, type RecipeResult } from './recipe/index.js';
import { StageRunner, writeJsonAtomic } from './runner.js';
import { runCliStageOnSlurm } from './executor.js';
import { loadCombine, loadEnvBuilder, loadLmBugs, loadPrMirror, loadProceduralBugs, loadValidator, type BuiltEnvironmentLike, type EnvironmentLike } from './stages.js';

/** Options of {@link runPipeline}. */
export interface PipelineRunOptions {
  /** Delete earlier work in the output folder and start over. */
  fresh?: boolean;
  /** Progress bars on a TTY (default true). */
  progress?: boolean;
  /** Receives one line per stage start/finish. */
  log?: (line: string) => void;
  /** Report title (default: derived from the repository). */
  title?: string;
  /** Stages the caller left out, shown as skipped with the reason. */
  skipped?: { stage: string; reason: string }[];
}

/** What a pipeline run produced. */
export interface PipelineResult {
  out: string;
  dataset: string;
  report: { html: string; md: string };
  instances: number;
  candidates: number;
  stages: StageTiming[];
  data: ReportData;
  /** Paths of the recipe stages' outputs (when any is configured). */
  recipe?: RecipeResult;
  /** Sandbox environments this run opened (0 when every stage resumed: no sandbox ran). */
  sandboxEnvironmentsOpened: number;
}

/** Files of a pipeline run inside its output folder. */
export function pipelinePaths(out: string) {
  const work = join(out, 'work');
  return {
    work,
    stages: join(work, 'stages'),
    config: join(work, 'config.json'),
    env: join(work, 'env.json'),
    candidates: join(work, 'candidates.jsonl'),
    /** Candidates of one non-procedural source (`lm_modify`, `lm_rewrite`, `pr_mirror`). */
    sourceCandidates: (strategy: string) => join(work, `candidates.${strategy}.jsonl`),
    validation: join(work, 'validation.jsonl'),
    instances: join(work, 'instances.jsonl'),
    combineCandidates: join(work, 'combine.candidates.jsonl'),
    combinedInstances: join(work, 'instances.combined.jsonl'),
    lmCache: join(work, 'lm-cache'),
    issues: (s: string) => join(out, 'issues', `${s}.jsonl`),
    artifacts: join(out, 'artifacts'),
    dataset: join(out, 'instances.jsonl'),
    stats: join(out, 'stats.json'),
  };
}

async function writeTextAtomic(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

/** Write records through a resumable writer (keys already present are skipped) and publish the file. */
async function writeKeyed<T>(path: string, records: T[], key: (r: T) => string, schema?: 'BugCandidate' | 'TaskInstance'): Promise<void> {
  const w = await ResumableJsonlWriter.open<T>(path, { key, schema });
  try {
    for (const r of records) await w.append(r);
  } catch (e) {
    await w.close().catch(() => {});
    throw e;
  }
  await w.finalize();
}

/** The parts of a config that decide the bugs and instances (not the issue strategies, not where an LM server runs). */
function identity(cfg: PipelineConfig): string {
  const { repo, name, seed, env, validate, combine } = cfg;
  const where = (s: LmServer | undefined) => s && { ...s, url: undefined, apiKeyEnv: undefined, cacheDir: undefined, concurrency: undefined };
  const bugs = { ...cfg.bugs, lm: where(cfg.bugs.lm), prMirror: cfg.bugs.prMirror && { ...cfg.bugs.prMirror, lm: where(cfg.bugs.prMirror.lm) } };
  // the executor says where the work runs, not what it is: changing it resumes the run
  return JSON.stringify({ repo, name, seed, env, bugs, validate: { ...validate, executor: undefined }, combine });
}

/** core LmClient options for a configured server; the cache defaults to the run's work/lm-cache. */
function clientOptions(s: LmServer, defaultCache: string): Record<string, unknown> {
  return {
    baseURL: s.url,
    model: s.model,
    apiKeyEnv: s.apiKeyEnv,
    concurrency: s.concurrency,
    cache: { dir: s.cacheDir ?? defaultCache, mode: 'auto' },
    prices: s.price ? { [s.model]: { prompt_per_mtok: s.price.prompt, completion_per_mtok: s.price.completion } } : undefined,
  };
}

function primaryStrategy(cfg: PipelineConfig): PipelineIssueStrategy {
  if (cfg.issues.primary) return cfg.issues.primary;
  for (const s of ['lm', 'tests'] as const) if (cfg.issues.strategies.includes(s)) return s;
  return cfg.issues.strategies[0] ?? 'template';
}

/**
 * Run env-builder → bug sources (procedural-bugs, lm-bugs, pr-mirror; each optional) →
 * validator → combine → validator → issue-writer on one repository and write a dataset folder: `instances.jsonl`, `artifacts/`, `issues/`,
 * `report.html`, `report.md`. Every stage appends its records through a resumable writer and
 * leaves a marker when done, so rerunning after an interruption continues where it stopped.
 */
export async function runPipeline(cfg: PipelineConfig, opts: PipelineRunOptions = {}): Promise<PipelineResult> {
  const log = opts.log ?? (() => {});
  const p = pipelinePaths(cfg.out);
  const recipeDirs = recipePaths(cfg.out);
  if (opts.fresh) for (const d of [p.work, join(cfg.out, 'rollouts'), recipeDirs.sft, recipeDirs.train, recipeDirs.verify]) await rm(d, { recursive: true, force: true });
  await mkdir(p.stages, { recursive: true });
  if (!existsSync(cfg.repo)) throw new Error(`repository ${cfg.repo} does not exist: fix repo: in the config`);
  // Load every stage package and check the options they own first: a missing package or an
  // unknown modifier fails now, naming the stage, not after the environment build.
  const envBuilder = await loadEnvBuilder();
  const bugsMod = await loadProceduralBugs();
  const lmBugsMod = cfg.bugs.lm ? await loadLmBugs() : undefined;
  const prMirrorMod = cfg.bugs.prMirror ? await loadPrMirror() : undefined;
  const validator = await loadValidator();
  const wantsCombine = !!(cfg.combine.file || cfg.combine.module);
  const combineMod = wantsCombine ? await loadCombine() : undefined;
  const known = new Set(bugsMod.MODIFIERS.map((m) => m.name));
  const unknown = (cfg.bugs.modifiers ?? []).filter((m) => !known.has(m));
  if (unknown.length > 0) {
    throw new Error(`unknown modifier(s) in bugs.modifiers: ${unknown.join(', ')}: choose from ${[...known].join(', ')}`);
  }
  await validateRecipe(cfg.recipe, 'config', cfg.out);
  if (existsSync(p.config)) {
    const prev = await readFile(p.config, 'utf8');
    if (prev.trim() !== identity(cfg)) throw new Error(`${cfg.out} holds a run made with a different repo/bugs/validation config: rerun with --fresh to start over, or choose another out folder`);
  } else {
    await writeFile(p.config, identity(cfg));
  }


  const runner = new StageRunner(p.stages, { log });
  const timings = runner.timings;
  const stage = runner.stage.bind(runner);

  const built = await stage<BuiltEnvironmentLike>(
    'env',
    async () => {
      const b = await envBuilder.buildEnvironment(cfg.repo, { ...cfg.env, log: undefined });
      await writeJsonAtomic(p.env, b);
      return { value: b, records: 1, stats: { env_id: b.spec.id, cached: b.cached, baseline: b.spec.baseline } };
    },
    async () => JSON.parse(await readFile(p.env, 'utf8')) as BuiltEnvironmentLike,
  );
  const spec = built.spec;
  const repoName = cfg.name ?? spec.repo ?? basename(cfg.repo);
  // Environments are opened on first use, one per sandbox backend: a run that opens none ran no sandbox.
  const envs = new Map<string, Promise<EnvironmentLike>>();
  const openSandboxEnv = async (backend?: 'venv' | 'bwrap'): Promise<EnvironmentLike> => {
    const b = backend ?? '';
    if (!envs.has(b)) envs.set(b, envBuilder.openEnvironment(built, backend ? { backend } : undefined));
    return envs.get(b)!;
  };
  const openEnv = (): Promise<EnvironmentLike> => openSandboxEnv();
  try {
    const procedural =
      cfg.bugs.procedural === false
        ? []
        : await stage<BugCandidate[]>(
            'bugs',
            async () => {
              const { procedural: _p, lm: _l, prMirror: _m, ...procOpts } = cfg.bugs;
              const { candidates: c, stats } = await bugsMod.generateProceduralBugs(cfg.repo, {
                ...procOpts,
                seed: cfg.seed,
                envId: spec.id,
                repo: repoName,
                progress: opts.progress,
              });
              await writeKeyed(p.candidates, c, (x) => x.id, 'BugCandidate');
              return { value: c, records: c.length, stats };
            },
            () => readJsonlAll<BugCandidate>(p.candidates),
          );
    // LM spending per strategy, read back from the stage markers (so a resumed run reports it too)
    const costs: Record<string, number> = {};
    const markerStats = (name: string): Promise<Record<string, unknown>> => runner.stats(name);
    const fromSources: BugCandidate[] = [];
    const lmCfg = cfg.bugs.lm;
    if (lmCfg && lmBugsMod) {
      for (const mode of lmCfg.modes) {
        const strategy = mode === 'modify' ? 'lm_modify' : 'lm_rewrite';
        const file = p.sourceCandidates(strategy);
        const got = await stage<BugCandidate[]>(
          `bugs:${strategy}`,
          async () => {
            const { stats } = await lmBugsMod.generateLmBugs(cfg.repo, {
              mode,
              lm: clientOptions(lmCfg, p.lmCache),
              out: file,
              prompt: lmCfg.prompts?.[mode],
              maxCost: lmCfg.maxCost,
              maxTokens: lmCfg.maxTokens,
              temperature: lmCfg.temperature,
              seed: cfg.seed,
              maxEntities: lmCfg.maxEntities,
              bugsPerEntity: lmCfg.bugsPerEntity,
              filter: { tags: lmCfg.tags, minComplexity: lmCfg.minComplexity, maxComplexity: lmCfg.maxComplexity },
              minLines: lmCfg.minLines,
              maxLines: lmCfg.maxLines,
              include: lmCfg.include,
              exclude: lmCfg.exclude,
              envId: spec.id,
              repo: repoName,
              progress: opts.progress,
              log: (l: string) => log(`bugs:${strategy}: ${l}`),
            });
            const all = existsSync(file) ? await readJsonlAll<BugCandidate>(file) : [];
            return { value: all, records: all.length, stats };
          },
          async () => (existsSync(file) ? readJsonlAll<BugCandidate>(file) : []),
        );
        costs[strategy] = Number((await markerStats(`bugs:${strategy}`)).cost_usd_answers ?? 0);
        fromSources.push(...got);
      }
    }
    const prCfg = cfg.bugs.prMirror;
    if (prCfg && prMirrorMod) {
      const file = p.sourceCandidates('pr_mirror');
      const got = await stage<BugCandidate[]>(
        'bugs:pr_mirror',
        async () => {
          const { stats } = await prMirrorMod.mirrorChanges(cfg.repo, {
            since: prCfg.since,
            prs: prCfg.prs,
            maxCommits: prCfg.maxCommits,
            allCommits: prCfg.allCommits,
            requireTests: prCfg.requireTests,
            maxFiles: prCfg.maxFiles,
            maxLines: prCfg.maxLines,
            allowPartial: prCfg.allowPartial,
            lm: prCfg.lm ? clientOptions(prCfg.lm, p.lmCache) : undefined,
            maxCost: prCfg.maxCost,
            out: file,
            envId: spec.id,
            repo: repoName,
            progress: opts.progress,
            log: (l: string) => log(`bugs:pr_mirror: ${l}`),
          });
          const all = existsSync(file) ? await readJsonlAll<BugCandidate>(file) : [];
          return { value: all, records: all.length, stats };
        },
        async () => (existsSync(file) ? readJsonlAll<BugCandidate>(file) : []),
      );
      costs.pr_mirror = Number(((await markerStats('bugs:pr_mirror')).lm as { cost_usd_answers?: number } | undefined)?.cost_usd_answers ?? 0);
      fromSources.push(...got);
    }
    const candidates = [...procedural, ...fromSources];
    const validateOpts = { out: p.validation, tests: cfg.validate.tests, runner: cfg.validate.runner, workers: cfg.workers, timeoutS: cfg.validate.timeoutS, progress: opts.progress, seed: cfg.seed };
    // `validate.executor: slurm`: the baseline here, the candidates as a job array (`swe-forge validate --shard`), then the stats here
    const validateAll = async (cands: BugCandidate[], label: string): Promise<{ results: ValidationResult[]; stats: Record<string, unknown> }> => {
      const ex = cfg.validate.executor;
      if (ex?.type === 'slurm' && cands.length) {
        const env = await openEnv();
        await validator.validateCandidates(env, [], { ...validateOpts, progress: false });
        const file = join(p.work, `validate.${label}.candidates.jsonl`);
        await writeKeyed(file, cands, (x) => x.id, 'BugCandidate');
        const r = await runCliStageOnSlurm<ValidationResult>({
          argv: ['validate', cfg.repo, '--candidates', file, '--out', p.validation, '--tests', cfg.validate.tests, ...(cfg.validate.runner ? ['--runner', cfg.validate.runner] : []), '--timeout', String(cfg.validate.timeoutS), '--seed', String(cfg.seed), '--baseline-of', p.validation, '--env', built.dir, ...(cfg.env.backend ? ['--backend', cfg.env.backend] : [])],
          outFlag: '--out',
          out: p.validation,
          settings: ex.slurm,
          defaultRunDir: join(p.work, 'slurm', `validate-${label}`),
          jobName: 'swe-forge-validate',
          key: (x) => x.candidate_id,
          schema: 'ValidationResult',
          requirePaths: [
            { path: file, what: 'candidates file' },
            { path: built.dir, what: 'environment' },
          ],
          log: (l) => log(`validate: ${l}`),
        });
        log(`validate: ${r.shards} Slurm shards merged (${r.submitted} array task(s) submitted; ${r.runDir})`);
      }
      return validator.validateCandidates(await openEnv(), cands, validateOpts);
    };
    const results = await stage<ValidationResult[]>(
      'validate',
      async () => {
        const ids = new Set(candidates.map((c) => c.id));
        const r = await validateAll(candidates, 'base');
        const mine = r.results.filter((x) => ids.has(x.candidate_id));
        return { value: mine, records: mine.length, stats: r.stats };
      },
      async () => {
        const ids = new Set(candidates.map((c) => c.id));
        return (await readJsonlAll<ValidationResult>(p.validation)).filter((x) => ids.has(x.candidate_id));
      },
    );
    const baseInstances = await stage<TaskInstance[]>(
      'gather',
      async () => {
        const inst = validator.gatherInstances(results, { baseCommit: spec.commit, artifactsDir: p.artifacts });
        await writeKeyed(p.instances, inst, (x) => x.instance_id, 'TaskInstance');
        return { value: inst, records: inst.length };
      },
      () => readJsonlAll<TaskInstance>(p.instances),
    );

    let combinedCandidates: BugCandidate[] = [];
    let combinedResults: ValidationResult[] = [];
    let combinedInstances: TaskInstance[] = [];
    if (combineMod) {
      combinedCandidates = await stage<BugCandidate[]>(
        'combine',
        async () => {
          const all: BugCandidate[] = [];
          for (const mode of ['file', 'module'] as const) {
            const o = cfg.combine[mode];
            if (!o) continue;
            all.push(...(await combineMod.combineBugs(baseInstances, { ...o, mode, seed: cfg.seed, repoDir: cfg.repo })));
          }
          await writeKeyed(p.combineCandidates, all, (x) => x.id, 'BugCandidate');
          return { value: all, records: all.length };
        },
        () => readJsonlAll<BugCandidate>(p.combineCandidates),
      );
      const ids = new Set(combinedCandidates.map((c) => c.id));
      combinedResults = await stage<ValidationResult[]>(
        'validate:combined',
        async () => {
          if (combinedCandidates.length === 0) return { value: [], records: 0 };
          const r = await validateAll(combinedCandidates, 'combined');
          const mine = r.results.filter((x) => ids.has(x.candidate_id));
          return { value: mine, records: mine.length, stats: r.stats };
        },
        async () => (existsSync(p.validation) ? (await readJsonlAll<ValidationResult>(p.validation)).filter((x) => ids.has(x.candidate_id)) : []),
      );
      combinedInstances = await stage<TaskInstance[]>(
        'gather:combined',
        async () => {
          const inst = validator.gatherInstances(combinedResults, { baseCommit: spec.commit, artifactsDir: p.artifacts });
          await writeKeyed(p.combinedInstances, inst, (x) => x.instance_id, 'TaskInstance');
          return { value: inst, records: inst.length };
        },
        () => readJsonlAll<TaskInstance>(p.combinedInstances),
      );
    }
    const instances = [...baseInstances, ...combinedInstances];

    // Problem statements, one resumable file per strategy.
    const issueRows: IssueRow[] = [];
    const byStrategy = new Map<PipelineIssueStrategy, Map<string, TaskInstance>>();
    let lm: LmClient | undefined;
    for (const strategy of cfg.issues.strategies) {
      const lmCfg = cfg.issues.lm;
      if (strategy === 'lm' && lmCfg && !lm) lm = new LmClient({ baseURL: lmCfg.url, model: lmCfg.model, apiKeyEnv: lmCfg.apiKeyEnv, cache: { dir: lmCfg.cacheDir ?? p.lmCache, mode: 'auto' } });
      const out = p.issues(strategy);
      await mkdir(join(cfg.out, 'issues'), { recursive: true });
      let stats: WriteStats | undefined;
      const written = await stage<TaskInstance[]>(
        `issues:${strategy}`,
        async () => {
          const ex = cfg.issues.executor;
          if (strategy === 'lm' && lmCfg && ex?.type === 'slurm' && instances.length) {
            // the LM strategy as a job array (`swe-forge issues write --shard`); the local call below then only reads it back
            const file = join(p.work, 'issues.lm.instances.jsonl');
            await writeKeyed(file, instances, (x) => x.instance_id, 'TaskInstance');
            const argv = ['issues', 'write', '--instances', file, '--strategy', 'lm', '--lm-url', lmCfg.url, '--model', lmCfg.model, '--seed', String(cfg.seed), '--repo', cfg.repo, '--artifacts', p.artifacts, '--out', out, '--cache', lmCfg.cacheDir ?? p.lmCache];
            if (lmCfg.apiKeyEnv) argv.push('--api-key-env', lmCfg.apiKeyEnv);
            if (lmCfg.demonstrations) argv.push('--demos', lmCfg.demonstrations);
            if (lmCfg.maxAttempts) argv.push('--max-attempts', String(lmCfg.maxAttempts));
            const r = await runCliStageOnSlurm<TaskInstance>({
              argv,
              outFlag: '--out',
              out,
              settings: ex.slurm,
              defaultRunDir: join(p.work, 'slurm', 'issues-lm'),
              jobName: 'swe-forge-issues-lm',
              key: (x) => x.instance_id,
              schema: 'TaskInstance',
              requirePaths: [
                { path: file, what: 'instances file' },
                { path: cfg.repo, what: 'repository checkout' },
              ],
              requireUrls: [{ url: lmCfg.url, what: 'LM endpoint' }],
              log: (l) => log(`issues:lm: ${l}`),
            });
            log(`issues:lm: ${r.shards} Slurm shards merged (${r.submitted} array task(s) submitted; ${r.runDir})`);
          }
          const r = await writeProblemStatements(instances, {
            strategy,
            out,
            seed: cfg.seed,
            repoDir: cfg.repo,
            artifactsDir: p.artifacts,
            lm: strategy === 'lm' ? lm : undefined,
            model: strategy === 'lm' ? lmCfg?.model : undefined,
            demonstrations: strategy === 'lm' && lmCfg?.demonstrations ? await loadDemonstrations(lmCfg.demonstrations) : undefined,
            maxAttempts: lmCfg?.maxAttempts,
            progress: opts.progress,
          });
          stats = r.stats;
          return { value: r.instances, records: r.instances.length, stats: r.stats };
        },
        async () => (existsSync(out) ? readJsonlAll<TaskInstance>(out) : []),
      );
      stats ??= (await runner.stats(`issues:${strategy}`)) as unknown as WriteStats;
      byStrategy.set(strategy, new Map(written.map((i) => [i.instance_id, i])));
      issueRows.push({ strategy, written: stats.written + stats.resumed, skipped: stats.skipped, rejections: stats.rejections.total, cost_usd: stats.lm.cost_usd });
    }

    // The dataset: one row per instance, the primary strategy's text (falling back in order).
    const t0 = Date.now();
    const primary = primaryStrategy(cfg);
    const order = [primary, ...cfg.issues.strategies.filter((s) => s !== primary)];
    const rows = instances.map((inst) => {
      const texts: Partial<Record<PipelineIssueStrategy, TaskInstance>> = {};
      for (const s of cfg.issues.strategies) {
        const w = byStrategy.get(s)?.get(inst.instance_id);
        if (w) texts[s] = w;
      }
      const chosen = order.find((s) => texts[s]);
      return toDatasetRow(inst, chosen ? texts[chosen]! : undefined, chosen, texts);
    });
    const text = rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
    const same = existsSync(p.dataset) && (await readFile(p.dataset, 'utf8')) === text;
    if (!same) await writeTextAtomic(p.dataset, text);
    timings.push({ stage: 'dataset', duration_s: (Date.now() - t0) / 1000, records: rows.length, status: same ? 'resumed' : 'done' });

    // Trajectories, SFT dataset, training plan, best of K (each only when configured).
    for (const sk of opts.skipped ?? []) runner.skip(sk.stage, sk.reason);
    let recipe: RecipeResult | undefined;
    if (Object.values(cfg.recipe).some(Boolean)) {
      const withIssues = instances.map((inst, i) => ({ ...inst, problem_statement: rows[i]!.problem_statement }));
      recipe = await runRecipe({
        cfg,
        runner,
        instances: withIssues,
        datasetPath: p.dataset,
        openEnv: async (backend) => openSandboxEnv(backend ?? ((await envBuilder.bwrapAvailable()).ok ? 'bwrap' : 'venv')),
        envDir: built.dir,
        // undefined lets each stage decide (progress on a TTY outside CI); false keeps them quiet
        progress: opts.progress === false ? false : undefined,
        log,
      });
    }

    const data = buildReportData({
      title: opts.title,
      repo: repoName,
      base_commit: spec.commit,
      candidates: [...candidates, ...combinedCandidates],
      results: [...results, ...combinedResults],
      instances,
      baselinePassed: spec.baseline.passed,
      costs,
      stages: timings,
      issues: issueRows,
      recipe: recipe?.figures,
    });
    const report = await writeReport(cfg.out, data);
    await writeJsonAtomic(p.stats, { repo: repoName, base_commit: spec.commit, env_id: spec.id, rows: data.family_rows, per_strategy: data.rows, coverage: data.coverage, statuses: data.statuses, stages: timings, issues: issueRows });
    return { out: cfg.out, dataset: p.dataset, report, instances: rows.length, candidates: candidates.length + combinedCandidates.length, stages: timings, data, recipe, sandboxEnvironmentsOpened: envs.size };
  } finally {
    for (const e of envs.values()) await (await e.catch(() => undefined))?.dispose();
  }
}
