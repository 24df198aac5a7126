/**
 * Environments for a list of repositories: one build per repository (in a local pool, or one
 * shard of the list per Slurm array task), each outcome a keyed record in a resumable JSONL, so
 * a rerun builds only what is missing and a failed repository never stops the others.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { runPool, shardOf } from '@swe-forge/core/exec';
import { readJsonlAll, ResumableJsonlWriter } from '@swe-forge/core/jsonl';
import type { Baseline } from '@swe-forge/core/schema';
import { BuildError, buildEnvironment, type BuildOptions } from './build/index.js';

/** The outcome of one repository's build. */
export interface EnvBuildRecord {
  /** Absolute path of the repository checkout (the record's key). */
  repo: string;
  ok: boolean;
  /** Environment id and folder (when built). */
  id?: string;
  dir?: string;
  cached?: boolean;
  baseline?: Baseline;
  duration_s: number;
  /** Why the build was rejected (one line), and its log. */
  error?: string;
  log_path?: string;
}

/** Options of {@link buildEnvironments}. */
export interface BuildManyOptions extends Omit<BuildOptions, 'log'> {
  /** The records file (JSONL, keyed by repository; resumable). */
  out: string;
  /** Builds at once (default 1). */
  workers?: number;
  /** Build only the repositories of one shard (one Slurm array task). */
  shard?: { index: number; count: number };
  /** Draw the progress line (default: on a TTY outside CI). */
  progress?: boolean;
  log?: (line: string) => void;
}

/** Read a repository list: one path per line, `#` comments and blank lines ignored, relative paths against the list's folder. */
export async function readRepoList(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch((e: Error) => {
    throw new Error(`cannot read the repository list ${file}: ${e.message}`);
  });
  const base = dirname(resolve(file));
  const repos = text
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean)
    .map((p) => (isAbsolute(p) ? p : resolve(base, p)));
  if (!repos.length) throw new Error(`the repository list ${file} names no repository: one checkout path per line`);
  return [...new Set(repos)];
}

/**
 * Build (or take from the cache) the environment of every repository; returns every record of
 * `out`. A rejected build is a record (`ok: false`); an unexpected error is in `errors` and the
 * repository is built again by the next run.
 */
export async function buildEnvironments(
  repos: string[],
  o: BuildManyOptions,
): Promise<{ records: EnvBuildRecord[]; built: number; skipped: number; errors: { key: string; error: string }[] }> {
  const { out, workers, shard, progress, log, ...build } = o;
  const writer = await ResumableJsonlWriter.open<EnvBuildRecord>(out, { key: (r) => r.repo });
  const mine = repos.map((r) => resolve(r)).filter((r) => !shard || shardOf(r, shard.count) === shard.index);
  let summary;
  try {
    summary = await runPool(
      mine.map((repo) => ({ key: repo, input: repo })),
      {
        concurrency: Math.max(1, workers ?? 1),
        out: writer,
        progress: progress === false ? false : { label: 'env build' },
        worker: async (repo): Promise<EnvBuildRecord> => {
          const t0 = Date.now();
          try {
            const b = await buildEnvironment(repo, { ...build, log: log ? (l) => log(`${repo}: ${l}`) : undefined });
            return { repo, ok: true, id: b.spec.id, dir: b.dir, cached: b.cached, baseline: b.spec.baseline, duration_s: (Date.now() - t0) / 1000, log_path: b.logPath };
          } catch (e) {
            // a rejected build is an outcome to record; anything else (a bug, a full disk) is retried on rerun
            if (!(e instanceof BuildError)) throw e;
            return { repo, ok: false, error: e.message.split('\n')[0], duration_s: (Date.now() - t0) / 1000, log_path: e.logPath };
          }
        },
      },
    );
    await writer.finalize();
  } catch (e) {
    await writer.close().catch(() => {});
    throw e;
  }
  return { records: await readJsonlAll<EnvBuildRecord>(out), built: summary.done, skipped: summary.skipped, errors: summary.errors };
}
