/** The `swe-forge bugs pr-mirror` command line (also the `swe-forge-pr-mirror` bin). */
import { Command, CommanderError, Option } from 'commander';
import { numberArg, runCommander } from '@swe-forge/core/exec';
import type { LmCacheMode, LmPrice } from '@swe-forge/core/lm';
import { UNDO_REJECT_REASONS } from './lm-undo.js';
import { mirrorChanges, type MirrorStats } from './mirror.js';

interface Io {
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

/** A few lines summarising a run for the terminal. */
export function formatMirrorSummary(s: MirrorStats, out: string): string {
  const skipped = Object.entries(s.skipped).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
  const failed = Object.entries(s.files.failed).filter(([, n]) => (n ?? 0) > 0).map(([k, n]) => `${k} ${n}`);
  const unit = s.source === 'git' ? 'commits' : 'pull requests';
  const lines = [
    `${s.candidates} pr_mirror candidates -> ${out} (${s.already_in_output} already there) from ${s.changes_scanned} ${unit} scanned, ${s.attempted} attempted`,
    `  by path: direct ${s.by_path.direct}, fuzzy ${s.by_path.fuzzy}, lm ${s.by_path.lm}; with linked issue text ${s.with_issue_text}`,
    `  skipped: ${skipped.join(', ') || 'none'}; not undone ${s.not_undone}, partial ${s.partial}, duplicates ${s.duplicates}, git apply --check failed ${s.git_apply_failed}`,
  ];
  if (failed.length) lines.push(`  files not undone: ${failed.join(', ')}`);
  if (s.lm.enabled) {
    const rej = UNDO_REJECT_REASONS.filter((r) => s.lm.rejected[r] > 0).map((r) => `${r} ${s.lm.rejected[r]}`);
    lines.push(
      `  LM: ${s.lm.network_calls} calls, ${s.lm.cache_hits} from cache; answers rejected: ${rej.join(', ') || 'none'}; errors ${s.lm.errors}; spent $${s.lm.cost_usd.toFixed(4)} now, answers cost $${s.lm.cost_usd_answers.toFixed(4)}`,
    );
    if (s.lm.stopped) lines.push('  LM stopped at --max-cost; rerun with a higher cap to continue (answers so far come from the cache)');
  }
  lines.push(`  ${s.duration_s.toFixed(1)}s`);
  return `${lines.join('\n')}\n`;
}

/** Runs the pr-mirror CLI with `argv` (no node/script prefix); returns the exit code. */
export async function runCli(argv: string[], io: Io = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const program = new Command('swe-forge bugs pr-mirror')
    .description("Bugs from the repository's own fixes: undo each merged change's non-test Python edits on today's code (direct reverse-apply, fuzzy, then LM rewrite).")
    .argument('<repo>', 'repository folder (a git checkout; HEAD is the code the bugs apply to)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s), outputError: () => undefined })
    .requiredOption('--out <file>', 'BugCandidate JSONL output (resumable)')
    .option('--since <ref>', 'git history: only commits after REF (REF..HEAD)')
    .option('--prs <file>', 'mirror pull requests from an export (JSONL of {number, title, body, diff, linked_issues} as GitHub returns them, or SWE-bench instances)')
    .option('--github <owner/name>', "fetch merged pull requests from GitHub's API instead")
    .option('--token-env <name>', 'environment variable with the GitHub token', 'GITHUB_TOKEN')
    .option('--github-api <url>', 'GitHub API root (GitHub Enterprise: https://HOST/api/v3)', 'https://api.github.com')
    .option('--max-prs <n>', 'with --github: at most N merged pull requests, newest first', numberArg('--max-prs', 1, true), 100)
    .option('--save-prs <file>', 'with --github: also write what was fetched as a PR export, to rerun offline with --prs')
    .option('--max-commits <n>', 'git history: read at most N commits, newest first', numberArg('--max-commits', 0, true))
    .option('--all-commits', 'git history: every non-merge commit instead of the first-parent history')
    .option('--lm <url>', 'OpenAI-compatible base URL: rewrite files whose hunks no longer reverse-apply (without it: direct and fuzzy only)')
    .option('--model <name>', 'model for --lm', 'default')
    .option('--api-key-env <name>', 'environment variable holding the LM API key', 'OPENAI_API_KEY')
    .option('--prompt <file>', 'undo prompt YAML (default: the shipped prompts/undo.yaml)')
    .option('--cache <dir>', 'record/replay cache of LM answers (default: <out>.lm-cache)')
    .option('--no-cache', 'no LM cache')
    .addOption(new Option('--cache-mode <mode>', 'auto | record | replay').choices(['auto', 'record', 'replay']).default('auto'))
    .option('--max-cost <usd>', 'no new LM call once this run spent this many USD (needs --price-*)', numberArg('--max-cost', 0))
    .option('--price-prompt <usd>', 'USD per million prompt tokens of --model', numberArg('--price-prompt', 0))
    .option('--price-completion <usd>', 'USD per million completion tokens of --model', numberArg('--price-completion', 0))
    .option('--max-file-lines <n>', 'files longer than this are not sent to the LM', numberArg('--max-file-lines', 1, true), 1000)
    .option('--max-files <n>', 'skip changes editing more Python files than this (tests included)', numberArg('--max-files', 1, true), 8)
    .option('--max-lines <n>', 'skip changes whose non-test Python edits change more lines than this', numberArg('--max-lines', 1, true), 500)
    .option('--require-tests', 'skip changes that touch no test file')
    .option('--allow-partial', 'keep a candidate when some files of a change could not be undone')
    .option('--concurrency <n>', 'changes undone at once', numberArg('--concurrency', 1, true), 2)
    .option('--env-id <id>', 'env_id stamped on the candidates', '')
    .option('--repo-name <owner/name>', 'repository name for ids (default: from the origin remote, else the folder name)')
    .option('--json', 'print the run statistics as JSON')
    .addHelpText(
      'after',
      `
Sources (one): the git history of HEAD (default; merge commits are compared with their first
parent, so each stands for its whole pull request), --prs FILE, or --github owner/name.
The fix's own title and body go to meta.change only; the text of the issues it closed goes to
meta.original_issues, which \`swe-forge issues write --strategy original\` turns into the
problem statement. The GitHub token is only ever sent in the Authorization header.

Examples:
  $ swe-forge bugs pr-mirror ./repo --out mirror.jsonl
  $ swe-forge bugs pr-mirror ./repo --since v1.0 --lm http://127.0.0.1:8000/v1 --model Qwen2.5-Coder-32B-Instruct --out mirror.jsonl
  $ GITHUB_TOKEN=... swe-forge bugs pr-mirror ./repo --github owner/name --max-prs 300 --save-prs prs.jsonl --out mirror.jsonl
  $ swe-forge bugs pr-mirror ./repo --prs prs.jsonl --out mirror.jsonl --json`,
    )
    .action(async (repo: string, o: Record<string, unknown>) => {
      const picked = ['since', 'prs', 'github'].filter((k) => o[k] !== undefined);
      if (picked.length > 1) throw new CommanderError(2, 'bad-arg', `choose one source: --${picked.join(' and --')} cannot be combined`);
      if (o.savePrs && !o.github) throw new CommanderError(2, 'bad-arg', '--save-prs writes what --github fetched: pass --github owner/name too');
      const model = o.model as string;
      const prices: Record<string, LmPrice> | undefined =
        o.pricePrompt !== undefined || o.priceCompletion !== undefined
          ? { [model]: { prompt_per_mtok: (o.pricePrompt as number | undefined) ?? 0, completion_per_mtok: (o.priceCompletion as number | undefined) ?? 0 } }
          : undefined;
      const cacheDir = o.cache === false ? undefined : typeof o.cache === 'string' ? o.cache : `${o.out as string}.lm-cache`;
      const log = o.json ? undefined : (l: string) => void stderr.write(`${l}\n`);
      const { stats } = await mirrorChanges(repo, {
        since: o.since as string | undefined,
        prs: o.prs as string | undefined,
        github: o.github ? { repo: o.github as string, tokenEnv: o.tokenEnv as string, apiUrl: o.githubApi as string, maxPulls: o.maxPrs as number } : undefined,
        savePrs: o.savePrs as string | undefined,
        maxCommits: o.maxCommits as number | undefined,
        allCommits: !!o.allCommits,
        lm: o.lm
          ? { baseURL: o.lm as string, model, apiKeyEnv: o.apiKeyEnv as string, prices, cache: cacheDir ? { dir: cacheDir, mode: o.cacheMode as LmCacheMode } : undefined }
          : undefined,
        prompt: o.prompt as string | undefined,
        maxCost: o.maxCost as number | undefined,
        maxFileLines: o.maxFileLines as number,
        maxFiles: o.maxFiles as number,
        maxLines: o.maxLines as number,
        allowPartial: !!o.allowPartial,
        requireTests: !!o.requireTests,
        concurrency: o.concurrency as number,
        out: o.out as string,
        envId: o.envId as string,
        repo: o.repoName as string | undefined,
        progress: o.json ? false : undefined,
        progressStream: stderr,
        log,
      });
      if (o.json) stdout.write(`${JSON.stringify(stats, null, 2)}\n`);
      else stdout.write(formatMirrorSummary(stats, o.out as string));
    });
  return runCommander(program, argv, stderr, '');
}
