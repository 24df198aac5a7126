/**
 * The config sections of the stages after the task instances — `rollout`, `sft`, `train`,
 * `verify` — each optional. Parsed and checked here (keys, types, cross-references); the
 * training-plan fields of `train:` are checked by trainer-launcher's own schema in
 * {@link validateRecipe}, before any stage runs.
 */
import { join } from 'node:path';
import { ConfigError, Fields, isObj, type Obj } from '../fields.js';
import { executorOf, type StageExecutorConfig } from '../executor.js';
import { loadStage } from '../../groups.js';

/** Agent modes, tool formats, sandbox backends, SFT output formats and the rest of the closed vocabularies. */
const MODES = ['bash', 'tools'] as const;
const TOOL_FORMATS = ['text', 'xml', 'native'] as const;
const BACKENDS = ['venv', 'bwrap'] as const;
const SFT_FORMATS = ['bash', 'xml', 'native'] as const;
const CHUNKING = ['none', 'postmortem', 'issue', 'segments'] as const;
const EXPORTS = ['trl', 'axolotl', 'llamafactory', 'torchtune', 'hf'] as const;
const VERIFIERS = ['execution', 'generative', 'hybrid'] as const;
const LAUNCH = ['slurm', 'local', 'none'] as const;

/** One rollout run: a teacher, the instances it works on, and how. */
export interface RolloutRun {
  /** Folder and stage name (`rollout:<name>`). */
  name: string;
  /** An OpenAI-compatible base URL, or `scripted:oracle|noisy|mixed` (rollout's scripted teacher). */
  lm: string;
  /** Model name sent to the server (default for scripted teachers: `scripted:<policy>`). */
  model?: string;
  apiKeyEnv?: string;
  /** LM record/replay cache (default: none). */
  cacheDir?: string;
  /** USD per million prompt / completion tokens (cost figures and cost limits). */
  price?: { prompt: number; completion: number };
  /** mini-swe-agent YAML agent config (default: rollout's built-in config of `mode`). */
  config?: string;
  mode?: (typeof MODES)[number];
  toolFormat?: (typeof TOOL_FORMATS)[number];
  /** Attempts per instance (default 1). */
  attempts: number;
  /** Skip this many instances of the dataset, then take `limit` (default: all). */
  offset: number;
  limit?: number;
  workers: number;
  seed?: number;
  temperature?: number;
  stepLimit?: number;
  costLimit?: number;
  wallTimeLimitS?: number;
  commandTimeoutS?: number;
  historyLast?: number;
  maxPromptTokens?: number;
  /** Grade submissions with the validator (default true). */
  evaluate: boolean;
  evalTimeoutS?: number;
  /** `scripted:mixed`: share of failing attempts. */
  wrongRate?: number;
  /** Sandbox backend (default: bwrap where it works, else venv). */
  backend?: (typeof BACKENDS)[number];
  maxRetries?: number;
  /** Where the run's attempts run: this process or a Slurm job array. */
  executor?: StageExecutorConfig;
}

/** The `sft` section: trajectories to a token-exact dataset for one tokenizer (@swe-forge/sft-formatter). */
export interface SftStage {
  /** Tokenizer folder (default: `train.model`). */
  tokenizer?: string;
  chatTemplate?: string;
  templateVariables?: Record<string, unknown>;
  format: (typeof SFT_FORMATS)[number];
  maxTokens: number;
  chunking?: (typeof CHUNKING)[number];
  maskErrors: boolean;
  curriculum: boolean;
  exports: (typeof EXPORTS)[number][];
  /** Rollout runs whose trajectories go in (default: every run). */
  rollouts?: string[];
  /** More trajectory files or folders (e.g. from another tool). */
  trajectories: string[];
  semiResolved: boolean;
  maxPerInstance?: number;
  workers: number;
  /** Check ids (`rewrites-turns`, …) whose failure is shown and explained but does not stop the pipeline. */
  acceptFailedChecks: string[];
}

