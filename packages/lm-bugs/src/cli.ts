/** The `swe-forge bugs lm` command line (also the `swe-forge-lm-bugs` bin). */
import { Command, Option } from 'commander';
import { numberArg, runCommander } from '@swe-forge/core/exec';
import type { LmCacheMode, LmPrice } from '@swe-forge/core/lm';
import { REJECT_REASONS } from './answer.js';
import { generateLmBugs, type LmBugsStats } from './generate.js';
import type { LmBugMode } from './prompts.js';

interface Io {
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

function list(v: string, prev: string[] = []): string[] {
  return [...prev, ...v.split(/,(?![^{]*\})/).map((s) => s.trim()).filter(Boolean)];
}

/** One-paragraph summary of a run for the terminal. */
export function formatLmBugsSummary(s: LmBugsStats, out: string): string {
  const rej = [...REJECT_REASONS, 'git_apply_failed', 'duplicate'] as const;
  const reasons = rej.filter((r) => s.rejected[r] > 0).map((r) => `${r} ${s.rejected[r]}`);
  const lines = [
    `${s.candidates} ${s.mode} candidates -> ${out} (${s.already_in_output} already there) from ${s.selected} functions (${s.eligible} eligible of ${s.entities})`,
    `  answers ${s.answers} (${s.cache_hits} from cache, ${s.network_calls} new); rejected ${s.rejected_total}${reasons.length ? `: ${reasons.join(', ')}` : ''}; added comments stripped ${s.comments_stripped}`,
    `  tokens ${s.prompt_tokens} prompt + ${s.completion_tokens} completion; spent $${s.cost_usd.toFixed(4)} now, answers cost $${s.cost_usd_answers.toFixed(4)}; ${s.duration_s.toFixed(1)}s`,
  ];
  if (s.lm_errors) lines.push(`  LM errors ${s.lm_errors}: ${s.first_lm_error}`);
  if (s.stopped === 'max_cost') {
    lines.push(`  stopped at --max-cost $${s.max_cost_usd}: ${s.not_attempted} requests not sent; rerun with a higher --max-cost to continue (answers so far come from the cache)`);
  }
  return `${lines.join('\n')}\n`;
}

/** Runs the lm-bugs CLI with `argv` (no node/script prefix); returns the exit code. */
export async function runCli(argv: string[], io: Io = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const program = new Command('swe-forge bugs lm')
    .description('LM-written bug candidates: "modify" plants a subtle bug in each chosen function, "rewrite" re-implements it from its signature, docstring and surroundings.')
    .argument('<repo>', 'repository folder')
    .exitOverride()
    .configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s), outputError: () => undefined })
    .addOption(new Option('--mode <mode>', 'modify or rewrite').choices(['modify', 'rewrite']).makeOptionMandatory())
    .requiredOption('--lm <url>', 'OpenAI-compatible base URL (vLLM, SGLang, hosted), e.g. http://127.0.0.1:8000/v1')
    .requiredOption('--model <name>', 'model name sent to the server')
    .requiredOption('--out <file>', 'BugCandidate JSONL output (resumable)')
    .option('--max-cost <usd>', 'hard cap on this run\'s spending in USD (needs prices: --price-prompt/--price-completion)', numberArg('--max-cost', 0))
    .option('--price-prompt <usd>', 'USD per million prompt tokens of --model', numberArg('--price-prompt', 0))
    .option('--price-completion <usd>', 'USD per million completion tokens of --model', numberArg('--price-completion', 0))
    .option('--prompt <file>', 'prompt config YAML (default: the shipped prompts/<mode>.yaml)')
    .option('--cache <dir>', 'record/replay cache of LM answers (default: <out>.lm-cache)')
    .option('--no-cache', 'no cache: every run calls the server')
    .addOption(new Option('--cache-mode <mode>', 'auto: replay what is cached, call for the rest; replay: never call; record: always call').choices(['auto', 'record', 'replay']).default('auto'))
    .option('--api-key-env <name>', 'environment variable holding the API key (local servers need none)', 'OPENAI_API_KEY')
    .option('--concurrency <n>', 'requests in flight', numberArg('--concurrency', 1, true), 4)
    .option('--max-retries <n>', 'retries per request on 429/5xx/timeouts', numberArg('--max-retries', 0, true), 5)
    .option('--max-entities <n>', 'ask about at most N functions (seeded choice)', numberArg('--max-entities', 0, true))
    .option('--bugs-per-entity <n>', 'answers per function', numberArg('--bugs-per-entity', 1, true), 1)
    .option('--seed <n>', 'seed of the choice of functions, the prompt and the requests', numberArg('--seed', 0, true), 24)
    .option('--temperature <t>', 'sampling temperature (default: the prompt\'s, else 1 modify / 0 rewrite)', numberArg('--temperature', 0))
    .option('--max-tokens <n>', 'max_tokens per answer', numberArg('--max-tokens', 1, true), 4096)
    .option('--tags <tags>', 'only functions with all these tags (see swe-forge bugs entities)', list)
    .option('--min-complexity <n>', 'only functions at least this complex', numberArg('--min-complexity', 0, true))
    .option('--max-complexity <n>', 'only functions at most this complex', numberArg('--max-complexity', 0, true))
    .option('--min-lines <n>', 'only functions of at least N lines', numberArg('--min-lines', 1, true), 3)
    .option('--max-lines <n>', 'only functions of at most N lines', numberArg('--max-lines', 1, true), 200)
    .option('--include <glob>', 'only files matching (repeatable, comma-separated)', list)
    .option('--exclude <glob>', 'leave out files matching (repeatable, comma-separated)', list)
    .option('--env-id <id>', 'env_id stamped on the candidates', '')
    .option('--repo-name <owner/name>', 'repository name for ids (default: from the origin remote, else the folder name)')
    .addOption(new Option('--parser <kind>', 'tree-sitter backend').choices(['auto', 'wasm', 'native']).default('auto'))
    .option('--json', 'print the run statistics as JSON')
    .addHelpText(
      'after',
      `
Every answer is checked: it must hold the function (a fenced block, or a bare def), re-parse,
keep the signature, differ from the original beyond layout and comments, and (rewrite) have a
real body. Comments the model added are stripped. Rejections are counted by reason.
Reruns are free: answers are cached under --cache and candidates already in --out are kept.

Examples:
  $ swe-forge bugs lm ./repo --mode modify --lm http://127.0.0.1:8000/v1 --model Qwen2.5-Coder-32B-Instruct --out lm_modify.jsonl
  $ swe-forge bugs lm ./repo --mode rewrite --lm https://api.openai.com/v1 --model gpt-4o-mini \\
      --price-prompt 0.15 --price-completion 0.6 --max-cost 2 --max-entities 200 --out lm_rewrite.jsonl
  $ swe-forge bugs lm ./repo --mode modify --lm http://127.0.0.1:8000/v1 --model m --prompt my-modify.yaml --tags has_loop --out bugs.jsonl`,
    )
    .action(async (repo: string, o: Record<string, unknown>) => {
      const model = o.model as string;
      const prices: Record<string, LmPrice> | undefined =
        o.pricePrompt !== undefined || o.priceCompletion !== undefined
          ? { [model]: { prompt_per_mtok: (o.pricePrompt as number | undefined) ?? 0, completion_per_mtok: (o.priceCompletion as number | undefined) ?? 0 } }
          : undefined;
      if (o.maxCost !== undefined && !prices) stderr.write('warning: --max-cost without --price-prompt/--price-completion: calls count as free, so the cap never stops the run\n');
      const cacheDir = o.cache === false ? undefined : typeof o.cache === 'string' ? o.cache : `${o.out as string}.lm-cache`;
      const { stats } = await generateLmBugs(repo, {
        mode: o.mode as LmBugMode,
        lm: {
          baseURL: o.lm as string,
          model,
          apiKeyEnv: o.apiKeyEnv as string,
          concurrency: o.concurrency as number,
          maxRetries: o.maxRetries as number,
          prices,
          cache: cacheDir ? { dir: cacheDir, mode: o.cacheMode as LmCacheMode } : undefined,
          log: o.json ? undefined : (l) => stderr.write(`${l}\n`),
        },
        out: o.out as string,
        prompt: o.prompt as string | undefined,
        maxCost: o.maxCost as number | undefined,
        maxTokens: o.maxTokens as number,
        temperature: o.temperature as number | undefined,
        seed: o.seed as number,
        maxEntities: o.maxEntities as number | undefined,
        bugsPerEntity: o.bugsPerEntity as number,
        concurrency: o.concurrency as number,
        filter: { tags: o.tags as string[] | undefined, minComplexity: o.minComplexity as number | undefined, maxComplexity: o.maxComplexity as number | undefined },
        minLines: o.minLines as number,
        maxLines: o.maxLines as number,
        include: o.include as string[] | undefined,
        exclude: o.exclude as string[] | undefined,
        envId: o.envId as string,
        repo: o.repoName as string | undefined,
        parser: o.parser as 'auto',
        progress: o.json ? false : undefined,
        progressStream: stderr,
      });
      if (o.json) stdout.write(`${JSON.stringify(stats, null, 2)}\n`);
      else {
        if (stats.dirty_worktree) stderr.write(`warning: ${repo} has uncommitted .py changes; the patches apply to the working tree, not to commit ${stats.commit.slice(0, 8)}\n`);
        if (stats.selected === 0) stderr.write(`warning: no function of ${repo} passed the filters (${stats.entities} functions and classes found); loosen --min-lines/--tags/--include\n`);
        stdout.write(formatLmBugsSummary(stats, o.out as string));
      }
      if (stats.answers === 0 && stats.lm_errors > 0) throw new Error(`every LM request failed: ${stats.first_lm_error}`);
    });
  return runCommander(program, argv, stderr, '');
}
