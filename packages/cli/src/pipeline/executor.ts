/**
 * Where a pipeline stage runs: `executor: local` (this process, the default) or a Slurm job
 * array (`executor: {type: slurm, shards: 32, partition: cpu, time: "04:00:00", …}`) for the long
 * stages — `validate`, `rollout` runs and `issues` (its lm strategy). A Slurm stage runs the same
 * stage CLI (`swe-forge validate …`, `swe-forge rollout run …`, `swe-forge issues write …`) once
 * per shard on the nodes and merges the shards by key, so its outputs are the files a local
 * stage writes.
 */
import { runStageOnSlurm, type StageSlurmSettings } from '@swe-forge/core/exec';
import type { SchemaName } from '@swe-forge/core/schema';
import { CLI_MODULE_URL } from '../self.js';
import { ConfigError, Fields, isObj, type Obj } from './fields.js';

/** A stage's executor. */
export type StageExecutorConfig = { type: 'local' } | { type: 'slurm'; slurm: StageSlurmSettings };

/** Keys of an `executor:` mapping. */
export const EXECUTOR_KEYS = ['type', 'shards', 'max_parallel', 'partition', 'account', 'qos', 'time', 'cpus', 'mem', 'gres', 'sbatch', 'prelude', 'retries', 'poll_s', 'run_dir'];

/** Parse `executor:` (a name or a mapping) of a config section; `ctx` is the section's path (e.g. `validate.`). */
export function executorOf(where: string, raw: unknown, ctx: string, baseDir: string): StageExecutorConfig {
  if (raw === undefined || raw === null || raw === 'local') return { type: 'local' };
  if (raw === 'slurm') raw = { type: 'slurm' };
  if (!isObj(raw)) throw new ConfigError(where, `${ctx}executor must be local, slurm, or a mapping {type: slurm, shards, partition, time, …}`);
  const f = new Fields(where, raw as Obj, `${ctx}executor.`, EXECUTOR_KEYS, baseDir);
  const type = f.oneOf('type', ['local', 'slurm'] as const) ?? 'slurm';
  if (type === 'local') return { type };
  const poll = f.num('poll_s');
  return {
    type,
    slurm: {
      runDir: f.path('run_dir'),
      shards: f.int('shards', 1) ?? 8,
      maxParallel: f.int('max_parallel', 1),
      partition: f.str('partition'),
      account: f.str('account'),
      qos: f.str('qos'),
      time: f.str('time'),
      cpusPerTask: f.int('cpus', 1),
      mem: f.str('mem'),
      gres: f.str('gres'),
      extraSbatch: f.strs('sbatch') ?? [],
      prelude: f.strs('prelude') ?? [],
      retries: f.int('retries', 0),
      pollMs: poll === undefined ? undefined : Math.round(poll * 1000),
      wait: true,
    },
  };
}

/** What {@link runCliStageOnSlurm} needs. */
export interface CliStageOnSlurm<T> {
  /** The umbrella CLI's argv of the stage (absolute paths), e.g. `['validate', repo, '--candidates', …]`. */
  argv: string[];
  /** Flag of the keyed output the shard writes (`--out`, `--shard-out`). */
  outFlag: string;
  out: string;
  settings: StageSlurmSettings;
  /** Folder for the run when the executor names none. */
  defaultRunDir: string;
  jobName: string;
  key: (record: T) => string;
  schema?: SchemaName;
  requirePaths?: { path: string; what: string }[];
  requireUrls?: { url: string; what: string }[];
  env?: Record<string, string>;
  log: (line: string) => void;
}

/** Run one stage CLI as a Slurm job array through the umbrella `swe-forge` bin; resolves once merged. */
export async function runCliStageOnSlurm<T>(o: CliStageOnSlurm<T>): Promise<{ submitted: number; shards: number; runDir: string }> {
  const { outFlag, defaultRunDir, settings, ...rest } = o;
  const r = await runStageOnSlurm<T>({ ...rest, cliModuleUrl: CLI_MODULE_URL, rewrite: { outFlag }, settings: { ...settings, runDir: settings.runDir ?? defaultRunDir } });
  if (!r.complete) throw new Error(`${o.jobName}: the Slurm run did not complete (${r.runDir}); rerun the pipeline to follow it`);
  return { submitted: r.submitted, shards: r.state.count, runDir: r.runDir };
}