/** The `train` section: a trainer-launcher plan (without `dataset`) plus how far the pipeline goes. */
export interface TrainStage {
  /** The plan fields as written (trainer-launcher's `plan.yaml` keys); checked by {@link validateRecipe}. */
  plan: Obj;
  /** Folder the plan's relative paths resolve against. */
  baseDir: string;
  /** The launch that is rendered and printed, never run (`none`: plan and check only). */
  launch: (typeof LAUNCH)[number];
  /** Preflight ids (`memory.fit`, …) whose failure does not stop the pipeline; `sft.<id>` of sft's accepted checks are added. */
  acceptFailedChecks: string[];
}

/** A judge model for the generative and hybrid verifiers. */
export interface JudgeConfig {
  url: string;
  model: string;
  apiKeyEnv?: string;
  cacheDir?: string;
  /** `trajectory`, `patch` or a template file. */
  template: string;
  maxPromptTokens?: number;
  topLogprobs?: number;
  concurrency?: number;
}

/** The `verify` section: best of K attempts of one rollout run (@swe-forge/verifier). */
export interface VerifyStage {
  /** The rollout run whose attempts are selected from. */
  rollout: string;
  ks: number[];
  verifiers: (typeof VERIFIERS)[number][];
  /** Tests of the execution verifier: the instance's (`oracle`) or the agents' own (`agent`). */
  execTests: 'oracle' | 'agent';
  workers: number;
  timeoutS?: number;
  backend?: (typeof BACKENDS)[number];
  lm?: JudgeConfig;
}

/** The recipe sections of a pipeline config. */
export interface RecipeConfig {
  rollout?: { runs: RolloutRun[] };
  sft?: SftStage;
  train?: TrainStage;
  verify?: VerifyStage;
}

/** Top-level keys of the recipe sections. */
export const RECIPE_KEYS = ['rollout', 'sft', 'train', 'verify'] as const;

const RUN_KEYS = ['executor', 'name', 'lm', 'model', 'api_key_env', 'cache_dir', 'price', 'config', 'mode', 'tool_format', 'attempts', 'offset', 'limit', 'workers', 'seed', 'temperature', 'step_limit', 'cost_limit', 'wall_time_limit_s', 'command_timeout_s', 'history_last', 'max_prompt_tokens', 'eval', 'eval_timeout_s', 'wrong_rate', 'backend', 'max_retries'];
const SFT_KEYS = ['tokenizer', 'chat_template', 'template_variables', 'format', 'max_tokens', 'chunking', 'mask_errors', 'curriculum', 'exports', 'rollouts', 'trajectories', 'semi_resolved', 'max_per_instance', 'workers', 'accept_failed_checks'];
const VERIFY_KEYS = ['rollout', 'k', 'verifiers', 'exec_tests', 'workers', 'timeout_s', 'backend', 'lm'];
const JUDGE_KEYS = ['url', 'model', 'api_key_env', 'cache_dir', 'template', 'max_prompt_tokens', 'top_logprobs', 'concurrency'];
/** Keys of `train:` the pipeline owns; every other key is a training-plan field. */
const TRAIN_OWN_KEYS = ['launch', 'accept_failed_checks'];

