/** The `swe-forge env` command line: detect, build, containerfile. */
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { addExecutorOptions, executorName, parseShard, runStageOnSlurm, slurmSettingsFromCli } from '@swe-forge/core/exec';
import { repoSlug } from '@swe-forge/core/ids';
import type { EnvSpec } from '@swe-forge/core/schema';
import { detect } from './detect/index.js';
import { BuildError, buildEnvironment, defaultCacheDir, type BuildOptions } from './build/index.js';
import { containerSpec, findContainerRuntime } from './container.js';
import { buildEnvironments, readRepoList, type EnvBuildRecord } from './build-many.js';

interface Io {
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function offlineOpts(o: { findLinks?: string[]; noIndex?: boolean; index?: boolean; indexUrl?: string }): {
  findLinks?: string[];
  noIndex?: boolean;
  indexUrl?: string;
} {
  // commander maps `--no-index` to `index: false`.
  return {
    findLinks: o.findLinks?.length ? o.findLinks.map((d) => resolve(d)) : undefined,
    noIndex: o.index === false || o.noIndex === true,
    indexUrl: o.indexUrl,
  };
}

/** The build options of `env build`'s flags. */
function buildOptions(o: Record<string, any>, minPassRate: number): BuildOptions {
  return {
    ...offlineOpts(o),
    backend: o.backend,
    cacheDir: o.cacheDir ? resolve(o.cacheDir) : undefined,
    python: o.python,
    pipCacheDir: o.pipCacheDir ? resolve(o.pipCacheDir) : undefined,
    extraPackages: o.extra.length ? o.extra : undefined,
    minPassRate,
    rebuild: !!o.rebuild,
  };
}

/** Run the env-builder CLI; returns the exit code. `argv` excludes node and the script. */
export async function runCli(argv: string[], io: Io = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  const print = (s: string): void => void out.write(`${s}\n`);
  let code = 0;
  const program = new Command('swe-forge env')
    .description('Detect, build and sandbox a working test environment for a Python repository, offline.')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => out.write(s),
      writeErr: (s) => err.write(s),
    })
    .addHelpText(
      'after',
      `
Examples:
  swe-forge env detect ./myrepo                 # the spec and why each line was chosen
  swe-forge env build ./myrepo --find-links /opt/pypi/files --no-index
  swe-forge env build ./myrepo --backend bwrap --json
  swe-forge env containerfile ./myrepo --format apptainer > env.def`
    );

  program
    .command('detect')
    .description('Print the detected EnvSpec (python, install plan, test command) and the reason for each line.')
    .argument('<repo>', 'path of the repository checkout')
    .option('--find-links <dir>', 'wheelhouse folder for pip (repeatable)', collect, [])
    .option('--no-index', 'never contact a package index')
    .option('--index-url <url>', 'package index URL for pip')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  swe-forge env detect ./myrepo --json | jq .spec.install')
    .action(async (repo: string, o) => {
      const d = await detect(resolve(repo), offlineOpts(o));
      if (o.json) return print(JSON.stringify({ spec: d.spec, reasons: d.reasons }, null, 2));
      print(`repo         ${d.spec.repo} @ ${d.spec.commit}`);
      print(`python       ${d.spec.python}`);
      print(`framework    ${d.spec.test_framework} (log parser: ${d.spec.log_parser})`);
      print(`test_cmd     ${d.spec.test_cmd}`);
      print('install');
      for (const c of d.spec.install) print(`  ${c}`);
      print('why');
      for (const r of d.reasons) print(`  ${r.field.padEnd(14)} ${r.value}\n  ${''.padEnd(14)} └ ${r.why}`);
    });

  const build = program
    .command('build')
    .description('Build (or reuse from the cache) the environment, run the baseline twice, and print where it is; with --repos, one per repository of a list.')
    .argument('[repo]', 'path of the repository checkout (or --repos FILE)')
    .option('--repos <file>', 'build every repository of this list (one checkout path per line) and record each outcome in --out')
    .option('--out <file>', 'with --repos: the records (JSONL, one per repository; rerun to build only what is missing)')
    .option('--workers <n>', 'with --repos: builds at once', '1')
    .addOption(new Option('--backend <name>', 'sandbox backend').choices(['venv', 'bwrap']).default('venv'))
    .option('--find-links <dir>', 'wheelhouse folder for pip (repeatable)', collect, [])
    .option('--no-index', 'never contact a package index')
    .option('--index-url <url>', 'package index URL for pip')
    .option('--cache-dir <dir>', `environment cache (default ${defaultCacheDir()})`)
    .option('--pip-cache-dir <dir>', 'shared pip cache (default <cache-dir>/.pip-cache)')
    .option('--python <exe>', 'interpreter to build with')
    .option('--extra <pkg>', 'extra distribution to install (repeatable)', collect, [])
    .option('--min-pass-rate <r>', 'fraction of tests that must pass at baseline', '0.8')
    .option('--rebuild', 'ignore a cached environment')
    .option('--json', 'machine-readable output (quiet build log)');
  addExecutorOptions(build)
    .addHelpText(
      'after',
      `
Examples:
  swe-forge env build ./myrepo --find-links /opt/pypi/files --no-index --cache-dir /scratch/envs
  swe-forge env build --repos repos.txt --out envs.jsonl --workers 2 --find-links /opt/pypi/files --no-index
  SWE_FORGE_HOME=/shared/swe-forge swe-forge env build --repos /shared/repos.txt --out /shared/envs.jsonl \\
      --find-links /shared/wheelhouse --no-index --executor slurm --slurm-shards 16 --slurm-time 01:00:00`,
    )
    .action(async (repo: string | undefined, o) => {
      const rate = Number(o.minPassRate);
      if (!(rate >= 0 && rate <= 1)) throw new UsageError(`--min-pass-rate ${o.minPassRate} is not a number in [0, 1]: pass e.g. 0.8`);
      if (o.repos) return buildList(o, rate);
      if (!repo) throw new UsageError('pass a repository path, or --repos FILE with --out FILE to build a list');
      const b = await buildEnvironment(resolve(repo), {
        ...buildOptions(o, rate),
        log: o.json || process.env.CI ? undefined : (l) => err.write(`${l}\n`),
      });
      if (o.json)
        return print(
          JSON.stringify(
            {
              id: b.spec.id,
              dir: b.dir,
              cached: b.cached,
              duration_s: b.durationMs / 1000,
              log_path: b.logPath,
              spec: b.spec,
            },
            null,
            2
          )
        );
      const s = b.spec.baseline;
      const unstable = Array.isArray(b.spec.meta.unstable_ids) ? b.spec.meta.unstable_ids.length : 0;
      print(`${b.cached ? 'reused cached' : 'built'} environment ${b.spec.id}`);
      print(`  where     ${b.dir}`);
      print(`  took      ${(b.durationMs / 1000).toFixed(1)}s`);
      print(
        `  baseline  ${s.passed} passed, ${s.failed} failed, ${s.errors} errors, ${s.skipped} skipped, ${s.flaky.length} flaky${
          unstable ? `, ${unstable} unstable ids` : ''
        } (${s.duration_s}s)`
      );
      print(`  test_cmd  ${b.spec.test_cmd}`);
      print(`  log       ${b.logPath}`);
    });

  /** `env build --repos FILE --out FILE`: one record per repository (locally, or one shard per Slurm array task). */
  async function buildList(o: Record<string, any>, rate: number): Promise<void> {
    if (!o.out) throw new UsageError('--repos needs --out FILE: where each repository\'s outcome is recorded');
    const repos = await readRepoList(o.repos);
    const out = resolve(o.out);
    const workers = Number(o.workers);
    if (!Number.isInteger(workers) || workers < 1) throw new UsageError(`--workers must be a positive integer, got ${JSON.stringify(o.workers)}`);
    const opts = buildOptions(o, rate);
    let slurm: { submitted: number; run_dir: string; shards: number } | undefined;
    if (executorName(o) === 'slurm') {
      const cacheDir = opts.cacheDir ?? defaultCacheDir();
      const r = await runStageOnSlurm<EnvBuildRecord>({
        cliModuleUrl: import.meta.url,
        argv,
        rewrite: { outFlag: '--out', absolutize: ['--repos', '--find-links', '--cache-dir', '--pip-cache-dir'] },
        out,
        settings: slurmSettingsFromCli(o),
        jobName: 'swe-forge-env-build',
        key: (x) => x.repo,
        env: { SWE_FORGE_HOME: dirname(defaultCacheDir()) },
        requirePaths: [
          { path: resolve(o.repos), what: 'repository list' },
          { path: dirname(cacheDir), what: 'environment cache' },
          ...(opts.findLinks ?? []).map((d: string) => ({ path: d, what: 'wheelhouse' })),
        ],
        log: o.json ? undefined : (l) => void err.write(`[slurm] ${l}\n`),
      });
      if (!r.complete) {
        print(o.json ? JSON.stringify({ executor: 'slurm', complete: false, submitted: r.submitted, run_dir: r.runDir }) : `submitted ${r.submitted} array task(s) (${r.runDir}); rerun the same command to follow and merge`);
        return;
      }
      slurm = { submitted: r.submitted, run_dir: r.runDir, shards: r.state.count };
    }
    // after a Slurm run every repository has its record: this only reads them back
    const { records, errors } = await buildEnvironments(repos, {
      ...opts,
      out,
      workers,
      shard: o.shard ? parseShard(o.shard) : undefined,
      progress: !o.json,
      log: o.json || process.env.CI ? undefined : (l) => void err.write(`${l}\n`),
    });
    const wanted = new Set(repos);
    const mine = records.filter((r) => wanted.has(r.repo));
    const ok = mine.filter((r) => r.ok).length;
    if (o.json) print(JSON.stringify({ out, repositories: repos.length, built: ok, rejected: mine.length - ok, errors, ...(slurm ? { slurm } : {}), records: mine }));
    else {
      if (slurm) print(`Slurm: ${slurm.shards} shards merged (${slurm.submitted} array task(s) submitted by this run; ${slurm.run_dir})`);
      print(`${ok}/${repos.length} environments built (${mine.length - ok} rejected) -> ${out}`);
      for (const r of mine.filter((x) => !x.ok)) print(`  rejected ${r.repo}: ${r.error}`);
    }
    if (errors.length) {
      code = 1;
      err.write(`error: ${errors.length} build(s) failed unexpectedly (first: ${errors[0]!.key}: ${errors[0]!.error}); rerun the same command to retry them\n`);
    }
  }

  program
    .command('containerfile')
    .description('Generate a Dockerfile/Containerfile or an Apptainer definition from the detected spec.')
    .argument('<repo>', 'path of the repository checkout')
    .addOption(new Option('--format <fmt>', 'output format').choices(['docker', 'apptainer']).default('docker'))
    .option('--find-links <dir>', 'wheelhouse folder copied into the image (repeatable)', collect, [])
    .option('--no-index', 'never contact a package index')
    .option('--base-image <image>', 'base image (default python:<version>-slim)')
    .option('--out <file>', 'write to a file instead of stdout')
    .addHelpText(
      'after',
      `\nExample:\n  swe-forge env containerfile ./myrepo --format apptainer --find-links /opt/pypi/files --no-index --out env.def\n\nRuntime on PATH here: ${
        findContainerRuntime() ?? 'none (generate here, build where docker/podman/apptainer exists)'
      }`
    )
    .action(async (repo: string, o) => {
      const d = await detect(resolve(repo), offlineOpts(o));
      const spec = {
        ...d.spec,
        id: `${repoSlug(d.spec.repo)}.${d.spec.commit.slice(0, 8)}`,
        baseline: {
          passed: 0,
          failed: 0,
          errors: 0,
          skipped: 0,
          duration_s: 0,
          flaky: [],
        },
      } as EnvSpec;
      const text = containerSpec(spec, {
        format: o.format,
        baseImage: o.baseImage,
      });
      if (o.out) {
        writeFileSync(o.out, text);
        print(`wrote ${o.out}`);
      } else out.write(text);
    });

  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 1;
    }
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError)
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    const msg =
      e instanceof BuildError
        ? `build failed: ${e.message.replace(/\n/g, ' ')}; see the log or lower --min-pass-rate`
        : (e as Error).message.replace(/\n/g, ' ');
    // The last meaningful output lines first, so the final line is the one-line error.
    if (e instanceof BuildError && e.tail.length) err.write(`${e.tail.map((l) => `  > ${l}`).join('\n')}\n`);
    err.write(`error: ${msg}\n`);
    code = 1;
  }
  return code;
}

class UsageError extends Error {}
