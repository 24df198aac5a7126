import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

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
  bugs: { modifiers?: string[]; workers?: number; maxBugsPerModifier?: number; maxEntities?: number; likelihood?: number; include?: string[]; exclude?: string[] };
  validate: { tests: 'full' | 'files' | 'coverage'; timeoutS: number };
  combine: { file?: CombineStage; module?: CombineStage & { depth?: number } };
  issues: {
    strategies: PipelineIssueStrategy[];
    /** Which strategy's text becomes `problem_statement` (default: lm, then tests, then the first). */
    primary?: PipelineIssueStrategy;
    lm?: { url: string; model: string; apiKeyEnv?: string; cacheDir?: string; demonstrations?: string; maxAttempts?: number };
  };
}

/** Options of one combine mode. */
export interface CombineStage {
  size?: number;
  maxCombos?: number;
  limitPerGroup?: number;
}

/** A config file that does not describe a runnable pipeline; says which field and what to do. */
export class ConfigError extends Error {
  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

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
  const known = ['repo', 'name', 'out', 'seed', 'workers', 'env', 'bugs', 'validate', 'combine', 'issues'];
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
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const repo = str(raw, 'repo', '');
  if (!repo) throw new ConfigError(where, 'repo is required: the path of the repository to mine');

  const env = section('env');
  const backend = str(env, 'backend', 'env.');
  if (backend && backend !== 'venv' && backend !== 'bwrap') throw new ConfigError(where, 'env.backend must be venv or bwrap');
  const bugs = section('bugs');
  const validate = section('validate');
  const tests = str(validate, 'tests', 'validate.') ?? 'full';
  if (!['full', 'files', 'coverage'].includes(tests)) throw new ConfigError(where, 'validate.tests must be full, files or coverage');
  const combine = section('combine');
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
  const strategies = (strs(issues, 'strategies', 'issues.') ?? ['template']) as PipelineIssueStrategy[];
  for (const s of strategies) if (!['template', 'tests', 'lm', 'original'].includes(s)) throw new ConfigError(where, `issues.strategies: unknown strategy "${s}" (template, tests, lm, original)`);
  const primary = str(issues, 'primary', 'issues.') as PipelineIssueStrategy | undefined;
  if (primary && !strategies.includes(primary)) throw new ConfigError(where, `issues.primary "${primary}" is not one of issues.strategies`);
  let lm: PipelineConfig['issues']['lm'];
  if (issues.lm !== undefined && issues.lm !== null) {
    if (!isObj(issues.lm)) throw new ConfigError(where, 'issues.lm must be a mapping with url and model');
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
      modifiers: strs(bugs, 'modifiers', 'bugs.'),
      workers: num(bugs, 'workers', 'bugs.', 1),
      maxBugsPerModifier: num(bugs, 'max_bugs_per_modifier', 'bugs.', 1),
      maxEntities: num(bugs, 'max_entities', 'bugs.', 1),
      likelihood: num(bugs, 'likelihood', 'bugs.'),
      include: strs(bugs, 'include', 'bugs.'),
      exclude: strs(bugs, 'exclude', 'bugs.'),
    },
    validate: { tests: tests as PipelineConfig['validate']['tests'], timeoutS: num(validate, 'timeout_s', 'validate.', 1) ?? 90 },
    combine: { file: combineStage('file'), module: combineStage('module') },
    issues: { strategies, primary, lm },
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
  return resolveConfig(raw, dirname(resolve(path)), path);
}
