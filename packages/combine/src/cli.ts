/** The combine CLI: `combine <repo> --instances FILE --out FILE [--mode file|module] ...`. */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { runCommander } from '@swe-forge/core/exec';
import { readJsonlAll, writeJsonlAtomic } from '@swe-forge/core/jsonl';
import type { TaskInstance } from '@swe-forge/core/schema';
import { patchFiles } from '@swe-forge/core/diff';
import { combineBugs, moduleKey } from './combine.js';

function num(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
}

/** Run the combine CLI with `argv` (subcommand first: `['combine', repo, ...]`); returns the exit code. */
export async function runCli(argv: string[], io: { stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream } = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const program = new Command('swe-forge')
    .exitOverride()
    .configureOutput({ writeOut: (s) => void stdout.write(s), writeErr: (s) => void stderr.write(s), outputError: () => {} });
  program
    .command('combine')
    .argument('<repo>', 'clean checkout of the repository the instances were validated on')
    .description('bundle validated bugs of one file (or one module) into new candidates to validate again')
    .requiredOption('--instances <file>', 'JSONL of TaskInstance (from `swe-forge gather`)')
    .requiredOption('--out <file>', 'JSONL of BugCandidate (combine_file / combine_module)')
    .addOption(new Option('--mode <mode>', 'same file (Algorithm 1) or same module (Algorithm 2)').choices(['file', 'module']).default('file'))
    .option('--depth <n>', 'module mode: leading folders that name a module', num('--depth', 1), 2)
    .option('--size <n>', 'bugs per combination', num('--size', 2), 2)
    .option('--max-combos <n>', 'combinations tried per group (-1: no limit)', num('--max-combos', -1), 100)
    .option('--limit-per-group <n>', 'combinations kept per file/module (-1: no limit)', num('--limit-per-group', -1), -1)
    .option('--seed <n>', 'seed of the combination order', num('--seed', 0), 0)
    .option('--json', 'print counts as JSON')
    .addHelpText(
      'after',
      `
Examples:
  swe-forge combine ./myrepo --instances instances.jsonl --out combined.jsonl
  swe-forge combine ./myrepo --instances instances.jsonl --out combined.jsonl --mode module --depth 2 --size 3
  swe-forge validate ./myrepo --candidates combined.jsonl --out combined-results.jsonl   # then validate them again`,
    )
    .action(async (repo: string, o: Record<string, unknown>) => {
      const dir = resolve(repo);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`repository ${repo} is not a directory: pass the clean checkout the instances were validated on`);
      const instances = await readJsonlAll<TaskInstance>(o.instances as string, { schema: 'TaskInstance' });
      const candidates = await combineBugs(instances, {
        mode: o.mode as 'file' | 'module',
        depth: o.depth as number,
        size: o.size as number,
        maxCombos: o.maxCombos as number,
        limitPerGroup: o.limitPerGroup as number,
        seed: o.seed as number,
        repoDir: dir,
      });
      await writeJsonlAtomic(o.out as string, candidates);
      if (o.json) stdout.write(`${JSON.stringify({ instances: instances.length, candidates: candidates.length, mode: o.mode })}\n`);
      else stdout.write(`${candidates.length} combined candidate(s) from ${instances.length} instance(s) written to ${o.out}\n`);
      const depth = o.depth as number;
      if (!o.json && candidates.length === 0 && o.mode === 'module' && instances.some((i) => patchFiles(i.patch).some((f) => moduleKey(f, depth) === null))) {
        stderr.write(`note: module mode leaves out files with fewer than ${depth} folder(s) (--depth ${depth}); this repository's bugs sit shallower: try --depth ${Math.max(1, depth - 1)}\n`);
      }
    });
  return runCommander(program, argv, stderr);
}
