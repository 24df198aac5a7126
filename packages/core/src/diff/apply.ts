import { mkdtemp, readFile, realpath, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { run } from '../proc/index.js';
import { PatchApplyError } from './errors.js';
import { parsePatch } from './parse.js';

/** Options for {@link applyPatch}. */
export interface ApplyPatchOptions {
  /** Apply the patch in reverse (undo it). */
  reverse?: boolean;
  /** Only check that it applies; change nothing. */
  check?: boolean;
  /** Context lines `patch` may ignore in the fallback (default 2, GNU patch's default). */
  fuzz?: number;
}

/** How a patch was applied and which files it touched. */
export interface ApplyPatchResult {
  /** 'git' = git apply (exact context, offsets allowed); 'patch' = the `patch --fuzz` fallback. */
  method: 'git' | 'patch';
  /** Paths touched (new-side path; old for deletions). */
  files: string[];
}

function gitEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' };
  // An inherited GIT_DIR (e.g. from a hook) would point git apply at the wrong repository.
  for (const k of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_PREFIX', 'GIT_COMMON_DIR']) delete env[k];
  // Inside a subdirectory of a repository, git apply resolves paths from the repository root and
  // silently skips files outside the cwd. The ceiling stops discovery above `dir`: `dir` is either
  // a repository root itself or treated as a plain directory.
  env.GIT_CEILING_DIRECTORIES = dirname(dir);
  return env;
}

function firstFailure(stderr: string): { file?: string; hunkLine?: number } {
  let m = /error: patch failed: (.+):(\d+)/.exec(stderr);
  if (m) return { file: m[1], hunkLine: Number(m[2]) };
  m = /error: (.+?): (?:No such file or directory|does not exist in index|already exists in working directory|patch does not apply)/.exec(stderr);
  if (m) return { file: m[1] };
  m = /can't find file to patch|patching file (.+)\n[^\n]*FAILED/.exec(stderr);
  if (m?.[1]) return { file: m[1] };
  return {};
}

/**
 * Applies a unified diff to the files under `dir` (a git repository root or any plain
 * directory) with `git apply`, falling back to `patch -p1 --fuzz` when the context does not
 * match exactly. All or nothing: on failure throws {@link PatchApplyError} (file, hunk, the
 * tools' output and a hint) and the tree is unchanged. With `check`, nothing is written.
 */
export async function applyPatch(dir: string, patch: string, opts: ApplyPatchOptions = {}): Promise<ApplyPatchResult> {
  const parsed = parsePatch(patch);
  const files: string[] = [];
  for (const f of parsed) {
    const p = f.newPath ?? f.oldPath;
    if (p !== null && !files.includes(p)) files.push(p);
  }
  if (parsed.length === 0) {
    if (patch.trim() === '') return { method: 'git', files: [] };
    throw new PatchApplyError(`no file sections found in the patch for ${dir}: expected 'diff --git' or '---'/'+++' headers`, {
      dir,
      gitStderr: '',
      patchOutput: '',
      hint: 'pass a unified diff (e.g. from createPatch or `git diff`)',
    });
  }
  const absDir = await realpath(dir).catch(() => {
    throw new PatchApplyError(`cannot apply patch: directory ${dir} does not exist`, {
      dir,
      gitStderr: '',
      patchOutput: '',
      hint: 'check the directory path',
    });
  });
  const text = patch.endsWith('\n') ? patch : `${patch}\n`;
  // git apply rejects hunks without context unless told they are intentional.
  const zeroContext = parsed.some((f) => f.hunks.some((h) => !h.lines.some((l) => l[0] === ' ')));
  const tmp = await mkdtemp(join(tmpdir(), 'swe-forge-patch-'));
  const patchFile = join(tmp, 'change.patch');
  try {
    await writeFile(patchFile, text);
    const gitArgs = ['git', '-c', 'safe.directory=*', '-c', 'core.autocrlf=false', 'apply', '--whitespace=nowarn'];
    if (opts.reverse) gitArgs.push('--reverse');
    if (zeroContext) gitArgs.push('--unidiff-zero');
    const git = await run([...gitArgs, ...(opts.check ? ['--check'] : []), patchFile], { cwd: absDir, env: gitEnv(absDir) });
    if (git.exitCode === 0) return { method: 'git', files };

    const fuzz = Math.max(0, Math.floor(opts.fuzz ?? 2));
    const patchArgs = ['patch', '-p1', `--fuzz=${fuzz}`, '--forward', '--batch', '--no-backup-if-mismatch', '--reject-file=-', '-i', patchFile];
    if (opts.reverse) patchArgs.push('-R');
    let patchOutput = '';
    let fallbackOk = false;
    try {
      // Dry run first: a failed fallback must not leave half-applied files behind.
      const dry = await run([...patchArgs, '--dry-run'], { cwd: absDir, env: { ...process.env, LC_ALL: 'C' } });
      patchOutput = (dry.stdout + dry.stderr).trim();
      fallbackOk = dry.exitCode === 0;
    } catch (e) {
      patchOutput = `patch fallback unavailable: ${(e as Error).message}`;
    }
    if (fallbackOk && opts.check) return { method: 'patch', files };
    if (fallbackOk) {
      const snapshot = await snapshotFiles(absDir, parsed.flatMap((f) => [f.oldPath, f.newPath]));
      const real = await run(patchArgs, { cwd: absDir, env: { ...process.env, LC_ALL: 'C' } });
      if (real.exitCode === 0) {
        await removeLeftovers(absDir, files);
        return { method: 'patch', files };
      }
      await restoreFiles(absDir, snapshot);
      patchOutput = (real.stdout + real.stderr).trim();
    }

    const where = firstFailure(git.stderr);
    let hint = opts.reverse
      ? 'the files do not match the patched state; is the patch applied to this tree?'
      : 'the files do not match the patch\'s "before" side; was it made against another commit or already applied?';
    if (!opts.reverse) {
      const back = await run([...gitArgs.filter((a) => a !== '--reverse'), '--reverse', '--check', patchFile], { cwd: absDir, env: gitEnv(absDir) });
      if (back.exitCode === 0) hint = 'the patch appears to be applied already (it applies in reverse)';
    }
    const first = git.stderr.split('\n').find((l) => l.startsWith('error:')) ?? git.stderr.trim().split('\n')[0] ?? '';
    const loc = where.file ? ` ${where.file}${where.hunkLine !== undefined ? ` (hunk at line ${where.hunkLine})` : ''}:` : '';
    throw new PatchApplyError(
      `${opts.check ? 'patch check failed' : 'patch does not apply'} in ${dir}:${loc} ${first.trim()}; patch --fuzz=${fuzz} fallback also failed. Hint: ${hint}`,
      { dir, file: where.file, hunkLine: where.hunkLine, gitStderr: git.stderr, patchOutput, hint },
    );
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

type Snapshot = Map<string, Buffer | null>;

async function snapshotFiles(dir: string, paths: (string | null)[]): Promise<Snapshot> {
  const snap: Snapshot = new Map();
  for (const p of paths) {
    if (p === null || snap.has(p)) continue;
    snap.set(p, await readFile(join(dir, p)).catch(() => null));
  }
  return snap;
}

async function restoreFiles(dir: string, snap: Snapshot): Promise<void> {
  for (const [p, content] of snap) {
    const abs = join(dir, p);
    if (content === null) await unlink(abs).catch(() => undefined);
    else await writeFile(abs, content);
  }
}

async function removeLeftovers(dir: string, files: string[]): Promise<void> {
  for (const f of files) {
    await unlink(join(dir, `${f}.orig`)).catch(() => undefined);
    await unlink(join(dir, `${f}.rej`)).catch(() => undefined);
  }
}
