/**
 * Real `git apply --check` for many patches at once: git checks each patch file given on
 * one command line independently against the working tree, so one invocation covers
 * hundreds of candidates; a failing batch is bisected to find the bad patches. Checks can
 * start while files are still being processed (one git process at a time), so the check
 * overlaps the generation.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { run } from '@swe-forge/core/proc';

const BATCH = 400;

/** Checks patches against a working tree with `git apply --check`, caching verdicts by patch text. */
export class GitApplyChecker {
  private readonly root: string;
  private readonly verdicts = new Map<string, Promise<boolean>>();
  private dir: Promise<string> | null = null;
  private seq = 0;
  private chain: Promise<void> = Promise.resolve();
  private pending: { patch: string; resolve: (ok: boolean) => void }[] = [];

  constructor(repoDir: string) {
    this.root = resolve(repoDir);
  }

  /** Queues patches; batches of 400 start as soon as they fill up. */
  prefetch(patches: readonly string[]): void {
    for (const p of patches) {
      if (this.verdicts.has(p)) continue;
      this.verdicts.set(p, new Promise<boolean>((res) => this.pending.push({ patch: p, resolve: res })));
    }
    while (this.pending.length >= BATCH) this.startBatch(this.pending.splice(0, BATCH));
  }

  /** Per patch, whether `git apply --check` accepts it. */
  async check(patches: readonly string[]): Promise<boolean[]> {
    this.prefetch(patches);
    if (this.pending.length) this.startBatch(this.pending.splice(0));
    return Promise.all(patches.map((p) => this.verdicts.get(p) as Promise<boolean>));
  }

  /** Removes the temporary patch files. */
  async dispose(): Promise<void> {
    await this.chain;
    if (this.dir) await rm(await this.dir, { recursive: true, force: true });
  }

  private startBatch(batch: { patch: string; resolve: (ok: boolean) => void }[]): void {
    this.chain = this.chain.then(async () => {
      let ok: boolean[];
      try {
        ok = await this.runBatch(batch.map((b) => b.patch));
      } catch {
        ok = batch.map(() => false);
      }
      batch.forEach((b, i) => b.resolve(ok[i]));
    });
  }

  private async runBatch(patches: string[]): Promise<boolean[]> {
    this.dir ??= mkdtemp(join(tmpdir(), 'swe-forge-check-'));
    const dir = await this.dir;
    const paths = patches.map(() => join(dir, `${this.seq++}.diff`));
    await Promise.all(patches.map((p, i) => writeFile(paths[i], p)));
    const ok: boolean[] = new Array<boolean>(patches.length).fill(false);
    // Patch paths are relative to root: stop git from finding an enclosing repository above it.
    const env = { ...process.env, GIT_CEILING_DIRECTORIES: dirname(this.root) };
    const check = async (idx: number[]) =>
      (await run(['git', 'apply', '--check', ...idx.map((i) => paths[i])], { cwd: this.root, env, timeoutMs: 300_000 })).exitCode === 0;
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
    await bisect(patches.map((_, i) => i));
    await Promise.all(paths.map((p) => rm(p, { force: true })));
    return ok;
  }
}

/** Returns, per patch, whether `git apply --check` accepts it in `repoDir`. */
export async function gitApplyCheckMany(repoDir: string, patches: readonly string[]): Promise<boolean[]> {
  const checker = new GitApplyChecker(repoDir);
  try {
    return await checker.check(patches);
  } finally {
    await checker.dispose();
  }
}
