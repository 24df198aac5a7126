import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, onTestFinished } from 'vitest';

const created = new Set<string>();
let hooked = false;

/** Remove every directory made by {@link tempDir} so far (also runs at process exit). */
export function cleanupTempDirs(): void {
  for (const dir of created) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort: a still-running child may hold a file; the OS tmp cleaner gets it later
    }
  }
  created.clear();
}

function remove(dir: string): void {
  created.delete(dir);
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // best effort, as above
  }
}

/**
 * A fresh empty directory under the OS temp dir, removed automatically: when the current
 * test finishes (made inside a test), after the file's tests (made while collecting, e.g.
 * in a describe block), else when the process exits.
 */
export function tempDir(prefix = 'swe-forge-test-'): string {
  if (!hooked) {
    hooked = true;
    process.once('exit', cleanupTempDirs);
  }
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.add(dir);
  // vitest's fork workers may be killed without an 'exit' event, so prefer its hooks
  try {
    onTestFinished(() => remove(dir));
  } catch {
    try {
      afterAll(() => remove(dir));
    } catch {
      // not inside vitest: the exit hook cleans up
    }
  }
  return dir;
}

/** Options for {@link makeTempGitRepo}. */
export interface TempGitRepoOptions {
  /** Commit message; default `initial commit`. */
  message?: string;
  /** Branch name; default `main`. */
  branch?: string;
  /** Use this directory instead of a new temp dir (it must exist). */
  dir?: string;
}

// Fixed identity and dates so commit hashes are reproducible and no global git config is needed.
const GIT_ENV = {
  GIT_AUTHOR_NAME: 'swe-forge test',
  GIT_AUTHOR_EMAIL: 'test@swe-forge.invalid',
  GIT_COMMITTER_NAME: 'swe-forge test',
  GIT_COMMITTER_EMAIL: 'test@swe-forge.invalid',
  GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

/** Run git in `cwd` with a fixed identity; returns trimmed stdout. */
export function git(cwd: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${stderr.trim() || String(error)}`);
  }
}

/** Commit everything in `dir` as the first commit of a new repository; returns the commit hash. */
export function initGitRepo(dir: string, opts: Pick<TempGitRepoOptions, 'message' | 'branch'> = {}): string {
  git(dir, ['init', '-q', '-b', opts.branch ?? 'main']);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '--no-gpg-sign', '--allow-empty', '-m', opts.message ?? 'initial commit']);
  return git(dir, ['rev-parse', 'HEAD']);
}

/**
 * Create a temporary git repository holding `files` (path → content, nested paths made)
 * in one commit. Returns its path; it is removed when the process exits.
 */
export function makeTempGitRepo(files: Record<string, string>, opts: TempGitRepoOptions = {}): string {
  const dir = opts.dir ?? tempDir('swe-forge-repo-');
  for (const [path, content] of Object.entries(files)) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  initGitRepo(dir, opts);
  return dir;
}

/** Absolute path of the embedded demo repository (examples/demo-repo), read-only by convention. */
export function demoRepoPath(): string {
  // src/git.ts and dist/*.js both sit two levels below packages/testkit
  const here = dirname(fileURLToPath(import.meta.url));
  const path = join(here, '..', '..', '..', 'examples', 'demo-repo');
  if (!existsSync(path)) throw new Error(`demo repository not found at ${path}: run from a swe-forge checkout`);
  return path;
}

const SKIP = new Set(['__pycache__', '.pytest_cache', '.benchmarks', '.mypy_cache', '.venv', '.git']);

/**
 * Copy examples/demo-repo to a fresh temp dir (without caches) and return its path.
 * With `git: true` the copy is a git repository with one commit.
 */
export function copyDemoRepo(opts: { git?: boolean } = {}): string {
  const src = demoRepoPath();
  const dir = join(tempDir('swe-forge-demo-'), 'demo-repo');
  cpSync(src, dir, {
    recursive: true,
    filter: (path) => !SKIP.has(basename(path)) && !path.endsWith('.egg-info'),
  });
  if (opts.git) initGitRepo(dir);
  return dir;
}
