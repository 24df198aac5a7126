import { Command, InvalidArgumentError, Option } from 'commander';
import { addExecutorOptions, executorName, parseShard, runCommander, runStageOnSlurm, slurmSettingsFromCli, type ExecutorCliOptions } from '@swe-forge/core/exec';
import { isAbsolute, resolve } from 'node:path';
import { readJsonlAll, writeJsonlAtomic } from '@swe-forge/core/jsonl';
import { LmClient } from '@swe-forge/core/lm';
import type { TaskInstance } from '@swe-forge/core/schema';
import { MODIFIER_DESCRIPTIONS, STRATEGY_DESCRIPTIONS } from './describe.js';
import { loadDemonstrations } from './lm/prompt.js';
import { ISSUE_STRATEGIES, type IssueStrategy } from './strategies.js';
import { ISSUE_TEMPLATES } from './templates.js';
import { writeProblemStatements } from './write.js';

/** Parse and run a commander program, turning any failure into one `error: …` line and an exit code (core's `runCommander`). */
export { runCommander };

/** Streams the CLI writes to (tests pass their own). */
export interface CliIo {
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

const int = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer, got "${v}"`);
  return n;
};

/**
 * Run the `swe-forge issues` CLI. `argv` excludes node and the script
 * (e.g. `['write', '--instances', 'i.jsonl', '--out', 'o.jsonl', '--strategy', 'template']`).
 * Returns the exit code.
 */
export async function runCli(argv: string[], io: CliIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const print = (s: string): void => void stdout.write(s.endsWith('\n') ? s : `${s}\n`);
  const program = new Command('swe-forge issues')
    .description('Write problem statements (issue texts) for task instances.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s), outputError: () => {} })
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      `
Strategies:
  template   one of the nine weighted templates of the SWE-smith paper (Table 14)
  tests      the source of one failing test plus its failing output
  lm         an LM writes a GitHub-style issue (leaks of the fix or test names are rejected and retried)
  original   the issue linked to the PR a pr_mirror instance came from

Examples:
  $ swe-forge issues write --instances instances.jsonl --strategy template --repo ./myrepo --out issues.template.jsonl
  $ swe-forge issues write --instances instances.jsonl --strategy lm --lm-url http://127.0.0.1:8000/v1 --model qwen --repo ./myrepo --artifacts ./artifacts --out issues.lm.jsonl
  $ swe-forge issues templates`,
    );

  const write = program
    .command('write')
    .description('write a problem statement for each instance with one strategy (resumable)')
    .requiredOption('--instances <file>', 'TaskInstance JSONL (from `swe-forge gather`)')
    .requiredOption('--out <file>', 'output JSONL: the instances with problem_statement set; rerun to resume')
    .addOption(new Option('--strategy <name>', 'issue strategy').choices([...ISSUE_STRATEGIES]).default('template'))
    .option('--seed <n>', 'seed for template/test/demonstration choices', int('--seed'), 0)
    .option('--repo <dir>', 'clean checkout of the repository (test sources, changed function names)')
    .option('--artifacts <dir>', 'validator artifacts folder with <instance_id>/test_output.txt')
    .option('--lm-url <url>', 'OpenAI-compatible base URL for the lm strategy (e.g. http://127.0.0.1:8000/v1)')
    .option('--model <name>', 'model name for the lm strategy', 'default')
    .option('--api-key-env <name>', 'environment variable holding the API key (missing is fine for local servers)', 'OPENAI_API_KEY')
    .option('--cache <dir>', 'LM cache folder (record/replay makes reruns free and reproducible)')
    .addOption(new Option('--cache-mode <mode>', 'LM cache mode').choices(['off', 'record', 'replay', 'auto']).default('auto'))
    .option('--demos <file>', 'your own demonstration issues: JSON array of strings / {problem_statement} objects, or JSONL')
    .option('--max-attempts <n>', 'LM drafts per instance before a leaking instance is skipped', int('--max-attempts'), 3)
    .option('--concurrency <n>', 'instances in flight at once', int('--concurrency'))
    .option('--json', 'print the run statistics as JSON');
  addExecutorOptions(write)
    .addHelpText(
      'after',
      `
Examples:
  $ swe-forge issues write --instances instances.jsonl --strategy tests --repo ./myrepo --artifacts ./artifacts --out issues.tests.jsonl
  $ swe-forge issues write --instances instances.jsonl --strategy lm --lm-url http://127.0.0.1:8000/v1 --model my-model --cache .lm-cache --out issues.lm.jsonl --json
  $ swe-forge issues write --instances /shared/instances.jsonl --strategy lm --lm-url http://gpu-node-7:8000/v1 --model my-model \\
      --out /shared/issues.lm.jsonl --executor slurm --slurm-shards 16 --slurm-partition cpu --slurm-time 01:00:00`,
    )
    .action(async (o: { instances: string; out: string; strategy: IssueStrategy; seed: number; repo?: string; artifacts?: string; lmUrl?: string; model: string; apiKeyEnv: string; cache?: string; cacheMode: 'off' | 'record' | 'replay' | 'auto'; demos?: string; maxAttempts: number; concurrency?: number; json?: boolean } & ExecutorCliOptions) => {
      if (o.strategy === 'lm' && !o.lmUrl) throw new CliFailure('--strategy lm needs an LM server', 'pass --lm-url http://HOST:PORT/v1 (and --model)');
      if (executorName(o) === 'slurm') {
        const s = slurmSettingsFromCli(o);
        const out = resolve(o.out);
        const abs = (p: string | undefined): string | undefined => (p === undefined ? undefined : isAbsolute(p) ? p : resolve(p));
        const r = await runStageOnSlurm<TaskInstance>({
          cliModuleUrl: import.meta.url,
          argv,
          rewrite: { outFlag: '--out', absolutize: ['--instances', '--repo', '--artifacts', '--cache', '--demos'] },
          out,
          settings: s,
          jobName: `swe-forge-issues-${o.strategy}`,
          key: (r) => r.instance_id,
          schema: 'TaskInstance',
          requirePaths: [
            { path: abs(o.instances)!, what: 'instances file' },
            ...(o.repo ? [{ path: abs(o.repo)!, what: 'repository checkout' }] : []),
            ...(o.artifacts ? [{ path: abs(o.artifacts)!, what: 'artifacts folder' }] : []),
          ],
          requireUrls: o.lmUrl ? [{ url: o.lmUrl, what: 'LM endpoint' }] : [],
          log: o.json ? undefined : (l) => void stderr.write(`[slurm] ${l}\n`),
        });
        if (r.complete) {
          // the local run writes in input order; so does the merge of the shards
          const input = await readJsonlAll<TaskInstance>(o.instances, { schema: 'TaskInstance' });
          const merged = new Map((await readJsonlAll<TaskInstance>(out)).map((x) => [x.instance_id, x]));
          const ordered = [...new Set(input.map((i) => i.instance_id))].map((id) => merged.get(id)).filter((x): x is TaskInstance => !!x);
          await writeJsonlAtomic(out, [...ordered, ...[...merged.values()].filter((x) => !ordered.includes(x))], { schema: 'TaskInstance' });
        }
        if (o.json) print(JSON.stringify({ executor: 'slurm', complete: r.complete, submitted: r.submitted, records: r.records, run_dir: r.runDir }));
        else print(r.complete ? `${o.strategy}: ${r.records} instances written by ${r.state.count} Slurm array tasks -> ${o.out}` : `${o.strategy}: submitted ${r.submitted} array task(s); rerun the same command to follow and merge`);
        return;
      }
      let instances: TaskInstance[];
      try {
        instances = await readJsonlAll<TaskInstance>(o.instances, { schema: 'TaskInstance' });
      } catch (e) {
        throw new CliFailure(`cannot read instances ${o.instances}`, `${(e as Error).message}`);
      }
      const lm = o.lmUrl ? new LmClient({ baseURL: o.lmUrl, model: o.model, apiKeyEnv: o.apiKeyEnv, cache: o.cache ? { dir: o.cache, mode: o.cacheMode } : undefined }) : undefined;
      const demonstrations = o.demos ? await loadDemonstrations(o.demos) : undefined;
      const { stats } = await writeProblemStatements(instances, {
        strategy: o.strategy,
        out: o.out,
        seed: o.seed,
        repoDir: o.repo,
        artifactsDir: o.artifacts,
        lm,
        model: o.lmUrl ? o.model : undefined,
        demonstrations,
        maxAttempts: o.maxAttempts,
        concurrency: o.concurrency,
        progress: !o.json,
        shard: o.shard ? parseShard(o.shard) : undefined,
      });
      if (o.json) print(JSON.stringify(stats));
      else {
        const reasons = Object.entries(stats.skip_reasons).map(([k, v]) => `${k}=${v}`).join(', ');
        print(`${o.strategy}: ${stats.written} written, ${stats.resumed} resumed, ${stats.skipped} skipped${reasons ? ` (${reasons})` : ''} -> ${o.out}`);
        if (o.strategy === 'lm') print(`lm: ${stats.rejections.total} drafts rejected (quoted patch ${stats.rejections.quoted_patch_line}, named test ${stats.rejections.named_test}), ${stats.lm.prompt_tokens}+${stats.lm.completion_tokens} tokens, $${stats.lm.cost_usd.toFixed(4)}`);
      }
    });

  program
    .command('templates')
    .description("list the nine templates and their probabilities (SWE-smith paper, Table 14)")
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExample:\n  $ swe-forge issues templates --json')
    .action((o: { json?: boolean }) => {
      const rows = ISSUE_TEMPLATES.map((t) => ({ name: t.name, weight: t.weight, needs: t.needs }));
      if (o.json) print(JSON.stringify(rows));
      else for (const r of rows) print(`${r.name.padEnd(28)} ${r.weight.toFixed(2)}  ${r.needs.join(', ') || '-'}`);
    });

  program
    .command('describe')
    .description('list the plain-language description of each bug strategy used by the templates')
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExample:\n  $ swe-forge issues describe')
    .action((o: { json?: boolean }) => {
      const rows = { ...Object.fromEntries(Object.entries(MODIFIER_DESCRIPTIONS).map(([k, v]) => [`procedural/${k}`, v])), ...STRATEGY_DESCRIPTIONS };
      if (o.json) print(JSON.stringify(rows));
      else for (const [k, v] of Object.entries(rows)) print(`${k.padEnd(40)} ${v}`);
    });

  return runCommander(program, argv, stderr);
}

/** A CLI failure with a one-line message: what failed, and what to do. */
export class CliFailure extends Error {
  constructor(what: string, next: string) {
    super(`${what}: ${next}`);
    this.name = 'CliFailure';
  }
}

