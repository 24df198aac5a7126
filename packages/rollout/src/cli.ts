/** The `swe-forge rollout` CLI: `run`, `teacher`, `merge`, `config`. */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { addExecutorOptions, executorName, parseShard, runCommander, runStageOnSlurm, slurmSettingsFromCli, type ExecutorCliOptions } from '@swe-forge/core/exec';
import { readJsonlAll } from '@swe-forge/core/jsonl';
import type { HistoryConfig, TaskInstance, Trajectory } from '@swe-forge/core/schema';
import { buildEnvironment, bwrapAvailable, loadSpec, openEnvironment, type Environment } from '@swe-forge/env-builder';
import { BASH_CONFIG_YAML, TOOLS_CONFIG_YAML } from './config/defaults.js';
import { loadAgentConfig, withOverrides } from './config/load.js';
import type { Mode, ToolFormat } from './config/types.js';
import { parseLmSpec, resolveLm } from './batch/lm.js';
import { mergeRollouts, runRollouts } from './batch/run.js';
import { outputPaths, trajectoryKey } from './batch/outputs.js';
import { POLICIES, type Policy } from './teacher/plan.js';
import { startTeacher } from './teacher/server.js';

/** Parse and run a commander program, turning any failure into one `error: …` line (core's `runCommander`). */
export { runCommander };

/** Streams the CLI writes to; `signal` stops a long-running `teacher` (tests). */
export interface CliIo {
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  signal?: AbortSignal;
}

const int = (name: string, min = 0) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got "${v}"`);
  return n;
};
const num = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative number, got "${v}"`);
  return n;
};

interface RunFlags {
  instances: string;
  lm: string;
  model?: string;
  config?: string;
  mode?: Mode;
  toolFormat?: ToolFormat;
  attempts: number;
  workers: number;
  limit?: number;
  out: string;
  repo?: string;
  env?: string;
  backend?: 'venv' | 'bwrap';
  findLinks?: string[];
  index?: boolean;
  shard?: string;
  shardOut?: string;
  seed?: number;
  temperature?: number;
  stepLimit?: number;
  costLimit?: number;
  wallTimeLimit?: number;
  timeout?: number;
  evalTimeout: number;
  eval: boolean;
  historyLast?: number;
  maxPromptTokens?: number;
  apiKeyEnv: string;
  maxRetries: number;
  lmTimeout?: number;
  promptPrice?: number;
  completionPrice?: number;
  cache?: string;
  cacheMode: 'off' | 'record' | 'replay' | 'auto';
  wrongRate: number;
  json?: boolean;
}

async function openEnv(f: RunFlags, log: (s: string) => void): Promise<Environment> {
  const backend = f.backend ?? ((await bwrapAvailable()).ok ? 'bwrap' : 'venv');
  if (f.env) {
    const dir = resolve(f.env);
    return openEnvironment(loadSpec(dir), { backend });
  }
  if (!f.repo) throw new Error('rollout run needs the environment: pass --repo DIR (the repository; its environment is built or taken from the cache) or --env DIR (a built environment folder with spec.json)');
  const dir = resolve(f.repo);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`repository ${f.repo} is not a directory: pass the path of the checked-out repository the instances come from`);
  const built = await buildEnvironment(dir, { findLinks: f.findLinks, noIndex: f.index === false, log: () => {} });
  log(`environment ${built.spec.id}${built.cached ? ' (cached)' : ''}, backend ${backend}`);
  return openEnvironment(built, { backend });
}

function historyOf(f: RunFlags, base: HistoryConfig): HistoryConfig {
  const h: HistoryConfig = structuredClone(base);
  if (f.historyLast !== undefined) h.processor = { type: 'last_n_observations', n: f.historyLast, placeholder: 'Old environment output: ({lines} lines omitted)' };
  if (f.maxPromptTokens !== undefined) h.condenser = { type: 'mask_oldest_observations', max_prompt_tokens: f.maxPromptTokens, target_ratio: 0.75, placeholder: 'Old environment output: ({lines} lines omitted)' };
  return h;
}

