import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, isObj, type Obj } from './fields.js';
import { RECIPE_KEYS, resolveRecipe, validateRecipe, type RecipeConfig } from './recipe/config.js';
import { executorOf, type StageExecutorConfig } from './executor.js';

export { ConfigError };

/** Issue strategies a pipeline can run. */
export type PipelineIssueStrategy = 'template' | 'tests' | 'lm' | 'original';

/** A resolved pipeline configuration (paths absolute, defaults filled). */
export interface PipelineConfig {
  /** The repository to mine (a git checkout; its HEAD is the base commit). */
  repo: string;
  /** Repository name used in instance ids (default: the folder name). */
  name?: string;
  /** Dataset folder. */
  out: string;
  seed: number;
  /** Parallel workers for validation (default 2). */
  workers: number;
  env: { backend?: 'venv' | 'bwrap'; python?: string; findLinks?: string[]; noIndex?: boolean; indexUrl?: string; cacheDir?: string; extraPackages?: string[] };
  /** Bug sources: procedural (the flat keys; on unless `procedural: false`), `lm` and `prMirror` (off unless configured). */
  bugs: {
    modifiers?: string[];
    workers?: number;
    maxBugsPerModifier?: number;
    maxEntities?: number;
    likelihood?: number;
    include?: string[];
    exclude?: string[];
    /** Run procedural-bugs (default true). */
    procedural?: boolean;
    lm?: LmBugsStage;
    prMirror?: PrMirrorStage;
  };
  validate: { tests: 'full' | 'files' | 'coverage'; runner?: 'isolated' | 'warm'; timeoutS: number; executor?: StageExecutorConfig };
  combine: { file?: CombineStage; module?: CombineStage & { depth?: number } };
  issues: {
    /** Where the lm strategy runs (the others are instant): this process or a Slurm job array. */
    executor?: StageExecutorConfig;
    strategies: PipelineIssueStrategy[];
    /** Which strategy's text becomes `problem_statement` (default: lm, then tests, then the first). */
    primary?: PipelineIssueStrategy;
    lm?: { url: string; model: string; apiKeyEnv?: string; cacheDir?: string; demonstrations?: string; maxAttempts?: number };
  };
  /** The stages after the instances (each optional): trajectories, SFT dataset, training plan, best-of-K selection. */
  recipe: RecipeConfig;
}

/** An OpenAI-compatible server for a bug source. */
export interface LmServer {
  url: string;
  model: string;
  apiKeyEnv?: string;
  /** Record/replay cache (default: the run's work/lm-cache). */
  cacheDir?: string;
  /** USD per million prompt / completion tokens of `model` (for cost figures and caps). */
  price?: { prompt: number; completion: number };
  concurrency?: number;
}

/** The `bugs.lm` source: LM modify / rewrite bugs (@swe-forge/lm-bugs). */
export interface LmBugsStage extends LmServer {
  /** Modes to run, each a strategy of its own (default [modify]). */
  modes: ('modify' | 'rewrite')[];
  /** Functions asked about per mode (seeded choice). */
  maxEntities?: number;
  /** Hard cap on each mode's LM spending in USD (needs `price`). */
  maxCost?: number;
  bugsPerEntity?: number;
  maxTokens?: number;
  temperature?: number;
  /** Prompt files per mode (default: the shipped ones). */
  prompts?: { modify?: string; rewrite?: string };
  include?: string[];
  exclude?: string[];
  tags?: string[];
  minComplexity?: number;
  maxComplexity?: number;
  minLines?: number;
  maxLines?: number;
}

/** The `bugs.pr_mirror` source: the repository's own fixes undone (@swe-forge/pr-mirror). */
export interface PrMirrorStage {
  /** git history after this ref (default: all of HEAD's first-parent history). */
  since?: string;
  /** A PR export (JSONL) instead of the git history. */
  prs?: string;
  maxCommits?: number;
  allCommits?: boolean;
  requireTests?: boolean;
  maxFiles?: number;
  maxLines?: number;
  allowPartial?: boolean;
  /** LM rewrite path: a server, or `true` for the one of `bugs.lm`. */
  lm?: LmServer;
  maxCost?: number;
}

