/**
 * What a stage CLI needs to offer `--executor slurm`: the shared flags, turning them into
 * {@link runSlurmArray} options, and the argv each array task runs (the same command line with
 * the Slurm flags removed, `--shard {index}/{count}` added and the keyed output redirected to
 * the shard file).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { SchemaName } from '../../schema/index.js';
import { SlurmError } from './client.js';
import { runSlurmArray, type SlurmArrayResult } from './run.js';
import type { ArrayScriptOptions, SlurmResources } from './script.js';

/** A commander-like command: `option(flags, description, parse?, default?)`. */
export interface OptionTarget {
  option(flags: string, description: string, ...rest: unknown[]): unknown;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** Register the executor flags on a stage command (commander). */
export function addExecutorOptions<C extends OptionTarget>(cmd: C): C {
  cmd.option('--executor <name>', 'where the work runs: local (this machine) or slurm (one job array; see --slurm-*)', 'local');
  cmd.option('--shard <i/n>', 'process only shard i of n of the input keys (what each Slurm array task runs)');
  cmd.option('--slurm-run-dir <dir>', 'shared folder for the run state, sbatch scripts, shard outputs and logs (default: <out>.slurm)');
  cmd.option('--slurm-shards <n>', 'array tasks to split the input into (default 8)');
  cmd.option('--slurm-max-parallel <n>', 'at most this many array tasks at once (%M)');
  cmd.option('--slurm-partition <name>', 'sbatch --partition');
  cmd.option('--slurm-account <name>', 'sbatch --account');
  cmd.option('--slurm-qos <name>', 'sbatch --qos');
  cmd.option('--slurm-time <hh:mm:ss>', 'sbatch --time per array task');
  cmd.option('--slurm-cpus <n>', 'sbatch --cpus-per-task');
  cmd.option('--slurm-mem <size>', 'sbatch --mem, e.g. 16G');
  cmd.option('--slurm-gres <gres>', 'sbatch --gres, e.g. gpu:1');
  cmd.option('--slurm-sbatch <option>', 'extra #SBATCH option (repeatable), e.g. --slurm-sbatch=--constraint=cpu', collect, []);
  cmd.option('--slurm-prelude <line>', 'shell line run first on the node (repeatable), e.g. "module load python/3.11"', collect, []);
  cmd.option('--slurm-retries <n>', 'resubmissions of a failed array task before giving up (default 2)');
  cmd.option('--slurm-poll <seconds>', 'queue polling interval (default 10)');
  cmd.option('--slurm-no-wait', 'submit and return; rerun the same command (or `swe-forge slurm status`) to follow and merge');
  return cmd;
}

/** The executor flags as parsed by commander (camelCase). */
export interface ExecutorCliOptions {
  executor?: string;
  shard?: string;
  slurmRunDir?: string;
  slurmShards?: string | number;
  slurmMaxParallel?: string | number;
  slurmPartition?: string;
  slurmAccount?: string;
  slurmQos?: string;
  slurmTime?: string;
  slurmCpus?: string | number;
  slurmMem?: string;
  slurmGres?: string;
  slurmSbatch?: string[];
  slurmPrelude?: string[];
  slurmRetries?: string | number;
  slurmPoll?: string | number;
  slurmNoWait?: boolean;
}

/** Slurm settings of one stage run, from flags or a pipeline config. */
export interface StageSlurmSettings extends SlurmResources {
  runDir?: string;
  shards: number;
  maxParallel?: number;
  prelude: string[];
  retries?: number;
  pollMs?: number;
  wait: boolean;
}

function posInt(name: string, v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new SlurmError(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

/** `local` or `slurm`, with a clear error for anything else. */
export function executorName(o: ExecutorCliOptions): 'local' | 'slurm' {
  const e = o.executor ?? 'local';
  if (e !== 'local' && e !== 'slurm') throw new SlurmError(`--executor must be local or slurm, got ${JSON.stringify(e)}`);
  return e;
}

/** Parse the `--slurm-*` flags. */
export function slurmSettingsFromCli(o: ExecutorCliOptions): StageSlurmSettings {
  const retries = o.slurmRetries === undefined ? undefined : Number(o.slurmRetries);
  if (retries !== undefined && (!Number.isInteger(retries) || retries < 0)) throw new SlurmError(`--slurm-retries must be a whole number ≥ 0, got ${JSON.stringify(o.slurmRetries)}`);
  const poll = o.slurmPoll === undefined ? undefined : Number(o.slurmPoll);
  if (poll !== undefined && !(poll > 0)) throw new SlurmError(`--slurm-poll must be a positive number of seconds, got ${JSON.stringify(o.slurmPoll)}`);
  return {
    runDir: o.slurmRunDir ? resolve(o.slurmRunDir) : undefined,
    shards: posInt('--slurm-shards', o.slurmShards) ?? 8,
    maxParallel: posInt('--slurm-max-parallel', o.slurmMaxParallel),
    partition: o.slurmPartition,
    account: o.slurmAccount,
    qos: o.slurmQos,
    time: o.slurmTime,
    cpusPerTask: posInt('--slurm-cpus', o.slurmCpus),
    mem: o.slurmMem,
    gres: o.slurmGres,
    extraSbatch: o.slurmSbatch ?? [],
    prelude: o.slurmPrelude ?? [],
    retries,
    pollMs: poll === undefined ? undefined : Math.round(poll * 1000),
    wait: !o.slurmNoWait,
  };
}

/** Flags of {@link addExecutorOptions} that take a value (dropped with their value from the array task's argv). */
const VALUED = ['--executor', '--shard', '--slurm-run-dir', '--slurm-shards', '--slurm-max-parallel', '--slurm-partition', '--slurm-account', '--slurm-qos', '--slurm-time', '--slurm-cpus', '--slurm-mem', '--slurm-gres', '--slurm-sbatch', '--slurm-prelude', '--slurm-retries', '--slurm-poll'];
const BOOLEAN = ['--slurm-no-wait'];

/**
 * The argv one array task runs, from the stage's own argv (without node and the script): the
 * executor and `--slurm-*` flags (and the valued flags in `drop`, boolean ones in `dropBoolean`)
 * are dropped, `outFlag`'s value becomes `{out}` (or it is added), `--shard {index}/{count}` is
 * appended, and the values of `absolutize` flags and the `positional` words (a repository path)
 * are made absolute: the node's working directory differs. Handles `--flag value` and `--flag=value`.
 */
export function shardArgv(
  argv: readonly string[],
  opts: { outFlag: string; absolutize?: string[]; cwd?: string; drop?: string[]; dropBoolean?: string[]; positional?: string[] },
): string[] {
  const out: string[] = [];
  const abs = new Set(opts.absolutize ?? []);
  const drop = new Set(opts.drop ?? []);
  const dropBool = new Set(opts.dropBoolean ?? []);
  const positional = new Set(opts.positional ?? []);
  const cwd = opts.cwd ?? process.cwd();
  let sawOut = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    if (VALUED.includes(flag) || drop.has(flag)) {
      if (eq < 0) i++;
      continue;
    }
    if (BOOLEAN.includes(flag) || dropBool.has(flag)) continue;
    if (positional.has(a)) {
      out.push(resolve(cwd, a));
      continue;
    }
    if (flag === opts.outFlag) {
      if (eq < 0) i++;
      out.push(opts.outFlag, '{out}');
      sawOut = true;
      continue;
    }
    if (abs.has(flag)) {
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new SlurmError(`${flag} needs a value`);
      out.push(flag, resolve(cwd, value));
      continue;
    }
    out.push(a);
  }
  if (!sawOut) out.push(opts.outFlag, '{out}');
  out.push('--shard', '{index}/{count}');
  return out;
}

/**
 * The command that starts a stage's own bin on a compute node, all paths absolute:
 * `SWE_FORGE_SELF_COMMAND` (a JSON array, e.g. `["apptainer","exec","img.sif","swe-forge-validate"]`)
 * when set; else node with the stage's `bin.js` next to `cliModuleUrl` (the calling `cli` module's
 * `import.meta.url`); in a source checkout (`bin.ts`), node with the `@swe-forge/source`
 * condition and the tsx loader.
 */
export function selfCommand(cliModuleUrl: string): string[] {
  const override = process.env.SWE_FORGE_SELF_COMMAND;
  if (override) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(override);
    } catch {
      parsed = null;
    }
    if (!Array.isArray(parsed) || !parsed.length || parsed.some((x) => typeof x !== 'string'))
      throw new SlurmError(`SWE_FORGE_SELF_COMMAND must be a JSON array of strings, e.g. ["/usr/bin/node","/opt/swe-forge/bin.js"], got ${override}`);
    return parsed as string[];
  }
  const here = fileURLToPath(cliModuleUrl);
  const js = join(dirname(here), 'bin.js');
  if (existsSync(js)) return [process.execPath, js];
  const ts = join(dirname(here), 'bin.ts');
  if (existsSync(ts)) {
    const tsx = fileURLToPath(import.meta.resolve('tsx'));
    return [process.execPath, '--conditions=@swe-forge/source', '--import', pathToFileURL(tsx).href, ts];
  }
  throw new SlurmError(`no bin.js or bin.ts next to ${here}: set SWE_FORGE_SELF_COMMAND to the command that runs this stage on a compute node`);
}

