/**
 * The validator CLI: `validate`, `gather` and `eval` (the umbrella `swe-forge` command
 * dispatches `swe-forge validate|gather|eval ...` here with the subcommand first).
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { addExecutorOptions, executorName, parseShard, runCommander, runStageOnSlurm, slurmSettingsFromCli } from '@swe-forge/core/exec';
import { readJsonlAll, writeJsonlAtomic } from '@swe-forge/core/jsonl';
import type { BugCandidate, TaskInstance, ValidationResult } from '@swe-forge/core/schema';
import { buildEnvironment, loadSpec, openEnvironment } from '@swe-forge/env-builder';
import { evaluatePredictions, loadPredictions, type EvalResult } from './evaluate.js';
import { formatYieldTable, gatherInstances, yieldByStrategy } from './gather.js';
import type { TestSelection } from './selection.js';
import type { ValidatorEnvironment } from './types.js';
import { validateCandidates, type ExecutionRunner } from './validate.js';

interface Io {
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

class UsageError extends Error {}

function int(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`${name} must be a non-negative number, got ${JSON.stringify(v)}`);
    return n;
  };
}

interface EnvFlags {
  env?: string;
  backend?: 'venv' | 'bwrap';
  findLinks?: string[];
  noIndex?: boolean;
  index?: boolean;
  extraPackages?: string[];
}

async function environmentFor(repo: string, flags: EnvFlags, log: (s: string) => void): Promise<ValidatorEnvironment & { dispose(): Promise<void> }> {
  if (flags.env) {
    // a built environment folder (spec.json): what Slurm array tasks open, never rebuilding
    const spec = loadSpec(resolve(flags.env));
    log(`environment ${spec.id} (from ${flags.env})`);
    return openEnvironment(spec, flags.backend ? { backend: flags.backend } : {});
  }
  const dir = resolve(repo);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`repository ${repo} is not a directory: pass the path of a checked-out Python repository`);
  const built = await buildEnvironment(dir, {
    backend: flags.backend,
    findLinks: flags.findLinks,
    noIndex: flags.noIndex || flags.index === false,
    extraPackages: flags.extraPackages,
    log,
  });
  log(`environment ${built.spec.id}${built.cached ? ' (cached)' : ''}`);
  return openEnvironment(built);
}

/** The folder of a built environment (its spec.json is there). */
function envDirOf(spec: { meta: Record<string, unknown> }): string {
  const dir = spec.meta.env_dir;
  if (typeof dir !== 'string') throw new Error('the environment records no folder (spec.meta.env_dir): rebuild it with swe-forge env build');
  return dir;
}

function envOptions(cmd: Command): Command {
  return cmd
    .option('--env <dir>', 'a built environment folder (with spec.json, from `swe-forge env build`) instead of building one for <repo>')
    .addOption(new Option('--backend <name>', 'sandbox backend').choices(['venv', 'bwrap']))
    .option('--find-links <dir>', 'offline wheelhouse for building the environment (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--no-index', 'never contact a package index while building the environment')
    .option('--extra-packages <names>', 'extra packages for the environment, comma separated (e.g. coverage)', (v: string) => v.split(',').filter(Boolean));
}

