/** The `venv` and `bwrap` Sandbox backends: a working copy on the host plus a shared venv. */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, resolve } from 'node:path';
import { run } from '@swe-forge/core/proc';
import type { RunResult } from '@swe-forge/core/proc';
import { GIT_ENV } from '../scrub.js';
import type { Sandbox, SandboxExecOptions, SandboxExecResult } from './types.js';

/** What a local sandbox needs to know about the environment it runs in. */
export interface LocalSandboxConfig {
  backend: 'venv' | 'bwrap';
  /** Working copy (history-scrubbed git repository). */
  root: string;
  /** The environment folder (venv + template); read-only under bwrap. */
  envDir: string;
  /** The venv folder. */
  venv: string;
  /** Folders relative to the working copy put first on PYTHONPATH (e.g. `src`). */
  importRoots: string[];
  /** Extra variables (offline pip settings, …). */
  env?: Record<string, string>;
  /** Called once when the sandbox is disposed. */
  onDispose?: () => void;
}

/** Error thrown by sandbox file operations (path escapes, missing files). */
export class SandboxError extends Error {
  override name = 'SandboxError';
}

/** True when bubblewrap exists and can create the namespaces the bwrap backend needs. */
export async function bwrapAvailable(): Promise<{
  ok: boolean;
  reason: string;
}> {
  try {
    const r = await run(
      ['bwrap', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-net', '--unshare-pid', '--die-with-parent', 'true'],
      { timeoutMs: 20_000 }
    );
    if (r.exitCode === 0) return { ok: true, reason: 'bwrap works' };
    return {
      ok: false,
      reason: `bwrap cannot create namespaces here: ${r.stderr.trim()}`,
    };
  } catch (e) {
    return {
      ok: false,
      reason: `bwrap is not installed (${(e as Error).message}): apt-get install -y bubblewrap`,
    };
  }
}

/** A Sandbox whose commands run on the host (venv) or inside bubblewrap (bwrap). */
export class LocalSandbox implements Sandbox {
  readonly backend: string;
  readonly root: string;
  private disposed = false;
  constructor(private readonly cfg: LocalSandboxConfig) {
    this.backend = cfg.backend;
    this.root = cfg.root;
  }

  /** The environment variables every command sees (venv first on PATH, the working copy importable). */
  environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of ['PYTHONPATH', 'PYTHONHOME', 'PYTHONSTARTUP', 'PYTHONUSERBASE', 'CONDA_PREFIX', 'PIP_REQUIRE_VIRTUALENV'])
      delete env[k];
    const pyPath = this.cfg.importRoots.map((r) => normalize(join(this.root, r)));
    Object.assign(env, {
      PATH: `${join(this.cfg.venv, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      VIRTUAL_ENV: this.cfg.venv,
      PYTHONPATH: pyPath.join(':'),
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONNOUSERSITE: '1',
      PIP_DISABLE_PIP_VERSION_CHECK: '1',
      PIP_NO_INPUT: '1',
      PIP_RETRIES: '0',
      PIP_DEFAULT_TIMEOUT: '10',
      ...this.cfg.env,
      ...extra,
    });
    if (this.cfg.backend === 'bwrap') {
      env.HOME = '/tmp';
      env.TMPDIR = '/tmp';
    }
    return env;
  }

  /** The argv that runs `cmd` in this backend with working directory `cwd`. */
  argv(cmd: string, cwd: string): string[] {
    if (this.cfg.backend === 'venv') return ['bash', '-c', cmd];
    return [
      'bwrap',
      '--ro-bind',
      '/',
      '/',
      '--dev',
      '/dev',
      '--proc',
      '/proc',
      '--tmpfs',
      '/tmp',
      '--tmpfs',
      '/var/tmp',
      '--tmpfs',
      '/dev/shm',
      // Re-expose the environment (read-only) and the working copy (writable) over the private /tmp.
      '--ro-bind',
      this.cfg.envDir,
      this.cfg.envDir,
      '--bind',
      this.root,
      this.root,
      '--unshare-net',
      '--unshare-pid',
      '--unshare-ipc',
      '--unshare-uts',
      '--die-with-parent',
      '--new-session',
      '--chdir',
      cwd,
      'bash',
      '-c',
      cmd,
    ];
  }

  private resolvePath(p: string): string {
    const abs = resolve(this.root, p);
    if (abs !== this.root && !abs.startsWith(`${this.root}/`))
      throw new SandboxError(`path ${p} escapes the working copy ${this.root}: use a path relative to the root`);
    return abs;
  }

  async exec(cmd: string, opts: SandboxExecOptions = {}): Promise<SandboxExecResult> {
    this.assertLive();
    const cwd = opts.cwd ? this.resolvePath(opts.cwd) : this.root;
    const r: RunResult = await run(this.argv(cmd, cwd), {
      cwd,
      env: this.environment(opts.env),
      timeoutMs: opts.timeoutMs,
      maxOutputBytes: opts.maxOutputBytes,
    });
    return {
      exitCode: r.exitCode,
      signal: r.signal,
      timedOut: r.timedOut,
      durationMs: r.durationMs,
      stdout: r.stdout,
      stderr: r.stderr,
      truncated: r.truncated,
    };
  }

  async readFile(path: string): Promise<string> {
    this.assertLive();
    return readFile(this.resolvePath(path), 'utf8');
  }

  async writeFile(path: string, content: string): Promise<void> {
    this.assertLive();
    const abs = this.resolvePath(path);
    await mkdir(dirname(abs), { recursive: true });
    await writeFile(abs, content);
  }

  async diff(): Promise<string> {
    this.assertLive();
    // A private index: `git add -A` there sees new files without touching the real index.
    const idx = join(this.root, '.git', `swe-forge-diff-${process.pid}-${Date.now()}.idx`);
    const env = { ...process.env, ...GIT_ENV, GIT_INDEX_FILE: idx };
    try {
      for (const args of [
        ['read-tree', 'HEAD'],
        ['add', '-A', '.'],
      ]) {
        const r = await run(['git', ...args], { cwd: this.root, env });
        if (r.exitCode !== 0) throw new SandboxError(`git ${args.join(' ')} failed in ${this.root}: ${r.stderr.trim()}`);
      }
      const d = await run(['git', '-c', 'core.quotepath=off', 'diff', '--cached', '--binary', '--no-color', '--no-ext-diff', 'HEAD'], {
        cwd: this.root,
        env,
      });
      if (d.exitCode !== 0) throw new SandboxError(`git diff failed in ${this.root}: ${d.stderr.trim()}`);
      return d.stdout;
    } finally {
      rmSync(idx, { force: true });
    }
  }

  async reset(): Promise<void> {
    this.assertLive();
    for (const args of [
      ['reset', '-q', '--hard', 'HEAD'],
      ['clean', '-q', '-f', '-d', '-x'],
    ]) {
      const r = await run(['git', ...args], {
        cwd: this.root,
        env: { ...process.env, ...GIT_ENV },
      });
      if (r.exitCode !== 0) throw new SandboxError(`git ${args.join(' ')} failed in ${this.root}: ${r.stderr.trim()}`);
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    rmSync(this.root, { recursive: true, force: true });
    this.cfg.onDispose?.();
  }

  private assertLive(): void {
    if (this.disposed) throw new SandboxError(`sandbox ${this.root} was disposed: open a new one with env.sandbox()`);
  }
}

/** Write a file synchronously (used for .pth files); exported for the builder. */
export function writeText(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** Read a file or return null. */
export function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** True when the path is absolute. */
export const isAbs = isAbsolute;
