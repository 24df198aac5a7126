/**
 * The Sandbox contract: every stage that runs repository code (validator, rollout,
 * verifier) goes through it, so the backend (venv, bubblewrap, containers) is swappable.
 */
import type { RunResult } from '@swe-forge/core/proc';

/** Options of one command run inside a sandbox. */
export interface SandboxExecOptions {
  /** Working directory, relative to the working copy root (default: the root). */
  cwd?: string;
  /** Extra environment variables (merged over the sandbox's own environment). */
  env?: Record<string, string>;
  /** Kill the whole process group after this many milliseconds. */
  timeoutMs?: number;
  /** Cap on captured stdout+stderr bytes (head and tail kept). */
  maxOutputBytes?: number;
}

/**
 * The outcome of one command run inside a sandbox: core's `RunResult` (exit code, signal,
 * timedOut, durationMs, stdout, stderr, truncated — output cut to `maxOutputBytes`).
 */
export type SandboxExecResult = RunResult;

/** An isolated working copy of the repository plus a (shared, read-only) environment. */
export interface Sandbox {
  /** Backend name, e.g. `venv` or `bwrap`. */
  readonly backend: string;
  /** Absolute host path of the working copy (a history-scrubbed git repository). */
  readonly root: string;
  /** Run a shell command (bash -c) inside the sandbox. Never throws on a non-zero exit. */
  exec(cmd: string, opts?: SandboxExecOptions): Promise<SandboxExecResult>;
  /** Read a file of the working copy (path relative to the root). */
  readFile(path: string): Promise<string>;
  /** Write a file of the working copy (path relative to the root), creating folders. */
  writeFile(path: string, content: string): Promise<void>;
  /** Unified diff (git-apply compatible) of the working copy against its clean commit. */
  diff(): Promise<string>;
  /** Restore the working copy to its clean commit (tracked and untracked files). */
  reset(): Promise<void>;
  /** Remove the working copy and release resources. Idempotent. */
  dispose(): Promise<void>;
}
