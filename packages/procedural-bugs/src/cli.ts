/** The `swe-forge bugs` command line: `entities` and `procedural`. */
import { Command, CommanderError, Option } from 'commander';
import { numberArg, runCommander } from '@swe-forge/core/exec';
import { extractEntities, generateProceduralBugs } from './generate.js';
import { ALL_MODIFIERS } from './modifiers.js';

interface Io {
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

function list(v: string, prev: string[] = []): string[] {
  // Commas separate values, except inside a glob's braces ({a,b}/**).
  return [...prev, ...v.split(/,(?![^{]*\})/).map((s) => s.trim()).filter(Boolean)];
}

const MODIFIER_TABLE = ALL_MODIFIERS.map((m) => `  ${m.name.padEnd(28)} ${m.family.padEnd(8)} p=${m.likelihood}  ${m.description}`).join('\n');

/** Runs the procedural-bugs CLI with `argv` (no node/script prefix); returns the exit code. */
export async function runCli(argv: string[], io: Io = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const out = (s: string) => stdout.write(s);
  const program = new Command('swe-forge bugs')
    .description('Procedural Python bugs with tree-sitter: SWE-smith\'s 13 modifiers plus classic mutation operators.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s), outputError: () => undefined })
    .addHelpText(
      'after',
      `
Examples:
  $ swe-forge bugs entities ./repo
  $ swe-forge bugs procedural ./repo --out bugs.jsonl
  $ swe-forge bugs procedural ./repo --modifiers func_pm_op_swap,func_pm_remove_cond --seed 7 --out bugs.jsonl`,
    );
  program
    .command('entities')
    .description('List the functions and classes of a repository with tags and complexity (test code skipped).')
    .argument('<repo>', 'repository folder')
    .option('--json', 'machine-readable output')
    .option('--include <glob>', 'only files matching (repeatable, comma-separated)', list)
    .option('--exclude <glob>', 'leave out files matching (repeatable, comma-separated)', list)
    .option('--min-complexity <n>', 'only entities at least this complex', numberArg('--min-complexity', 0, true))
    .option('--max-complexity <n>', 'only entities at most this complex', numberArg('--max-complexity', 0, true))
    .option('--tags <tags>', 'only entities with all these tags (comma-separated, e.g. is_function,has_loop)', list)
    .addOption(new Option('--parser <kind>', 'tree-sitter backend').choices(['auto', 'wasm', 'native']).default('auto'))
    .option('--workers <n>', 'worker threads', numberArg('--workers', 1, true))
    .addHelpText('after', '\nExamples:\n  $ swe-forge bugs entities ./repo\n  $ swe-forge bugs entities ./repo --json --tags is_function,has_loop --min-complexity 3')
    .action(async (repo: string, o: Record<string, unknown>) => {
      const res = await extractEntities(repo, {
        include: o.include as string[] | undefined,
        exclude: o.exclude as string[] | undefined,
        parser: o.parser as 'auto',
        workers: o.workers as number | undefined,
        progress: o.json ? false : undefined,
        progressStream: stderr,
      });
      const tags = o.tags as string[] | undefined;
      const ents = res.entities.filter(
        (e) =>
          (!tags || tags.every((t) => (e.tags as string[]).includes(t))) &&
          (o.minComplexity === undefined || e.complexity >= (o.minComplexity as number)) &&
          (o.maxComplexity === undefined || e.complexity <= (o.maxComplexity as number)),
      );
      if (o.json) {
        out(JSON.stringify({ parser: res.parser, entities: ents, skipped: res.skipped, stats: res.stats }, null, 2) + '\n');
        return;
      }
      for (const e of ents) {
        out(`${`${e.file}:${e.line_start}-${e.line_end}`.padEnd(40)} ${e.kind.padEnd(8)} ${e.qualified_name.padEnd(36)} c=${String(e.complexity).padEnd(3)} ${e.tags.join(',')}\n`);
      }
      for (const s of res.skipped) stderr.write(`skipped ${s.file}: ${s.reason}\n`);
      stderr.write(`${ents.length} entities (${res.parser} parser), ${res.skipped.length} skipped\n`);
    });
  program
    .command('procedural')
    .description('Generate procedural bug candidates (BugCandidate JSONL; every patch re-parses and passes git apply --check).')
    .argument('<repo>', 'repository folder')
    .requiredOption('--out <file>', 'BugCandidate JSONL output (resumable)')
    .option('--modifiers <names>', 'comma-separated modifier names (default: all)', list)
    .option('--likelihood <p>', 'per-node probability for every modifier (default: each modifier\'s own)', (v) => {
      const p = Number(v);
      if (!(p >= 0 && p <= 1)) throw new CommanderError(2, 'bad-arg', `--likelihood must be a probability in [0, 1], got '${v}'`);
      return p;
    })
    .option('--seed <n>', 'random seed', numberArg('--seed', 0, true), 24)
    .option('--max-bugs-per-modifier <n>', 'at most N bugs per modifier (seeded choice)', numberArg('--max-bugs-per-modifier', 0, true))
    .option('--max-entities <n>', 'only the first N entities in sorted order', numberArg('--max-entities', 0, true))
    .option('--include <glob>', 'only files matching (repeatable, comma-separated)', list)
    .option('--exclude <glob>', 'leave out files matching (repeatable, comma-separated)', list)
    .option('--workers <n>', 'worker threads (default: all cores on big repos)', numberArg('--workers', 1, true))
    .option('--swesmith-dir <dir>', "also write SWE-smith's layout (bug__<modifier>__<hash>.diff + metadata JSON per entity)")
    .option('--env-id <id>', 'env_id stamped on the candidates', '')
    .option('--repo-name <owner/name>', 'repository name for ids (default: from the origin remote, else the folder name)')
    .option('--max-file-bytes <n>', 'skip larger files (default 1000000)', numberArg('--max-file-bytes', 1, true))
    .addOption(new Option('--parser <kind>', 'tree-sitter backend').choices(['auto', 'wasm', 'native']).default('auto'))
    .option('--json', 'print the run statistics as JSON')
    .addHelpText(
      'after',
      `
Modifiers (name, family, default likelihood, what it does):
${MODIFIER_TABLE}

Examples:
  $ swe-forge bugs procedural ./repo --out bugs.jsonl
  $ swe-forge bugs procedural ./repo --modifiers func_pm_op_swap,func_pm_cmp_flip --likelihood 0.5 --seed 7 --out bugs.jsonl
  $ swe-forge bugs procedural ./repo --max-bugs-per-modifier 50 --exclude 'docs/**' --out bugs.jsonl --swesmith-dir logs/bug_gen`,
    )
    .action(async (repo: string, o: Record<string, unknown>) => {
      const { stats } = await generateProceduralBugs(repo, {
        out: o.out as string,
        modifiers: o.modifiers as string[] | undefined,
        likelihood: o.likelihood as number | undefined,
        seed: o.seed as number,
        maxBugsPerModifier: o.maxBugsPerModifier as number | undefined,
        maxEntities: o.maxEntities as number | undefined,
        include: o.include as string[] | undefined,
        exclude: o.exclude as string[] | undefined,
        workers: o.workers as number | undefined,
        swesmithDir: o.swesmithDir as string | undefined,
        envId: o.envId as string,
        repo: o.repoName as string | undefined,
        maxFileBytes: o.maxFileBytes as number | undefined,
        parser: o.parser as 'auto',
        progress: o.json ? false : undefined,
        progressStream: stderr,
      });
      if (o.json) {
        out(JSON.stringify(stats, null, 2) + '\n');
        return;
      }
      const s = stats as Record<string, number> & { skipped: { file: string; reason: string }[]; per_modifier: Record<string, { emitted: number }> };
      for (const k of s.skipped) stderr.write(`skipped ${k.file}: ${k.reason}\n`);
      if (stats.dirty_worktree) stderr.write(`warning: ${repo} has uncommitted .py changes; the patches apply to the working tree, not to commit ${String(stats.commit).slice(0, 8)}\n`);
      out(
        `${s.candidates} candidates -> ${o.out as string} (${s.already_in_output} already there) from ${s.entities} entities in ${s.files} files; ` +
          `${s.duplicates} duplicates, ${s.rejected_reparse} failed re-parse, ${s.git_apply_failed} failed git apply --check; ` +
          `${s.parser} parser, ${s.duration_s.toFixed(1)}s (${s.candidates_per_s.toFixed(0)} candidates/s)\n`,
      );
      out(
        Object.entries(s.per_modifier)
          .map(([k, v]) => `  ${k.padEnd(28)} ${v.emitted}`)
          .join('\n') + '\n',
      );
    });
  return runCommander(program, argv, stderr, '');
}
