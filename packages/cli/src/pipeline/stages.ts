/**
 * Typed views of the stage packages the pipeline drives, loaded on demand so that a
 * missing or unfinished package fails the stage that needs it with a clear message.
 */
import type { BugCandidate, EnvSpec, TaskInstance, ValidationResult } from '@swe-forge/core/schema';
import { loadStage } from '../groups.js';

/** What env-builder's `buildEnvironment` returns. */
export interface BuiltEnvironmentLike {
  spec: EnvSpec;
  dir: string;
  cached: boolean;
  durationMs: number;
  logPath: string;
}

/** What env-builder's `openEnvironment` returns. */
export interface EnvironmentLike {
  readonly spec: EnvSpec;
  sandbox(): Promise<unknown>;
  workers(n: number): Promise<unknown[]>;
  dispose(): Promise<void>;
}

/** @swe-forge/env-builder, as the pipeline uses it. */
export interface EnvBuilderModule {
  buildEnvironment(repoDir: string, opts?: Record<string, unknown>): Promise<BuiltEnvironmentLike>;
  openEnvironment(env: BuiltEnvironmentLike | EnvSpec, opts?: { backend?: 'venv' | 'bwrap' }): Promise<EnvironmentLike>;
  bwrapAvailable(): Promise<{ ok: boolean; reason?: string }>;
}

/** @swe-forge/procedural-bugs, as the pipeline uses it. */
export interface ProceduralBugsModule {
  generateProceduralBugs(repoDir: string, opts: Record<string, unknown>): Promise<{ candidates: BugCandidate[]; stats: Record<string, unknown> }>;
  MODIFIERS: readonly { name: string; family: string; description: string }[];
}

/** @swe-forge/lm-bugs, as the pipeline uses it. */
export interface LmBugsModule {
  generateLmBugs(repoDir: string, opts: Record<string, unknown>): Promise<{ candidates: BugCandidate[]; stats: Record<string, unknown> & { cost_usd_answers: number } }>;
}

/** @swe-forge/pr-mirror, as the pipeline uses it. */
export interface PrMirrorModule {
  mirrorChanges(repoDir: string, opts: Record<string, unknown>): Promise<{ candidates: BugCandidate[]; stats: Record<string, unknown> & { lm: { cost_usd_answers: number } } }>;
}

/** @swe-forge/validator, as the pipeline uses it. */
export interface ValidatorModule {
  validateCandidates(env: EnvironmentLike, candidates: BugCandidate[], opts: Record<string, unknown>): Promise<{ results: ValidationResult[]; stats: Record<string, unknown> }>;
  gatherInstances(results: ValidationResult[], opts: { baseCommit?: string; artifactsDir?: string; createdAt?: string }): TaskInstance[];
}

/** @swe-forge/combine, as the pipeline uses it. */
export interface CombineModule {
  combineBugs(instances: TaskInstance[], opts: Record<string, unknown>): Promise<BugCandidate[]>;
}

/** Load env-builder (stage `env`). */
export const loadEnvBuilder = (): Promise<EnvBuilderModule> => loadStage<EnvBuilderModule>('env', '@swe-forge/env-builder', ['buildEnvironment', 'openEnvironment', 'bwrapAvailable']);
/** Load procedural-bugs (stage `bugs`). */
export const loadProceduralBugs = (): Promise<ProceduralBugsModule> => loadStage<ProceduralBugsModule>('bugs', '@swe-forge/procedural-bugs', ['generateProceduralBugs', 'MODIFIERS']);
/** Load lm-bugs (stages `bugs:lm_modify`, `bugs:lm_rewrite`). */
export const loadLmBugs = (): Promise<LmBugsModule> => loadStage<LmBugsModule>('bugs:lm', '@swe-forge/lm-bugs', ['generateLmBugs']);
/** Load pr-mirror (stage `bugs:pr_mirror`). */
export const loadPrMirror = (): Promise<PrMirrorModule> => loadStage<PrMirrorModule>('bugs:pr_mirror', '@swe-forge/pr-mirror', ['mirrorChanges']);
/** Load the validator (stages `validate` and `gather`). */
export const loadValidator = (): Promise<ValidatorModule> => loadStage<ValidatorModule>('validate', '@swe-forge/validator', ['validateCandidates', 'gatherInstances']);
/** Load combine (stage `combine`). */
export const loadCombine = (): Promise<CombineModule> => loadStage<CombineModule>('combine', '@swe-forge/combine', ['combineBugs']);