/** Options of one combine mode. */
export interface CombineStage {
  size?: number;
  maxCombos?: number;
  limitPerGroup?: number;
}


/** Read a snake_case or camelCase key. */
function pick(o: Obj, key: string): unknown {
  if (key in o) return o[key];
  const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return o[camel];
}

/**
 * Validate a parsed config object and resolve paths against `baseDir` (the config file's folder).
 * Unknown top-level keys are errors, so a typo never silently falls back to a default.
 */
export function resolveConfig(raw: unknown, baseDir: string, where = 'config'): PipelineConfig {
  if (!isObj(raw)) throw new ConfigError(where, 'expected a mapping with at least `repo:`');
  const known = ['repo', 'name', 'out', 'seed', 'workers', 'env', 'bugs', 'validate', 'combine', 'issues', ...RECIPE_KEYS];
  for (const k of Object.keys(raw)) if (!known.includes(k)) throw new ConfigError(where, `unknown key "${k}"; known keys: ${known.join(', ')}`);
  const str = (o: Obj, k: string, ctx: string): string | undefined => {
    const v = pick(o, k);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || !v) throw new ConfigError(where, `${ctx}${k} must be a non-empty string`);
    return v;
  };
  const num = (o: Obj, k: string, ctx: string, min = 0): number | undefined => {
    const v = pick(o, k);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new ConfigError(where, `${ctx}${k} must be a number ≥ ${min}`);
    return v;
  };
  const strs = (o: Obj, k: string, ctx: string): string[] | undefined => {
    const v = pick(o, k);
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new ConfigError(where, `${ctx}${k} must be a list of strings`);
    return v as string[];
  };
  const bool = (o: Obj, k: string, ctx: string): boolean | undefined => {
    const v = pick(o, k);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw new ConfigError(where, `${ctx}${k} must be true or false`);
    return v;
  };
  const section = (k: string): Obj => {
    const v = raw[k];
    if (v === undefined || v === null) return {};
    if (!isObj(v)) throw new ConfigError(where, `${k} must be a mapping`);
    return v;
  };
  /** Unknown keys of a section are errors (snake_case or camelCase), like the top level's. */
  const checkKeys = (o: Obj, ctx: string, known: readonly string[]): void => {
    for (const k of Object.keys(o)) {
      if (!known.includes(k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`))) throw new ConfigError(where, `unknown key "${ctx}${k}"; known keys: ${known.join(', ')}`);
    }
  };
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const repo = str(raw, 'repo', '');
  if (!repo) throw new ConfigError(where, 'repo is required: the path of the repository to mine');

  const env = section('env');
  checkKeys(env, 'env.', ['backend', 'python', 'find_links', 'no_index', 'index_url', 'cache_dir', 'extra_packages']);
  const backend = str(env, 'backend', 'env.');
  if (backend && backend !== 'venv' && backend !== 'bwrap') throw new ConfigError(where, 'env.backend must be venv or bwrap');
  const bugsRaw = section('bugs');
  const procRaw = pick(bugsRaw, 'procedural');
  if (procRaw !== undefined && procRaw !== null && typeof procRaw !== 'boolean' && !isObj(procRaw)) throw new ConfigError(where, 'bugs.procedural must be true, false or a mapping of procedural options');
  const procKeys = ['modifiers', 'workers', 'max_bugs_per_modifier', 'max_entities', 'likelihood', 'include', 'exclude'];
  const bugsKnown = [...procKeys, 'procedural', 'lm', 'pr_mirror'];
  checkKeys(bugsRaw, 'bugs.', bugsKnown);
  const bugs: Obj = { ...bugsRaw };
  if (isObj(procRaw)) {
    checkKeys(procRaw, 'bugs.procedural.', procKeys);
    for (const [k, v] of Object.entries(procRaw)) {
      const snake = k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      if (pick(bugsRaw, snake) !== undefined) throw new ConfigError(where, `bugs.${snake} is given twice (also under bugs.procedural): keep one`);
      bugs[snake] = v;
    }
  }
  const server = (o: Obj, ctx: string, inherit?: LmServer): LmServer => {
    const url = str(o, 'url', ctx) ?? inherit?.url;
    if (!url) throw new ConfigError(where, `${ctx}url is required (an OpenAI-compatible base URL ending in /v1)`);
    const cacheDir = str(o, 'cache_dir', ctx);
    let price = inherit?.price;
    const p = pick(o, 'price');
    if (p !== undefined && p !== null) {
      if (!isObj(p)) throw new ConfigError(where, `${ctx}price must be a mapping {prompt, completion} in USD per million tokens`);
      price = { prompt: num(p, 'prompt', `${ctx}price.`) ?? 0, completion: num(p, 'completion', `${ctx}price.`) ?? 0 };
    }
    return {
      url,
      model: str(o, 'model', ctx) ?? inherit?.model ?? 'default',
      apiKeyEnv: str(o, 'api_key_env', ctx) ?? inherit?.apiKeyEnv,
      cacheDir: cacheDir ? abs(cacheDir) : inherit?.cacheDir,
      price,
      concurrency: num(o, 'concurrency', ctx, 1) ?? inherit?.concurrency,
    };
  };
  let lmBugs: LmBugsStage | undefined;
  const lmRaw = pick(bugsRaw, 'lm');
  if (lmRaw !== undefined && lmRaw !== null && lmRaw !== false) {
    if (!isObj(lmRaw)) throw new ConfigError(where, 'bugs.lm must be a mapping with url, model and modes');
    const ctx = 'bugs.lm.';
    const known = ['url', 'model', 'api_key_env', 'cache_dir', 'price', 'concurrency', 'modes', 'max_entities', 'max_cost', 'bugs_per_entity', 'max_tokens', 'temperature', 'prompts', 'include', 'exclude', 'tags', 'min_complexity', 'max_complexity', 'min_lines', 'max_lines'];
    checkKeys(lmRaw, 'bugs.lm.', known);
    const modes = (strs(lmRaw, 'modes', ctx) ?? ['modify']) as LmBugsStage['modes'];
    for (const m of modes) if (m !== 'modify' && m !== 'rewrite') throw new ConfigError(where, `bugs.lm.modes: unknown mode "${m}" (modify, rewrite)`);
    const prompts = pick(lmRaw, 'prompts');
    if (prompts !== undefined && prompts !== null && !isObj(prompts)) throw new ConfigError(where, 'bugs.lm.prompts must be a mapping {modify: FILE, rewrite: FILE}');
    const promptPath = (m: string): string | undefined => {
      const v = isObj(prompts) ? str(prompts, m, `${ctx}prompts.`) : undefined;
      return v ? abs(v) : undefined;
    };
    lmBugs = {
      ...server(lmRaw, ctx),
      modes: [...new Set(modes)],
      maxEntities: num(lmRaw, 'max_entities', ctx, 1),
      maxCost: num(lmRaw, 'max_cost', ctx),
      bugsPerEntity: num(lmRaw, 'bugs_per_entity', ctx, 1),
      maxTokens: num(lmRaw, 'max_tokens', ctx, 1),
      temperature: num(lmRaw, 'temperature', ctx),
      prompts: { modify: promptPath('modify'), rewrite: promptPath('rewrite') },
      include: strs(lmRaw, 'include', ctx),
      exclude: strs(lmRaw, 'exclude', ctx),
      tags: strs(lmRaw, 'tags', ctx),
      minComplexity: num(lmRaw, 'min_complexity', ctx),
      maxComplexity: num(lmRaw, 'max_complexity', ctx),
      minLines: num(lmRaw, 'min_lines', ctx, 1),
      maxLines: num(lmRaw, 'max_lines', ctx, 1),
    };
  }
  let prMirror: PrMirrorStage | undefined;
  const prRaw = pick(bugsRaw, 'pr_mirror');
  if (prRaw !== undefined && prRaw !== null && prRaw !== false) {
    if (prRaw !== true && !isObj(prRaw)) throw new ConfigError(where, 'bugs.pr_mirror must be true, false or a mapping');
    const o: Obj = prRaw === true ? {} : prRaw;
    const ctx = 'bugs.pr_mirror.';
    const known = ['since', 'prs', 'max_commits', 'all_commits', 'require_tests', 'max_files', 'max_lines', 'allow_partial', 'lm', 'max_cost'];
    checkKeys(o, 'bugs.pr_mirror.', known);
    const since = str(o, 'since', ctx);
    const prs = str(o, 'prs', ctx);
    if (since && prs) throw new ConfigError(where, 'bugs.pr_mirror: since and prs cannot be combined (git history or a PR export)');
    let lm: LmServer | undefined;
    const l = pick(o, 'lm');
    if (l === true) {
      if (!lmBugs) throw new ConfigError(where, 'bugs.pr_mirror.lm: true uses the server of bugs.lm, which is not configured; give {url, model} instead');
      lm = { url: lmBugs.url, model: lmBugs.model, apiKeyEnv: lmBugs.apiKeyEnv, cacheDir: lmBugs.cacheDir, price: lmBugs.price, concurrency: lmBugs.concurrency };
    } else if (isObj(l)) lm = server(l, `${ctx}lm.`);
    else if (l !== undefined && l !== null && l !== false) throw new ConfigError(where, 'bugs.pr_mirror.lm must be true (the bugs.lm server), false or a mapping {url, model}');
    prMirror = {
      since,
      prs: prs ? abs(prs) : undefined,
      maxCommits: num(o, 'max_commits', ctx, 1),
      allCommits: bool(o, 'all_commits', ctx),
      requireTests: bool(o, 'require_tests', ctx),
      maxFiles: num(o, 'max_files', ctx, 1),
      maxLines: num(o, 'max_lines', ctx, 1),
      allowPartial: bool(o, 'allow_partial', ctx),
      lm,
      maxCost: num(o, 'max_cost', ctx),
    };
  }
  const validate = section('validate');
  checkKeys(validate, 'validate.', ['tests', 'runner', 'timeout_s', 'executor']);
  const tests = str(validate, 'tests', 'validate.') ?? 'full';
  if (!['full', 'files', 'coverage'].includes(tests)) throw new ConfigError(where, 'validate.tests must be full, files or coverage');
  const runner = str(validate, 'runner', 'validate.');
  if (runner !== undefined && !['isolated', 'warm'].includes(runner)) throw new ConfigError(where, 'validate.runner must be isolated or warm');
  if (runner === 'warm' && tests !== 'coverage') throw new ConfigError(where, `validate.runner: warm needs validate.tests: coverage (got ${tests})`);
  const combine = section('combine');
  checkKeys(combine, 'combine.', ['file', 'module']);
  const combineStage = (k: 'file' | 'module'): (CombineStage & { depth?: number }) | undefined => {
    const v = combine[k];
    if (v === undefined || v === null || v === false) return undefined;
    if (v === true) return {};
    if (!isObj(v)) throw new ConfigError(where, `combine.${k} must be true, false or a mapping`);
    const ctx = `combine.${k}.`;
    if (bool(v, 'enabled', ctx) === false) return undefined;
    return { size: num(v, 'size', ctx, 2), maxCombos: num(v, 'max_combos', ctx, 1), limitPerGroup: num(v, 'limit_per_group', ctx, 1), depth: num(v, 'depth', ctx, 0) };
  };
  const issues = section('issues');
  checkKeys(issues, 'issues.', ['strategies', 'primary', 'lm', 'executor']);
  const strategies = (strs(issues, 'strategies', 'issues.') ?? ['template']) as PipelineIssueStrategy[];
  for (const s of strategies) if (!['template', 'tests', 'lm', 'original'].includes(s)) throw new ConfigError(where, `issues.strategies: unknown strategy "${s}" (template, tests, lm, original)`);
  const primary = str(issues, 'primary', 'issues.') as PipelineIssueStrategy | undefined;
  if (primary && !strategies.includes(primary)) throw new ConfigError(where, `issues.primary "${primary}" is not one of issues.strategies`);
  let lm: PipelineConfig['issues']['lm'];
  if (issues.lm !== undefined && issues.lm !== null) {
    if (!isObj(issues.lm)) throw new ConfigError(where, 'issues.lm must be a mapping with url and model');
    checkKeys(issues.lm, 'issues.lm.', ['url', 'model', 'api_key_env', 'cache_dir', 'demonstrations', 'max_attempts']);
    const url = str(issues.lm, 'url', 'issues.lm.');
    if (!url) throw new ConfigError(where, 'issues.lm.url is required (an OpenAI-compatible base URL ending in /v1)');
    const cacheDir = str(issues.lm, 'cache_dir', 'issues.lm.');
    const demos = str(issues.lm, 'demonstrations', 'issues.lm.');
    lm = { url, model: str(issues.lm, 'model', 'issues.lm.') ?? 'default', apiKeyEnv: str(issues.lm, 'api_key_env', 'issues.lm.'), cacheDir: cacheDir ? abs(cacheDir) : undefined, demonstrations: demos ? abs(demos) : undefined, maxAttempts: num(issues.lm, 'max_attempts', 'issues.lm.', 1) };
  }
  if (strategies.includes('lm') && !lm) throw new ConfigError(where, 'issues.strategies includes lm but issues.lm (url, model) is missing');
  const findLinks = strs(env, 'find_links', 'env.');
  const cacheDir = str(env, 'cache_dir', 'env.');
  return {
    repo: abs(repo),
    name: str(raw, 'name', ''),
    out: abs(str(raw, 'out', '') ?? 'swe-forge-out'),
    seed: num(raw, 'seed', '') ?? 0,
    workers: Math.max(1, Math.floor(num(raw, 'workers', '', 1) ?? 2)),
    env: {
      backend: backend as 'venv' | 'bwrap' | undefined,
      python: str(env, 'python', 'env.'),
      findLinks: findLinks?.map(abs),
      noIndex: bool(env, 'no_index', 'env.'),
      indexUrl: str(env, 'index_url', 'env.'),
      cacheDir: cacheDir ? abs(cacheDir) : undefined,
      extraPackages: strs(env, 'extra_packages', 'env.'),
    },
    bugs: {
      procedural: procRaw === false ? false : undefined,
      lm: lmBugs,
      prMirror,
      modifiers: strs(bugs, 'modifiers', 'bugs.'),
      workers: num(bugs, 'workers', 'bugs.', 1),
      maxBugsPerModifier: num(bugs, 'max_bugs_per_modifier', 'bugs.', 1),
      maxEntities: num(bugs, 'max_entities', 'bugs.', 1),
      likelihood: num(bugs, 'likelihood', 'bugs.'),
      include: strs(bugs, 'include', 'bugs.'),
      exclude: strs(bugs, 'exclude', 'bugs.'),
    },
    validate: { tests: tests as PipelineConfig['validate']['tests'], ...(runner ? { runner: runner as 'isolated' | 'warm' } : {}), timeoutS: num(validate, 'timeout_s', 'validate.', 1) ?? 90, executor: executorOf(where, validate.executor, 'validate.', baseDir) },
    combine: { file: combineStage('file'), module: combineStage('module') },
    issues: { strategies, primary, lm, executor: executorOf(where, issues.executor, 'issues.', baseDir) },
    recipe: resolveRecipe(raw, baseDir, where),
  };
}

/** Load and validate a YAML pipeline config; relative paths resolve against the file's folder. */
export async function loadConfig(path: string): Promise<PipelineConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError(path, `cannot read the config (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the path`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new ConfigError(path, `not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const cfg = resolveConfig(raw, dirname(resolve(path)), path);
  await validateRecipe(cfg.recipe, path, cfg.out);
  return cfg;
}
