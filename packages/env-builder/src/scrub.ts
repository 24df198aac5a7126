/** History scrubbing: a fresh one-commit git repository of the tree, and cheap working copies of it. */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, runShell } from '@swe-forge/core/proc';
import { isGitRoot } from './detect/index.js';

/** Files git must never see in a working copy (bytecode, caches, build metadata). */
export const EXCLUDES = [
  '__pycache__/',
  '*.pyc',
  '.pytest_cache/',
  '*.egg-info/',
  '.eggs/',
  '.coverage',
  '.coverage.*',
  '.hypothesis/',
  '.tox/',
  '.nox/',
];

/** A fixed identity and date so the same tree always gives the same commit. */
export const GIT_ENV: Record<string, string> = {
  GIT_AUTHOR_NAME: 'swe-forge',
  GIT_AUTHOR_EMAIL: 'swe-forge@localhost',
  GIT_COMMITTER_NAME: 'swe-forge',
  GIT_COMMITTER_EMAIL: 'swe-forge@localhost',
  GIT_AUTHOR_DATE: '2000-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2000-01-01T00:00:00Z',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
};

/** Error thrown when a git/file step of scrubbing fails. */
export class ScrubError extends Error {
  override name = 'ScrubError';
}

async function git(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await run(['git', '-c', 'core.hooksPath=/dev/null', '-c', 'init.defaultBranch=main', ...args], {
    cwd,
    env: { ...process.env, ...GIT_ENV, ...env },
  });
  if (r.exitCode !== 0)
    throw new ScrubError(`git ${args.join(' ')} failed in ${cwd}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return r.stdout.trim();
}

/** The result of scrubbing: the source commit (or tree hash) and the scrubbed tree hash. */
export interface ScrubResult {
  /** Commit of the source repository (HEAD), or the scrubbed tree hash for a plain folder. */
  commit: string;
  /** git tree hash of the scrubbed copy: the content identity of the environment. */
  tree: string;
}

/**
 * Write a history-scrubbed copy of `repoDir` to `dest`: the tracked files at HEAD (or every file of a
 * plain folder), without .git history, tags, remotes, reflog or CI workflows, committed once.
 */
export async function scrubRepository(repoDir: string, dest: string): Promise<ScrubResult> {
  mkdirSync(dest, { recursive: true });
  let commit: string | null = null;
  if (isGitRoot(repoDir)) {
    commit = await git(repoDir, ['rev-parse', 'HEAD']);
    const idx = join(dest, '.swe-forge-index');
    // A private index file: the source repository's own index is never touched.
    await git(repoDir, ['read-tree', 'HEAD'], { GIT_INDEX_FILE: idx });
    await git(repoDir, ['checkout-index', '-a', '-f', `--prefix=${dest.replace(/\/?$/, '/')}`], { GIT_INDEX_FILE: idx });
    rmSync(idx, { force: true });
  } else {
    const ex = [
      '.git',
      '__pycache__',
      '*.pyc',
      '.venv',
      'venv',
      '.tox',
      '.nox',
      'node_modules',
      '*.egg-info',
      '.pytest_cache',
      '.mypy_cache',
      '.hypothesis',
    ];
    const r = await runShell(`tar -C "$SRC" ${ex.map((e) => `--exclude='${e}'`).join(' ')} -cf - . | tar -C "$DEST" -xf -`, {
      env: { ...process.env, SRC: repoDir, DEST: dest },
    });
    if (r.exitCode !== 0) throw new ScrubError(`copying ${repoDir} to ${dest} failed: ${r.stderr.trim()}`);
  }
  // CI workflows can carry answers (and are no part of the code under test).
  rmSync(join(dest, '.github', 'workflows'), { recursive: true, force: true });
  await git(dest, ['init', '-q']);
  writeFileSync(join(dest, '.git', 'info', 'exclude'), `${EXCLUDES.join('\n')}\n`);
  await git(dest, ['add', '-A', '-f', '.']);
  await git(dest, ['commit', '-q', '--no-verify', '--allow-empty', '-m', 'swe-forge: scrubbed snapshot']);
  stripGitExtras(dest);
  const tree = await git(dest, ['rev-parse', 'HEAD^{tree}']);
  return { commit: commit ?? tree, tree };
}

/** Remove reflogs, sample hooks and other non-essential git state from a working copy. */
function stripGitExtras(dir: string): void {
  for (const p of ['logs', 'hooks', 'description', 'COMMIT_EDITMSG', 'ORIG_HEAD', 'FETCH_HEAD'])
    rmSync(join(dir, '.git', p), { recursive: true, force: true });
}

/**
 * Make a working copy of a scrubbed template at `dest`: same single commit, no remote, no reflog.
 * A plain recursive copy plus `git clean` (measured on pygments, 72 MB: ~0.4 s vs ~0.8 s for
 * `git clone --local`, which also has to check the tree out).
 */
export async function cloneWorkingCopy(template: string, dest: string): Promise<void> {
  if (existsSync(dest)) rmSync(dest, { recursive: true, force: true });
  mkdirSync(join(dest, '..'), { recursive: true });
  const r = await run(['cp', '-a', '--reflink=auto', template, dest]);
  if (r.exitCode !== 0) throw new ScrubError(`copying ${template} to ${dest} failed: ${r.stderr.trim()}`);
  // Build artifacts the editable install left in the template (egg-info, build/) are not part of the commit.
  await git(dest, ['clean', '-q', '-f', '-d', '-x']);
  writeFileSync(join(dest, '.git', 'info', 'exclude'), `${EXCLUDES.join('\n')}\n`);
  stripGitExtras(dest);
}