function runOf(where: string, o: Obj, shared: Obj, ctx: string, baseDir: string): RolloutRun {
  const f = new Fields(where, { ...shared, ...o }, ctx, RUN_KEYS, baseDir);
  const lm = f.str('lm');
  if (!lm) throw f.error('lm', 'is required: an OpenAI-compatible base URL (http://host:8000/v1) or scripted:oracle|noisy|mixed');
  const scripted = lm.startsWith('scripted:');
  if (!scripted && !/^https?:\/\//.test(lm)) throw f.error('lm', `"${lm}" is neither a URL nor scripted:<policy>`);
  const model = f.str('model');
  if (!scripted && !model) throw f.error('model', 'is required with a server URL: the model name the server serves');
  const name = f.str('name') ?? (scripted ? lm.slice('scripted:'.length) : 'teacher');
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) throw f.error('name', `"${name}" must be letters, digits, "_" or "-" (it names a folder)`);
  const price = f.obj('price');
  let priced: RolloutRun['price'];
  if (price) {
    const p = new Fields(where, price, `${ctx}price.`, ['prompt', 'completion'], baseDir);
    priced = { prompt: p.num('prompt') ?? 0, completion: p.num('completion') ?? 0 };
  }
  const wrongRate = f.num('wrong_rate');
  if (wrongRate !== undefined && wrongRate > 1) throw f.error('wrong_rate', 'must be between 0 and 1');
  return {
    name,
    lm,
    model,
    apiKeyEnv: f.str('api_key_env'),
    cacheDir: f.path('cache_dir'),
    price: priced,
    config: f.path('config'),
    mode: f.oneOf('mode', MODES),
    toolFormat: f.oneOf('tool_format', TOOL_FORMATS),
    attempts: f.int('attempts', 1) ?? 1,
    offset: f.int('offset', 0) ?? 0,
    limit: f.int('limit', 1),
    workers: f.int('workers', 1) ?? 2,
    seed: f.int('seed', 0),
    temperature: f.num('temperature'),
    stepLimit: f.int('step_limit', 0),
    costLimit: f.num('cost_limit'),
    wallTimeLimitS: f.num('wall_time_limit_s'),
    commandTimeoutS: f.num('command_timeout_s'),
    historyLast: f.int('history_last', 0),
    maxPromptTokens: f.int('max_prompt_tokens', 1),
    evaluate: f.bool('eval') ?? true,
    evalTimeoutS: f.num('eval_timeout_s', 1),
    wrongRate,
    backend: f.oneOf('backend', BACKENDS),
    maxRetries: f.int('max_retries', 0),
    executor: executorOf(where, f.raw('executor'), ctx, baseDir),
  };
}

function rolloutOf(where: string, v: unknown, baseDir: string): { runs: RolloutRun[] } {
  if (!isObj(v)) throw new ConfigError(where, 'rollout must be a mapping: one run (lm, model, attempts, …) or shared settings plus runs: [...]');
  const { runs: list, ...shared } = v;
  const runs: RolloutRun[] = [];
  if (list === undefined || list === null) runs.push(runOf(where, {}, shared, 'rollout.', baseDir));
  else {
    if (!Array.isArray(list) || list.length === 0 || !list.every(isObj)) throw new ConfigError(where, 'rollout.runs must be a non-empty list of mappings (name, lm, …)');
    if ('name' in shared) throw new ConfigError(where, 'rollout.name goes on each entry of rollout.runs');
    list.forEach((r, i) => runs.push(runOf(where, r as Obj, shared, `rollout.runs[${i}].`, baseDir)));
  }
  const seen = new Set<string>();
  for (const r of runs) {
    if (seen.has(r.name)) throw new ConfigError(where, `rollout: two runs are named "${r.name}": give each a distinct name:`);
    seen.add(r.name);
  }
  return { runs };
}

function sftOf(where: string, v: unknown, baseDir: string): SftStage {
  if (!isObj(v)) throw new ConfigError(where, 'sft must be a mapping (tokenizer, format, max_tokens, …)');
  const f = new Fields(where, v, 'sft.', SFT_KEYS, baseDir);
  const vars = f.obj('template_variables');
  return {
    tokenizer: f.path('tokenizer'),
    chatTemplate: f.path('chat_template'),
    templateVariables: vars,
    format: f.oneOf('format', SFT_FORMATS) ?? 'bash',
    maxTokens: f.int('max_tokens', 16) ?? 32768,
    chunking: f.oneOf('chunking', CHUNKING),
    maskErrors: f.bool('mask_errors') ?? true,
    curriculum: f.bool('curriculum') ?? true,
    exports: f.someOf('exports', EXPORTS) ?? [...EXPORTS],
    rollouts: f.strs('rollouts'),
    trajectories: (f.strs('trajectories') ?? []).map((p) => new Fields(where, { p }, 'sft.trajectories.', ['p'], baseDir).path('p')!),
    semiResolved: f.bool('semi_resolved') ?? false,
    maxPerInstance: f.int('max_per_instance', 0),
    workers: f.int('workers', 1) ?? 1,
    acceptFailedChecks: f.strs('accept_failed_checks') ?? [],
  };
}