/**
 * `rollout run --executor slurm`: the environment is built here once (array tasks open its folder
 * with `--env`), every array task runs a shard of the instance×attempt keys with the same flags,
 * and the shards are merged by key into `<out>/trajectories.jsonl` with preds.json and summary.json.
 */
async function runOnSlurm(f: RunFlags & ExecutorCliOptions, argv: string[], log: (s: string) => void, print: (s: string) => void): Promise<void> {
  const outDir = resolve(f.out);
  // built (or taken from the cache) here once: every array task opens this folder, never rebuilding
  const env = await openEnv(f, log);
  const envDir = env.spec.meta.env_dir;
  await env.dispose();
  if (typeof envDir !== 'string') throw new Error('the environment records no folder (spec.meta.env_dir): rebuild it with swe-forge env build');
  const policy = parseLmSpec(f.lm);
  const settings = slurmSettingsFromCli(f);
  const r = await runStageOnSlurm<Trajectory>({
    cliModuleUrl: import.meta.url,
    argv,
    rewrite: { outFlag: '--shard-out', absolutize: ['--instances', '--out', '--config', '--cache'], drop: ['--repo', '--env', '--find-links'], dropBoolean: ['--no-index'] },
    extraArgs: ['--env', envDir],
    out: outputPaths.trajectories(outDir),
    settings: { ...settings, runDir: settings.runDir ?? join(outDir, 'slurm') },
    jobName: 'swe-forge-rollout',
    key: trajectoryKey,
    schema: 'Trajectory',
    requirePaths: [
      { path: resolve(f.instances), what: 'instances file' },
      { path: envDir, what: 'environment' },
    ],
    requireUrls: policy ? [] : [{ url: f.lm, what: 'LM endpoint' }],
    log: (l) => log(`[slurm] ${l}`),
  });
  if (!r.complete) {
    print(f.json ? JSON.stringify({ executor: 'slurm', complete: false, submitted: r.submitted, run_dir: r.runDir }) : `submitted ${r.submitted} array task(s) (${r.runDir}); rerun the same command to follow and merge`);
    return;
  }
  const { summary } = await mergeRollouts(outDir);
  const report = { executor: 'slurm', complete: true, submitted: r.submitted, run_dir: r.runDir, shards: r.state.count, trajectories: outputPaths.trajectories(outDir), summary };
  if (f.json) print(JSON.stringify(report, null, 2));
  else print(`rollout: ${summary.attempts} attempts merged from ${r.state.count} Slurm array tasks; resolved ${summary.resolved}/${summary.evaluated} -> ${report.trajectories}`);
}