/** What {@link runStageOnSlurm} needs from a stage CLI. */
export interface StageOnSlurm<T> {
  /** The calling CLI module's `import.meta.url` (its `bin` is what array tasks run). */
  cliModuleUrl: string;
  /** The stage's argv as its CLI received it. */
  argv: readonly string[];
  /** How the argv becomes an array task's (see {@link shardArgv}). */
  rewrite: Parameters<typeof shardArgv>[1];
  /** Arguments appended to every array task's argv (e.g. where the shared baseline is). */
  extraArgs?: string[];
  /** The merged, keyed output (absolute). */
  out: string;
  settings: StageSlurmSettings;
  jobName: string;
  key: (record: T) => string;
  schema?: SchemaName;
  requirePaths?: ArrayScriptOptions['requirePaths'];
  requireUrls?: ArrayScriptOptions['requireUrls'];
  /** Variables every array task exports (e.g. `SWE_FORGE_HOME`, so nodes find the shared environment cache). */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

/**
 * Run a stage CLI as a Slurm job array over its own command line and merge the shards into
 * `out` (run folder: `--slurm-run-dir`, default `<out>.slurm`). The shared part of every stage's
 * `--executor slurm`.
 */
export async function runStageOnSlurm<T>(o: StageOnSlurm<T>): Promise<SlurmArrayResult & { runDir: string }> {
  const s = o.settings;
  const runDir = s.runDir ?? `${o.out}.slurm`;
  const r = await runSlurmArray<T>({
    ...s,
    runDir,
    jobName: o.jobName,
    shards: s.shards,
    command: [...selfCommand(o.cliModuleUrl), ...shardArgv(o.argv, o.rewrite), ...(o.extraArgs ?? [])],
    out: o.out,
    key: o.key,
    schema: o.schema,
    requirePaths: o.requirePaths,
    requireUrls: o.requireUrls,
    env: o.env,
    log: o.log,
  });
  return { ...r, runDir };
}