function trainOf(where: string, v: unknown, baseDir: string): TrainStage {
  if (!isObj(v)) throw new ConfigError(where, 'train must be a mapping: the fields of a training plan (model, trainer, method, context_length, hardware, …) plus launch');
  const own: Obj = {};
  const plan: Obj = {};
  for (const [k, x] of Object.entries(v)) (TRAIN_OWN_KEYS.includes(k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)) ? own : plan)[k] = x;
  const f = new Fields(where, own, 'train.', TRAIN_OWN_KEYS, baseDir);
  if (!('model' in plan)) throw new ConfigError(where, 'train.model is required: a Hugging Face model folder (config.json and tokenizer files; weights optional)');
  return { plan, baseDir, launch: f.oneOf('launch', LAUNCH) ?? 'slurm', acceptFailedChecks: f.strs('accept_failed_checks') ?? [] };
}

function verifyOf(where: string, v: unknown, baseDir: string, runs: RolloutRun[]): VerifyStage {
  if (!isObj(v)) throw new ConfigError(where, 'verify must be a mapping (rollout, k, verifiers, …)');
  const f = new Fields(where, v, 'verify.', VERIFY_KEYS, baseDir);
  let name = f.str('rollout');
  if (!name) {
    const multi = runs.filter((r) => r.attempts > 1);
    if (multi.length !== 1) throw f.error('rollout', `is required: the rollout run whose attempts are compared (runs: ${runs.map((r) => `${r.name} ×${r.attempts}`).join(', ') || 'none'})`);
    name = multi[0]!.name;
  }
  const run = runs.find((r) => r.name === name);
  if (!run) throw f.error('rollout', `"${name}" is not a rollout run (runs: ${runs.map((r) => r.name).join(', ') || 'none: add a rollout section'})`);
  if (!run.evaluate) throw f.error('rollout', `"${name}" runs with eval: false; selection needs graded attempts`);
  const ks = f.ints('k', 1) ?? [1, 2, 4, 8, 16, 32, 64].filter((k) => k <= run.attempts);
  const verifiers = f.someOf('verifiers', VERIFIERS) ?? ['execution'];
  const lmRaw = f.obj('lm');
  let lm: JudgeConfig | undefined;
  if (lmRaw) {
    const j = new Fields(where, lmRaw, 'verify.lm.', JUDGE_KEYS, baseDir);
    const url = j.str('url');
    if (!url) throw j.error('url', 'is required (an OpenAI-compatible base URL that returns logprobs)');
    const template = j.str('template') ?? 'trajectory';
    lm = {
      url,
      model: j.str('model') ?? 'default',
      apiKeyEnv: j.str('api_key_env'),
      cacheDir: j.path('cache_dir'),
      template: template === 'trajectory' || template === 'patch' ? template : j.path('template')!,
      maxPromptTokens: j.int('max_prompt_tokens', 1),
      topLogprobs: j.int('top_logprobs', 1),
      concurrency: j.int('concurrency', 1),
    };
  }
  if (!lm && verifiers.some((x) => x !== 'execution')) throw f.error('lm', `is required for the ${verifiers.filter((x) => x !== 'execution').join(' and ')} verifier: a judge model {url, model}`);
  return { rollout: name, ks: [...new Set(ks)].sort((a, b) => a - b), verifiers, execTests: f.oneOf('exec_tests', ['oracle', 'agent'] as const) ?? 'oracle', workers: f.int('workers', 1) ?? 2, timeoutS: f.num('timeout_s', 1), backend: f.oneOf('backend', BACKENDS), lm };
}