/** Run the `swe-forge rollout` CLI with `argv` (subcommand first); returns the exit code. */
export async function runCli(argv: string[], io: CliIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const print = (s: string): void => void stdout.write(s.endsWith('\n') ? s : `${s}\n`);
  const program = new Command('swe-forge rollout')
    .description('Run a teacher model as an agent on task instances and record trajectories (mini-swe-agent compatible).')
    .exitOverride()
    .configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s), outputError: () => {} })
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      `
Examples:
  $ swe-forge rollout run --instances instances.jsonl --repo ./myrepo --lm scripted:oracle --out rollouts/
  $ swe-forge rollout run --instances instances.jsonl --repo ./myrepo --lm http://127.0.0.1:8000/v1 --model Qwen2.5-Coder-32B-Instruct --config swebench_backticks.yaml --attempts 4 --temperature 0.7 --workers 8 --out rollouts/
  $ swe-forge rollout teacher --port 8123 --instances instances.jsonl --policy noisy
  $ swe-forge rollout merge --out rollouts/`,
    );

  const run = program
    .command('run')
    .description('run K attempts per instance, grade each with the validator, write trajectories (resumable; rerun to continue)')
    .requiredOption('--instances <file>', 'TaskInstance JSONL (from `swe-forge gather` / `swe-forge issues write`)')
    .requiredOption('--lm <url>', 'OpenAI-compatible base URL (vLLM, SGLang, a hosted API), or scripted:oracle|scripted:noisy|scripted:mixed')
    .requiredOption('--out <dir>', 'output folder: trajectories.jsonl, <instance_id>/<attempt>.traj.json, preds.json, summary.json')
    .option('--model <name>', 'model name sent to the server (default for scripted teachers: scripted:<policy>)')
    .option('--config <file>', "agent config in mini-swe-agent's YAML layout (e.g. its swebench_backticks.yaml); default: the built-in one of --mode")
    .addOption(new Option('--mode <mode>', 'agent mode').choices(['bash', 'tools']))
    .addOption(new Option('--tool-format <format>', 'how actions are written: text (bash blocks), xml or native tool calls').choices(['text', 'xml', 'native']))
    .option('--attempts <k>', 'attempts per instance (rejection sampling, verifiers)', int('--attempts', 1), 1)
    .option('--workers <n>', 'attempts running at once', int('--workers', 1), 1)
    .option('--limit <n>', 'take the first N instances', int('--limit', 1))
    .option('--repo <dir>', 'the repository the instances come from (its environment is built or taken from the cache)')
    .option('--env <dir>', 'a built environment folder (with spec.json) instead of --repo')
    .addOption(new Option('--backend <name>', 'sandbox backend (default: bwrap where it works, else venv)').choices(['venv', 'bwrap']))
    .option('--find-links <dir>', 'offline wheelhouse for building the environment (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--no-index', 'never contact a package index while building the environment')
    .option('--shard-out <file>', 'with --shard: write the shard\'s trajectories here (default <out>/trajectories.shard-i-of-n.jsonl; merge those with `rollout merge`)')
    .option('--seed <n>', 'send seed+attempt with every request (and seed the scripted teacher)', int('--seed'))
    .option('--temperature <t>', 'sampling temperature (default: the config)', num('--temperature'))
    .option('--step-limit <n>', 'most model calls per attempt (overrides agent.step_limit; 0 = none)', int('--step-limit'))
    .option('--cost-limit <usd>', 'stop an attempt past this cost (overrides agent.cost_limit; 0 = none)', num('--cost-limit'))
    .option('--wall-time-limit <s>', 'stop an attempt after this many seconds (overrides agent.wall_time_limit_seconds)', num('--wall-time-limit'))
    .option('--timeout <s>', 'per-command timeout in seconds (overrides environment.timeout; the process group is killed)', num('--timeout'))
    .option('--eval-timeout <s>', 'timeout of one grading test run in seconds', num('--eval-timeout'), 90)
    .option('--no-eval', 'do not grade submissions (eval can run later with `swe-forge eval` on preds.json)')
    .option('--history-last <n>', 'show only the last N observations in full (SWE-smith used 5); recorded on each trajectory', int('--history-last'))
    .option('--max-prompt-tokens <n>', 'condense: mask the oldest observations when a prompt would pass N tokens (estimated)', int('--max-prompt-tokens', 1))
    .option('--api-key-env <name>', 'environment variable holding the API key (missing is fine for local servers)', 'OPENAI_API_KEY')
    .option('--max-retries <n>', 'retries of a model call on 429/5xx/timeouts', int('--max-retries'), 5)
    .option('--lm-timeout <s>', 'timeout of one model call in seconds', num('--lm-timeout'))
    .option('--prompt-price <usd>', 'USD per million prompt tokens (for cost and cost limits)', num('--prompt-price'))
    .option('--completion-price <usd>', 'USD per million completion tokens', num('--completion-price'))
    .option('--cache <dir>', 'LM cache folder (record/replay)')
    .addOption(new Option('--cache-mode <mode>', 'LM cache mode').choices(['off', 'record', 'replay', 'auto']).default('auto'))
    .option('--wrong-rate <r>', 'scripted:mixed: share of attempts that fail', num('--wrong-rate'), 0.5)
    .option('--json', 'print the summary as JSON (no progress line)');
  addExecutorOptions(run)
    .addHelpText(
      'after',
      `
Examples:
  $ swe-forge rollout run --instances instances.jsonl --repo ./myrepo --lm scripted:oracle --out rollouts/ --find-links /opt/pypi/files --no-index
  $ swe-forge rollout run --instances instances.jsonl --repo ./myrepo --lm http://127.0.0.1:8000/v1 --model my-model --mode tools --tool-format native --attempts 4 --temperature 0.8 --out rollouts/
  $ swe-forge rollout run --instances instances.jsonl --env ~/.cache/swe-forge/envs/myrepo.1234 --lm http://gpu01:8000/v1 --model my-model --shard 3/16 --out rollouts/
  $ swe-forge rollout run --instances /shared/instances.jsonl --repo /shared/myrepo --lm http://gpu01:8000/v1 --model my-model --attempts 4 \\
      --out /shared/rollouts --executor slurm --slurm-shards 64 --slurm-partition cpu --slurm-time 08:00:00`,
    )
    .action(async (f: RunFlags & ExecutorCliOptions) => {
      const log = (s: string): void => {
        if (!f.json) void stderr.write(`${s}\n`);
      };
      if (executorName(f) === 'slurm') return runOnSlurm(f, argv, log, print);
      const shard = f.shard ? parseShard(f.shard) : undefined;
      let instances = await readJsonlAll<TaskInstance>(f.instances, { schema: 'TaskInstance' }).catch((e: Error) => {
        throw new Error(`cannot read instances ${f.instances}: ${e.message}`);
      });
      if (f.limit !== undefined) instances = instances.slice(0, f.limit);
      if (instances.length === 0) throw new Error(`no instances in ${f.instances}: pass a TaskInstance JSONL file`);
      const policy = parseLmSpec(f.lm);
      const model = f.model ?? (policy ? `scripted:${policy}` : undefined);
      if (!model) throw new Error('--model is required with a server URL: pass the model name the server serves');
      let config = await loadAgentConfig({ path: f.config, mode: f.mode, toolFormat: f.toolFormat });
      config = withOverrides(config, { stepLimit: f.stepLimit, costLimit: f.costLimit, wallTimeLimitS: f.wallTimeLimit, commandTimeoutS: f.timeout });
      config.rollout.history = historyOf(f, config.rollout.history);
      const prices = f.promptPrice !== undefined || f.completionPrice !== undefined ? { [model]: { prompt_per_mtok: f.promptPrice ?? 0, completion_per_mtok: f.completionPrice ?? 0 } } : undefined;
      const lm = await resolveLm(f.lm, {
        model,
        instances,
        seed: f.seed,
        wrongRate: f.wrongRate,
        apiKeyEnv: f.apiKeyEnv,
        maxRetries: f.maxRetries,
        concurrency: f.workers,
        timeoutMs: f.lmTimeout !== undefined ? Math.round(f.lmTimeout * 1000) : undefined,
        cache: f.cache ? { dir: f.cache, mode: f.cacheMode } : undefined,
        prices,
        log,
      });
      let env: Environment | undefined;
      try {
        env = await openEnv(f, log);
        const r = await runRollouts({
          instances,
          env,
          lm: lm.client,
          model,
          config,
          outDir: f.out,
          attempts: f.attempts,
          workers: f.workers,
          shard,
          shardOut: f.shardOut ? resolve(f.shardOut) : undefined,
          evaluate: f.eval,
          evalTimeoutS: f.evalTimeout,
          seed: f.seed,
          temperature: f.temperature,
          progress: f.json ? false : undefined,
          log,
        });
        const report = { done: r.done, skipped: r.skipped, failed: r.failed, errors: r.errors.slice(0, 20), trajectories: r.trajectoriesPath, summary: r.summary };
        if (f.json) print(JSON.stringify(report, null, 2));
        else {
          print(`rollout: ${r.done} attempts recorded, ${r.skipped} already done, ${r.failed} failed -> ${r.trajectoriesPath}`);
          if (r.summary) {
            const s = r.summary;
            print(`resolved ${s.resolved}/${s.evaluated} (${(100 * s.resolved_rate).toFixed(1)}%), semi-resolved ${s.semi_resolved}; exits ${Object.entries(s.exit_statuses).map(([k, v]) => `${k}=${v}`).join(', ')}; $${s.cost.toFixed(4)}, ${s.tokens} tokens`);
          }
        }
        if (r.failed > 0) throw new Error(`${r.failed} attempt(s) failed and were not recorded (first: ${r.errors[0]!.key}: ${r.errors[0]!.error}); rerun the same command to retry them`);
      } finally {
        await env?.dispose();
        await lm.close();
      }
    });

  program
    .command('teacher')
    .description('serve the scripted teacher (OpenAI-compatible) for jobs on other machines; runs until interrupted')
    .requiredOption('--port <p>', 'port to listen on (0: any free port)', int('--port'))
    .requiredOption('--instances <file>', 'the TaskInstance JSONL the runs use')
    .addOption(new Option('--policy <name>', 'teacher policy').choices([...POLICIES]).default('oracle'))
    .option('--host <addr>', 'interface to listen on', '127.0.0.1')
    .option('--seed <n>', 'seed of the teacher choices', int('--seed'), 0)
    .option('--wrong-rate <r>', 'mixed: share of attempts that fail', num('--wrong-rate'), 0.5)
    .addHelpText('after', '\nExample:\n  $ swe-forge rollout teacher --port 8123 --instances instances.jsonl --policy noisy\n  then: swe-forge rollout run ... --lm http://127.0.0.1:8123/v1 --model scripted:noisy')
    .action(async (f: { port: number; instances: string; policy: Policy; host: string; seed: number; wrongRate: number }) => {
      const instances = await readJsonlAll<TaskInstance>(f.instances, { schema: 'TaskInstance' });
      const server = await startTeacher({ instances, policy: f.policy, seed: f.seed, wrongRate: f.wrongRate, host: f.host, port: f.port });
      print(`scripted teacher (${f.policy}) for ${instances.length} instances on ${server.url}`);
      await new Promise<void>((done) => {
        const stop = (): void => done();
        io.signal?.addEventListener('abort', stop, { once: true });
        if (!io.signal) {
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        }
      });
      await server.close();
      print(`scripted teacher stopped after ${server.answered} answers`);
    });

  program
    .command('merge')
    .description('fold shard outputs (trajectories.shard-*.jsonl) into trajectories.jsonl by key; write preds.json and summary.json')
    .requiredOption('--out <dir>', 'the output folder the shards wrote to')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', '\nExample:\n  $ swe-forge rollout merge --out rollouts/')
    .action(async (f: { out: string; json?: boolean }) => {
      const { added, summary } = await mergeRollouts(f.out);
      if (f.json) print(JSON.stringify({ added, summary }, null, 2));
      else print(`merged ${added} attempts; ${summary.attempts} in total, resolved ${summary.resolved}/${summary.evaluated}`);
    });

  program
    .command('config')
    .description("print a built-in agent config (mini-swe-agent's YAML layout) to copy and edit")
    .addOption(new Option('--mode <mode>', 'agent mode').choices(['bash', 'tools']).default('bash'))
    .addHelpText('after', '\nExample:\n  $ swe-forge rollout config --mode tools > tools.yaml')
    .action((f: { mode: Mode }) => {
      print(f.mode === 'tools' ? TOOLS_CONFIG_YAML : BASH_CONFIG_YAML);
    });

  return runCommander(program, argv, stderr);
}
