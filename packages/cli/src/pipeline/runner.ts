/**
 * The stage runner: each stage runs once, leaves a marker (`work/stages/<stage>.json`) when
 * done, and is resumed from its outputs on the next run. A stage that declares its inputs is
 * run again when they change (the stage itself resumes by key, so only new work is done).
 *
 * Where a stage's work runs is its executor's business: today every stage runs in this process
 * ({@link LOCAL_EXECUTOR}); `executorFor` is the seam for choosing one per stage (e.g. a Slurm
 * job array for rollout or validation).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StageTiming } from '../report/data.js';

/** What a stage produced: its value for later stages, a record count and stats kept in its marker. */
export interface StageOutcome<T> {
  value: T;
  records: number;
  stats?: Record<string, unknown>;
}

/** One stage's work, as an executor receives it. */
export interface StageWork<T> {
  name: string;
  run(): Promise<StageOutcome<T>>;
}

/** Runs a stage's work somewhere (this process, a cluster job, …). */
export interface StageExecutor {
  /** Recorded in the stage marker. */
  readonly name: string;
  execute<T>(work: StageWork<T>): Promise<StageOutcome<T>>;
}

/** Runs the work in this process. */
export const LOCAL_EXECUTOR: StageExecutor = { name: 'local', execute: (w) => w.run() };

/** The marker a finished stage leaves. */
export interface StageMarker {
  stage: string;
  status: 'done';
  duration_s: number;
  records: number;
  finished_at: string;
  executor?: string;
  /** Hash of the inputs the stage declared (config section, upstream files). */
  inputs?: string;
  stats?: Record<string, unknown>;
}

/** Options of {@link StageRunner}. */
export interface StageRunnerOptions {
  log?: (line: string) => void;
  /** The executor of a stage (default: {@link LOCAL_EXECUTOR} for all). */
  executorFor?: (stage: string) => StageExecutor;
}

/** Write JSON to a file atomically (temporary file, then rename). */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFile(`${path}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}

/** A short stable hash of a JSON value. */
export function inputsHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

/** Runs stages with markers, resume and timings (see the module doc). */
export class StageRunner {
  /** One entry per stage of this run, in order. */
  readonly timings: StageTiming[] = [];
  private readonly log: (line: string) => void;

  constructor(
    /** The markers' folder. */
    readonly dir: string,
    private readonly o: StageRunnerOptions = {},
  ) {
    this.log = o.log ?? (() => {});
  }

  /** The marker file of a stage. */
  markerPath(name: string): string {
    return join(this.dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
  }

  /** The marker of a finished stage, or null. */
  async marker(name: string): Promise<StageMarker | null> {
    const path = this.markerPath(name);
    return existsSync(path) ? (JSON.parse(await readFile(path, 'utf8')) as StageMarker) : null;
  }

  /** The stats a finished stage left in its marker ({} when none). */
  async stats(name: string): Promise<Record<string, unknown>> {
    return (await this.marker(name))?.stats ?? {};
  }

  /**
   * Run `run` unless an earlier run finished this stage (with the same `inputs`, when given):
   * then `load` its outputs instead.
   */
  async stage<T>(name: string, run: () => Promise<StageOutcome<T>>, load: () => Promise<T>, opts: { inputs?: unknown } = {}): Promise<T> {
    const hash = opts.inputs === undefined ? undefined : inputsHash(opts.inputs);
    const prev = await this.marker(name);
    if (prev && (hash === undefined || prev.inputs === hash)) {
      this.timings.push({ stage: name, duration_s: prev.duration_s, records: prev.records, status: 'resumed' });
      this.log(`${name}: done in an earlier run (${prev.records} records)`);
      return load();
    }
    if (prev) this.log(`${name}: its inputs changed since the earlier run; running again (finished work is kept)`);
    else this.log(`${name}: running`);
    const executor = this.o.executorFor?.(name) ?? LOCAL_EXECUTOR;
    const t0 = Date.now();
    const r = await executor.execute({ name, run });
    const m: StageMarker = { stage: name, status: 'done', duration_s: (Date.now() - t0) / 1000, records: r.records, finished_at: new Date().toISOString(), executor: executor.name, ...(hash ? { inputs: hash } : {}), stats: r.stats };
    await writeJsonAtomic(this.markerPath(name), m);
    this.timings.push({ stage: name, duration_s: m.duration_s, records: r.records, status: 'done' });
    this.log(`${name}: ${r.records} records in ${m.duration_s.toFixed(1)}s`);
    return r.value;
  }

  /** Record a stage that did not run, with the reason (shown in the report). */
  skip(name: string, reason: string): void {
    this.timings.push({ stage: name, duration_s: 0, status: 'skipped', note: reason });
    this.log(`${name}: skipped (${reason})`);
  }
}