/** Parse the recipe sections of a config mapping (absent sections stay undefined). */
export function resolveRecipe(raw: Obj, baseDir: string, where: string): RecipeConfig {
  const present = (k: string): boolean => raw[k] !== undefined && raw[k] !== null && raw[k] !== false;
  const rollout = present('rollout') ? rolloutOf(where, raw.rollout, baseDir) : undefined;
  const runs = rollout?.runs ?? [];
  const sft = present('sft') ? sftOf(where, raw.sft, baseDir) : undefined;
  const train = present('train') ? trainOf(where, raw.train, baseDir) : undefined;
  const verify = present('verify') ? verifyOf(where, raw.verify, baseDir, runs) : undefined;
  if (sft) {
    for (const n of sft.rollouts ?? []) if (!runs.some((r) => r.name === n)) throw new ConfigError(where, `sft.rollouts: "${n}" is not a rollout run (runs: ${runs.map((r) => r.name).join(', ') || 'none'})`);
    if (!runs.length && !sft.trajectories.length) throw new ConfigError(where, 'sft needs trajectories: add a rollout section, or sft.trajectories: [FILE|DIR, …]');
    if (!sft.tokenizer && !train) throw new ConfigError(where, 'sft.tokenizer is required (a folder with tokenizer.json and tokenizer_config.json), or set train.model and the tokenizer is taken from there');
  }
  if (train) {
    if (sft && 'dataset' in train.plan) throw new ConfigError(where, 'train.dataset is set by the pipeline (the sft stage\'s folder): remove it, or remove the sft section to train on a dataset built elsewhere');
    if (!sft && !('dataset' in train.plan)) throw new ConfigError(where, 'train needs a dataset: add an sft section, or train.dataset: an sft-formatter dataset folder');
  }
  return { rollout, sft, train, verify };
}

/** Output folder of the `train` stage: `<out>/train/run` unless the plan names one. */
export function trainOutputDir(out: string): string {
  return join(out, 'train', 'run');
}

/** trainer-launcher's `parsePlan`, as the pipeline uses it. */
interface PlanModule {
  parsePlan(input: unknown, baseDir?: string, file?: string): Record<string, unknown>;
}

/** rollout's `parseLmSpec`, as the pipeline uses it. */
interface RolloutSpecModule {
  parseLmSpec(spec: string): string | null;
}

/**
 * Check what the stage packages own before anything runs: every `train:` plan field against
 * trainer-launcher's plan schema (unknown keys rejected), and each rollout run's `lm` against
 * rollout's list of scripted teachers.
 */
export async function validateRecipe(r: RecipeConfig, where: string, out: string): Promise<void> {
  if (r.rollout) {
    const { parseLmSpec } = await loadStage<RolloutSpecModule>('rollout', '@swe-forge/rollout', ['parseLmSpec']);
    for (const run of r.rollout.runs) {
      try {
        parseLmSpec(run.lm);
      } catch (e) {
        throw new ConfigError(where, `rollout run "${run.name}": ${(e as Error).message}`);
      }
    }
  }
  if (r.train) {
    const { parsePlan } = await loadStage<PlanModule>('train', '@swe-forge/trainer-launcher', ['parsePlan']);
    try {
      parsePlan({ dataset: join(out, 'sft'), output_dir: trainOutputDir(out), ...r.train.plan }, r.train.baseDir, 'train');
    } catch (e) {
      throw new ConfigError(where, `${(e as Error).message.replace(/; see `swe-forge train plan --help` for the fields$/, '')}; train: takes the fields of a trainer-launcher plan (swe-forge train plan --help) plus launch and accept_failed_checks`);
    }
  }
}