/** Run the validator CLI with `argv` (subcommand first, e.g. `['validate', repo, ...]`); returns the exit code. */
export async function runCli(argv: string[], io: Io = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const say = (s: string): void => void stdout.write(`${s}\n`);
  const program = new Command('swe-forge')
    .description('Validate bug candidates into task instances, gather them, and evaluate model patches.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => void stdout.write(s), writeErr: (s) => void stderr.write(s), outputError: () => {} })
    .showSuggestionAfterError();

  addExecutorOptions(envOptions(
    program
      .command('validate <repo>')
      .description('apply each candidate bug in an isolated copy, run the tests, and record FAIL_TO_PASS / PASS_TO_PASS')
      .requiredOption('--candidates <file>', 'JSONL of BugCandidate (e.g. from `swe-forge bugs`)')
      .requiredOption('--out <file>', 'JSONL of ValidationResult (resumable; baseline, coverage map and logs are written next to it)')
      .addOption(new Option('--tests <mode>', 'test selection: full suite, test files importing the patched module, or per-test coverage').choices(['full', 'files', 'coverage']).default('full'))
      .addOption(
        new Option('--runner <kind>', 'how selected tests run: a fresh python per candidate (isolated), or forked from a worker that imported and collected once (warm; needs --tests coverage)')
          .choices(['isolated', 'warm'])
          .default('isolated'),
      )
      .option('--workers <n>', 'parallel isolated working copies', int('--workers'), 1)
      .option('--timeout <s>', 'per-candidate test timeout in seconds (the whole process group is killed); no run lasts longer', int('--timeout'), 90)
      .option('--bound-factor <k>', 'stop a run at max(--bound-floor, k × the baseline seconds of its tests), and a test at max(--test-timeout-floor, k × its baseline seconds)', int('--bound-factor'), 5)
      .option('--bound-floor <s>', 'a run may always take this many seconds', int('--bound-floor'), 30)
      .option('--test-timeout-floor <s>', 'a test may always take this many seconds (per-test timeouts need pytest-timeout in the environment)', int('--test-timeout-floor'), 10)
      .option('--no-bounds', 'only --timeout bounds a run (no baseline-based bound, no per-test timeouts)')
      .option('--verify-sample <n>', 'also run the full suite on N random candidates and report F2P agreement', int('--verify-sample'), 0)
      .option('--seed <n>', 'seed of the verify sample', int('--seed'), 0)
      .option('--confirm', 're-run the FAIL_TO_PASS tests once more and keep only those that fail again')
      .addOption(new Option('--missing <policy>', 'a baseline-passing test missing from the bug run: count as failed when its file failed to collect (fail), or never (ignore)').choices(['fail', 'ignore']).default('fail'))
      .option('--baseline-of <file>', 'reuse the baseline and coverage map recorded next to this results file (what Slurm array tasks do)')
      .option('--json', 'print the run statistics as JSON'),
  ))
    .addHelpText(
      'after',
      `
Examples:
  swe-forge validate ./myrepo --candidates bugs.jsonl --out results.jsonl
  swe-forge validate ./myrepo --candidates bugs.jsonl --out results.jsonl --tests coverage --workers 4 --verify-sample 20
  swe-forge validate ./myrepo --candidates bugs.jsonl --out results.jsonl --tests coverage --runner warm --verify-sample 20   # forked runs, checked against isolated ones
  swe-forge validate ./myrepo --candidates bugs.jsonl --out results.jsonl --find-links /opt/pypi/files --no-index --timeout 120
  swe-forge validate ./myrepo --candidates bugs.jsonl --out results.jsonl --bound-factor 10 --test-timeout-floor 30   # slower machines
  swe-forge validate /shared/repos/myrepo --candidates /shared/bugs.jsonl --out /shared/results.jsonl --tests coverage \\
      --executor slurm --slurm-shards 32 --slurm-partition cpu --slurm-cpus 2 --slurm-time 04:00:00   # a Slurm job array`,
    )
    .action(async (repo: string, o: Record<string, unknown>) => {
      const json = Boolean(o.json);
      const log = (s: string): void => {
        if (!json) void stderr.write(`${s}\n`);
      };
      if (o.runner === 'warm' && o.tests !== 'coverage') throw new UsageError(`--runner warm needs --tests coverage (got --tests ${String(o.tests)}): its per-test coverage decides what may be swapped into a forked run`);
      const candidates = await readJsonlAll<BugCandidate>(o.candidates as string, { schema: 'BugCandidate' });
      const env = await environmentFor(repo, o as EnvFlags, log);
      try {
        let slurm: { complete: boolean; submitted: number; run_dir: string; shards: number } | undefined;
        if (executorName(o) === 'slurm') {
          // the baseline once, here: every array task reuses it (--baseline-of)
          const out = resolve(o.out as string);
          await validateCandidates(env, [], { out, tests: o.tests as TestSelection, timeoutS: o.timeout as number, progress: false, log });
          const r = await runStageOnSlurm<ValidationResult>({
            cliModuleUrl: import.meta.url,
            argv,
            rewrite: { outFlag: '--out', absolutize: ['--candidates', '--find-links', '--env'], drop: ['--verify-sample', '--baseline-of', '--env'], positional: [repo] },
            extraArgs: ['--baseline-of', out, '--env', envDirOf(env.spec)],
            out,
            settings: slurmSettingsFromCli(o),
            jobName: 'swe-forge-validate',
            key: (x) => x.candidate_id,
            schema: 'ValidationResult',
            requirePaths: [
              { path: resolve(repo), what: 'repository checkout' },
              { path: resolve(o.candidates as string), what: 'candidates file' },
              { path: envDirOf(env.spec), what: 'environment' },
            ],
            log: (l) => log(`[slurm] ${l}`),
          });
          if (!r.complete) {
            say(json ? JSON.stringify({ executor: 'slurm', complete: false, submitted: r.submitted, run_dir: r.runDir }) : `submitted ${r.submitted} array task(s) (${r.runDir}); rerun the same command to follow and merge`);
            return;
          }
          slurm = { complete: true, submitted: r.submitted, run_dir: r.runDir, shards: r.state.count };
        }
        const { results, stats } = await validateCandidates(env, candidates, {
          out: o.out as string,
          tests: o.tests as TestSelection,
          runner: o.runner as ExecutionRunner,
          workers: Math.max(1, o.workers as number),
          timeoutS: o.timeout as number,
          bounds: o.bounds === false ? false : { factor: o.boundFactor as number, floorS: o.boundFloor as number, testFloorS: o.testTimeoutFloor as number },
          verifySample: o.verifySample as number,
          seed: o.seed as number,
          confirm: Boolean(o.confirm),
          missing: o.missing as 'fail' | 'ignore',
          progress: !json,
          log,
          shard: o.shard ? parseShard(o.shard as string) : undefined,
          baselineOf: o.baselineOf ? resolve(o.baselineOf as string) : undefined,
        });
        if (slurm) stats.slurm = slurm;
        if (json) say(JSON.stringify(stats, null, 2));
        else {
          if (slurm) say(`Slurm: ${slurm.shards} shards merged (${slurm.submitted} array task(s) submitted by this run; ${slurm.run_dir})`);
          const by = stats.by_status as Record<string, number>;
          say(`${results.length} result(s) in ${o.out}: ${Object.entries(by).map(([k, v]) => `${k} ${v}`).join(', ')}`);
          say(`${(stats.seconds_per_candidate as number).toFixed(2)} s per candidate, ${(stats.validations_per_minute as number).toFixed(1)} validations/minute (${stats.tests})`);
          const w = stats.warm as { decided_warm: number; ran_isolated: number; decided_without_run: number; fallbacks: Record<string, number> } | undefined;
          if (w) say(`warm runner: ${w.decided_warm} decided by a forked run, ${w.ran_isolated} isolated${Object.keys(w.fallbacks).length ? ` (${Object.entries(w.fallbacks).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}, ${w.decided_without_run} without running`);
          if (by.timeout) say(`${by.timeout} timed out: ${((stats.timed_out_share as number) * 100).toFixed(1)}% of the candidates' run time`);
          const v = stats.verify as { compared: number; identical_f2p: number; agreement: number | null } | undefined;
          if (v) say(`verify sample: ${v.identical_f2p}/${v.compared} identical FAIL_TO_PASS sets${v.agreement === null ? '' : ` (${(v.agreement * 100).toFixed(1)}%)`}`);
          say(formatYieldTable(yieldByStrategy(results)));
        }
      } finally {
        await env.dispose();
      }
    });

  program
    .command('gather')
    .description('turn validation results with >=1 FAIL_TO_PASS and >=1 PASS_TO_PASS into SWE-bench-shaped task instances')
    .requiredOption('--results <file>', 'JSONL of ValidationResult (from `swe-forge validate`)')
    .requiredOption('--out <file>', 'JSONL of TaskInstance')
    .option('--artifacts <dir>', 'write <dir>/<instance_id>/{patch.diff,test_output.txt,report.json}')
    .option('--base-commit <sha>', 'commit the bugs apply to (default: recorded by validate)')
    .option('--json', 'print the yield table as JSON')
    .addHelpText(
      'after',
      `
Examples:
  swe-forge gather --results results.jsonl --out instances.jsonl
  swe-forge gather --results results.jsonl --out instances.jsonl --artifacts artifacts/`,
    )
    .action(async (o: Record<string, unknown>) => {
      const results = await readJsonlAll<ValidationResult>(o.results as string, { schema: 'ValidationResult' });
      const instances = gatherInstances(results, { baseCommit: o.baseCommit as string | undefined, artifactsDir: o.artifacts as string | undefined });
      await writeJsonlAtomic(o.out as string, instances);
      const rows = yieldByStrategy(results);
      if (o.json) say(JSON.stringify({ instances: instances.length, yield: rows }, null, 2));
      else {
        say(`${instances.length} task instance(s) written to ${o.out}`);
        say(formatYieldTable(rows));
      }
    });

  addExecutorOptions(envOptions(
    program
      .command('eval <repo>')
      .description('grade model patches: RESOLVED_FULL / RESOLVED_PARTIAL / RESOLVED_NO per instance (test-file edits are reverted)')
      .requiredOption('--instances <file>', 'JSONL of TaskInstance')
      .requiredOption('--predictions <file>', 'preds.json (SWE-bench dict or list) or JSONL of {instance_id, model_patch}')
      .requiredOption('--out <dir>', 'folder for per-instance reports, results.jsonl and summary.json')
      .option('--workers <n>', 'parallel isolated working copies', int('--workers'), 1)
      .option('--timeout <s>', 'per-instance test timeout in seconds', int('--timeout'), 90)
      .option('--shard-results <file>', 'with --shard: write this shard\'s keyed results here instead of <out>/results.jsonl')
      .option('--json', 'print the summary as JSON'),
  ))
    .addHelpText(
      'after',
      `
Examples:
  swe-forge eval ./myrepo --instances instances.jsonl --predictions preds.json --out eval/
  swe-forge eval ./myrepo --instances instances.jsonl --predictions preds.jsonl --out eval/ --workers 4
  swe-forge eval /shared/myrepo --instances /shared/instances.jsonl --predictions /shared/preds.json --out /shared/eval --executor slurm --slurm-shards 16`,
    )
    .action(async (repo: string, o: Record<string, unknown>) => {
      const json = Boolean(o.json);
      const log = (s: string): void => {
        if (!json) void stderr.write(`${s}\n`);
      };
      const instances = await readJsonlAll<TaskInstance>(o.instances as string, { schema: 'TaskInstance' });
      const predictions = await loadPredictions(o.predictions as string);
      const env = await environmentFor(repo, o as EnvFlags, log);
      try {
        if (executorName(o) === 'slurm') {
          const outDir = resolve(o.out as string);
          const r = await runStageOnSlurm<EvalResult>({
            cliModuleUrl: import.meta.url,
            argv,
            rewrite: { outFlag: '--shard-results', absolutize: ['--instances', '--predictions', '--out', '--find-links'], drop: ['--env'], positional: [repo] },
            extraArgs: ['--env', envDirOf(env.spec)],
            out: join(outDir, 'results.jsonl'),
            settings: { ...slurmSettingsFromCli(o), runDir: slurmSettingsFromCli(o).runDir ?? join(outDir, 'slurm') },
            jobName: 'swe-forge-eval',
            key: (x) => x.instance_id,
            requirePaths: [
              { path: resolve(repo), what: 'repository checkout' },
              { path: resolve(o.instances as string), what: 'instances file' },
              { path: resolve(o.predictions as string), what: 'predictions file' },
              { path: envDirOf(env.spec), what: 'environment' },
            ],
            log: (l) => log(`[slurm] ${l}`),
          });
          if (!r.complete) {
            say(json ? JSON.stringify({ executor: 'slurm', complete: false, submitted: r.submitted, run_dir: r.runDir }) : `submitted ${r.submitted} array task(s) (${r.runDir}); rerun the same command to follow and merge`);
            return;
          }
        }
        // after a Slurm run every prediction is in results.jsonl: this only writes the summary
        const { summary } = await evaluatePredictions(env, instances, predictions, {
          outDir: o.out as string,
          workers: Math.max(1, o.workers as number),
          timeoutS: o.timeout as number,
          progress: !json,
          shard: o.shard ? parseShard(o.shard as string) : undefined,
          resultsPath: o.shardResults ? resolve(o.shardResults as string) : undefined,
        });
        if (json) say(JSON.stringify(summary, null, 2));
        else {
          say(`resolved ${summary.resolved_instances}/${summary.submitted_instances} (partial ${summary.partial_instances}, unresolved ${summary.unresolved_instances}); report in ${join(String(o.out), 'summary.json')}`);
        }
      } finally {
        await env.dispose();
      }
    });

  program.addHelpText(
    'after',
    `
Examples:
  swe-forge validate ./myrepo --candidates bugs.jsonl --out results.jsonl --tests coverage
  swe-forge gather --results results.jsonl --out instances.jsonl --artifacts artifacts/
  swe-forge eval ./myrepo --instances instances.jsonl --predictions preds.json --out eval/`,
  );

  return runCommander(program, argv, stderr);
}
