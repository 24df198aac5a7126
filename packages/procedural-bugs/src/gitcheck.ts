/**
 * Real `git apply --check` for many patches at once: git checks each patch file given on
 * one command line independently against the working tree, so one invocation covers
 * hundreds of candidates; a failing batch is bisected to find the bad patches.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { run } from '@swe-forge/core/proc';

const BATCH = 400;

/** Returns, per patch, whether `git apply --check` accepts it in `repoDir`. */
export async function gitApplyCheckMany(repoDir: string, patches: readonly string[]): Promise<boolean[]> {
  const ok: boolean[] = new Array<boolean>(patches.length).fill(false);
  if (patches.length === 0) return ok;
  const dir = await mkdtemp(join(tmpdir(), 'swe-forge-check-'));
  const root = resolve(repoDir);
  try {
    const paths = patches.map((_, i) => join(dir, `${i}.diff`));
    await Promise.all(patches.map((p, i) => writeFile(paths[i], p)));
    // Stop git from finding an enclosing repository when repoDir is a subfolder of one:
    // patch paths are relative to repoDir.
    const env = { ...process.env, GIT_CEILING_DIRECTORIES: dirname(root) };
    const check = async (idx: number[]): Promise<boolean> => {
      const res = await run(['git', 'apply', '--check', ...idx.map((i) => paths[i])], { cwd: root, env, timeoutMs: 300_000 });
      return res.exitCode === 0;
    };
    const bisect = async (idx: number[]): Promise<void> => {
      if (idx.length === 0) return;
      if (await check(idx)) {
        for (const i of idx) ok[i] = true;
        return;
      }
      if (idx.length === 1) return;
      const mid = idx.length >> 1;
      await bisect(idx.slice(0, mid));
      await bisect(idx.slice(mid));
    };
    const all = patches.map((_, i) => i);
    for (let i = 0; i < all.length; i += BATCH) await bisect(all.slice(i, i + BATCH));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return ok;
}
