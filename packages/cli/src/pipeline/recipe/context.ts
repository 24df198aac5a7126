/** What the recipe stages (rollout, sft, train, verify) share: the run's config, runner, environment and instances. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskInstance } from '@swe-forge/core/schema';
import type { PipelineConfig } from '../config.js';
import type { StageRunner } from '../runner.js';
import type { EnvironmentLike } from '../stages.js';

/** The recipe stages' view of a pipeline run. */
export interface RecipeContext {
  cfg: PipelineConfig;
  runner: StageRunner;
  /** The dataset's instances with their problem statements, in `instances.jsonl` order. */
  instances: TaskInstance[];
  /** `instances.jsonl`. */
  datasetPath: string;
  /** Open the instances' environment with a sandbox backend (default: bwrap where it works, else venv); disposed at the end of the run. */
  openEnv(backend?: 'venv' | 'bwrap'): Promise<EnvironmentLike>;
  /** The built environment's folder (what Slurm array tasks open with `--env`). */
  envDir: string;
  /** false: no progress lines; undefined: each stage's default (on a TTY outside CI). */
  progress?: false;
  log: (line: string) => void;
}

/** Folders of the recipe stages inside the output folder. */
export function recipePaths(out: string) {
  return {
    rollout: (name: string) => join(out, 'rollouts', name),
    sft: join(out, 'sft'),
    train: join(out, 'train'),
    verify: join(out, 'verify'),
  };
}

/** Size and modification time of files (a cheap stand-in for their content in stage input hashes). */
export function fileStamps(paths: readonly string[]): { path: string; size: number; mtime: number }[] {
  return paths.map((path) => {
    if (!existsSync(path)) return { path, size: -1, mtime: 0 };
    const s = statSync(path);
    return { path, size: s.size, mtime: Math.round(s.mtimeMs) };
  });
}
