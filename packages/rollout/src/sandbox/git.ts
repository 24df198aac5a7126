/**
 * Host-side git over an agent's working copy. The working copy (and its `.git`) is the agent's
 * to change, so git never reads it as a repository: every call uses the pristine copy of the
 * buggy repository kept outside the working copy (`base.git`) as GIT_DIR, the working copy only
 * as GIT_WORK_TREE, a private index, and no global or system config. A filter driver, hook or
 * fsmonitor the agent plants in the working copy's `.git` is therefore never run on the host.
 */
import { run } from '@swe-forge/core/proc';
import { GIT_ENV } from '@swe-forge/env-builder';

/** env-builder's fixed identity and date (one tree always gives one commit), with no global config either. */
export const FIXED_GIT_ENV: Record<string, string> = {
  ...GIT_ENV,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_OPTIONAL_LOCKS: '0',
  LC_ALL: 'C',
};

/** A git command failed; says which, where and what git said. */
export class GitError extends Error {
  override name = 'GitError';
}

/** Environment for git without any inherited repository selection. */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...FIXED_GIT_ENV, ...extra };
  for (const k of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_PREFIX', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_CEILING_DIRECTORIES'])
    if (!(k in extra)) delete env[k];
  return env;
}

/** Options every git call starts with: no hooks, no fsmonitor, a fixed default branch. */
export const SAFE_GIT = ['-c', 'core.hooksPath=/dev/null', '-c', 'init.defaultBranch=main', '-c', 'core.fsmonitor=false'];

/** Run git (argv after `git`) in `cwd`; throws {@link GitError} on a non-zero exit. Returns stdout. */
export async function git(cwd: string, args: string[], extra: Record<string, string> = {}, maxOutputBytes?: number): Promise<string> {
  const r = await run(['git', ...SAFE_GIT, ...args], {
    cwd,
    env: gitEnv(extra),
    timeoutMs: 120_000,
    maxOutputBytes,
  });
  if (r.exitCode !== 0) throw new GitError(`git ${args.join(' ')} failed in ${cwd}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  if (r.truncated) throw new GitError(`git ${args.join(' ')} in ${cwd} printed more than ${maxOutputBytes} bytes`);
  return r.stdout;
}

/** Options of git calls over a working copy with a separate repository. */
export interface WorkTreeGit {
  /** The repository (GIT_DIR), kept outside the working copy. */
  gitDir: string;
  /** The working copy. */
  workTree: string;
}

/** Run git with `gitDir` as the repository and `workTree` as the working copy (and an optional index file). */
export function workTreeGit(w: WorkTreeGit, args: string[], index?: string, maxOutputBytes?: number): Promise<string> {
  const extra: Record<string, string> = { GIT_DIR: w.gitDir, GIT_WORK_TREE: w.workTree };
  if (index) extra.GIT_INDEX_FILE = index;
  return git(w.workTree, args, extra, maxOutputBytes);
}

/** One entry of `git status --porcelain -z`: two status letters and a path. */
export interface StatusEntry {
  /** Index and work-tree status letters, e.g. ` M`, `??`, ` D`. */
  xy: string;
  path: string;
}

/** Parse `git status --porcelain=v1 -z --no-renames` output. */
export function parseStatus(out: string): StatusEntry[] {
  const entries: StatusEntry[] = [];
  for (const rec of out.split('\0')) {
    if (rec.length < 4) continue;
    entries.push({ xy: rec.slice(0, 2), path: rec.slice(3) });
  }
  return entries;
}
