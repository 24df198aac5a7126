/**
 * Keyed workloads: a progress line (done/total, rate, ETA) and a worker pool with a
 * concurrency limit, resume (keys already in the output are skipped), per-task error
 * collection, sharding for job arrays, and cancellation.
 */
import { sha256 } from '../ids/index.js';
import type { ResumableJsonlWriter } from '../jsonl/index.js';

/** Options of {@link Progress}. */
export interface ProgressOptions {
  /** What is being counted, e.g. `validate`. */
  label: string;
  total: number;
  /** Draw at all; defaults to `stream.isTTY && !CI`. */
  enabled?: boolean;
  /** Where to draw; default `process.stderr`. */
  stream?: NodeJS.WritableStream;
}

/** True when the `CI` environment variable is set to something other than `0`/`false`. */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** Format seconds as `12s`, `3m05s` or `1h02m`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * The one line a stage CLI prints for an error thrown while running its commander program, and
 * the exit code. Commander errors are recognized by shape (string `code`, numeric `exitCode`),
 * so core needs no commander dependency: help/version output → `{ line: '', code: 0 }`; a usage
 * error → `error: <message>: <hint>` and its `exitCode`; anything else → `error: <first line>`
 * and 1. Write `line` (when non-empty) plus a newline to stderr; pass `''` as `hint` for none.
 */
export function cliErrorLine(e: unknown, hint = 'see --help'): { line: string; code: number } {
  const c = e as { code?: unknown; exitCode?: unknown; message?: unknown } | null;
  if (c && typeof c.code === 'string' && typeof c.exitCode === 'number') {
    if (c.exitCode === 0 || c.code === 'commander.helpDisplayed' || c.code === 'commander.help' || c.code === 'commander.version') return { line: '', code: 0 };
    const msg = String(c.message ?? '').replace(/^error:\s*/i, '').split('\n')[0]!;
    // commander ends some messages with '.' ("Allowed choices are a, b."): drop it before the hint
    return { line: `error: ${hint ? `${msg.replace(/\.$/, '')}: ${hint}` : msg}`, code: c.exitCode };
  }
  const msg = e instanceof Error ? e.message : String(e);
  return { line: `error: ${msg.split('\n')[0]}`, code: 1 };
}

/** A command-line usage error in commander's shape (`code`, `exitCode` 2), so {@link cliErrorLine} adds the hint. */
export class CliUsageError extends Error {
  readonly code = 'bad-arg';
  readonly exitCode = 2;
}

/**
 * A commander option parser for a number >= `min` (an integer when `integer`): anything else is
 * a {@link CliUsageError} naming the option, e.g. `--workers must be an integer >= 1, got 'x'`.
 */
export function numberArg(name: string, min: number, integer = false): (v: string) => number {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
      throw new CliUsageError(`${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got '${v}'`);
    }
    return n;
  };
}

/** Minimum time between two redraws (at most ~10 per second). */
const REDRAW_MS = 100;

/**
 * A one-line progress display: `label 120/500 24% 8.3/s ETA 45s`. On a TTY it redraws in
 * place with `\r` at most ~10 times per second; disabled (no output at all) when the stream
 * is not a TTY, when `CI` is set, or with `enabled: false` (use that for `--json`).
 */
export class Progress {
  /** Whether anything is drawn. */
  readonly enabled: boolean;
  private readonly label: string;
  private readonly stream: NodeJS.WritableStream;
  private readonly startedAt = Date.now();
  private count = 0;
  private totalCount: number;
  private lastDraw = 0;
  private drawn = false;
  private finished = false;

  constructor(o: ProgressOptions) {
    this.label = o.label;
    this.totalCount = Math.max(0, o.total);
    this.stream = o.stream ?? process.stderr;
    this.enabled = o.enabled ?? ((this.stream as { isTTY?: boolean }).isTTY === true && !isCI());
  }

  /** Items done so far. */
  get completed(): number {
    return this.count;
  }

  /** Items expected in total. */
  get total(): number {
    return this.totalCount;
  }

  /** Count `n` (default 1) more items as done and redraw if due. */
  tick(n = 1): void {
    this.count += n;
    this.maybeDraw();
  }

  /** Grow the total by `n` items (work discovered on the way). */
  addTotal(n: number): void {
    this.totalCount += n;
    this.maybeDraw();
  }

  /** Draw the final state and end the line. Idempotent. */
  done(): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.enabled) return;
    this.stream.write(`\r${this.line()}\x1b[K\n`);
  }

  /** The current progress text, e.g. `validate 120/500 24% 8.3/s ETA 45s`. */
  line(now = Date.now()): string {
    const elapsed = Math.max(0.001, (now - this.startedAt) / 1000);
    const rate = this.count / elapsed;
    const pct = this.totalCount > 0 ? Math.floor((100 * this.count) / this.totalCount) : 100;
    const left = Math.max(0, this.totalCount - this.count);
    const eta = left === 0 ? '0s' : rate > 0 ? formatDuration(left / rate) : '?';
    const rateText = rate >= 10 ? rate.toFixed(0) : rate.toFixed(1);
    const tail = this.finished ? `in ${formatDuration(elapsed)}` : `ETA ${eta}`;
    return `${this.label} ${this.count}/${this.totalCount} ${pct}% ${rateText}/s ${tail}`;
  }

  private maybeDraw(): void {
    if (!this.enabled || this.finished) return;
    const now = Date.now();
    if (this.drawn && now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.drawn = true;
    this.stream.write(`\r${this.line(now)}\x1b[K`);
  }
}

/** One unit of keyed work. `key` is unique and names the output record. */
export interface PoolTask<I, O> {
  key: string;
  input: I;
  /** Phantom: ties a task to its pool's output type. */
  readonly __output?: O;
}

/** Options of {@link runPool} / {@link Executor.run}. */
export interface PoolOptions<I, O> {
  /** Tasks run at the same time (>= 1). */
  concurrency: number;
  /** Does one task. `signal` aborts when the pool is cancelled. */
  worker: (input: I, ctx: { key: string; signal: AbortSignal }) => Promise<O>;
  /**
   * Results are appended here as they finish; tasks whose key is already done are skipped
   * (resume), so a task's `key` must equal the key `out` derives from its result (a mismatch
   * is reported as a task error). The pool neither closes nor finalizes it: call
   * `out.finalize()` when the stage is complete.
   */
  out?: ResumableJsonlWriter<O>;
  /** Progress display options (`label`, `enabled`, `stream`), or `false` for none. Default: label `tasks`, TTY-only. */
  progress?: Omit<ProgressOptions, 'total'> | false;
  /** Turn a failure into a record (written and counted as done), or return undefined to count it failed. */
  onError?: (key: string, error: Error) => O | undefined;
  /** Run only the keys with `shardOf(key, count) === index` (one Slurm array task). */
  shard?: { index: number; count: number };
  /** Cancel: no new tasks start, running ones see `ctx.signal` abort, and the pool rejects with the abort reason once they settle. */
  signal?: AbortSignal;
}

/** What a pool run did. `done + failed + skipped` equals the number of tasks in this shard. */
export interface PoolSummary<O> {
  /** Tasks that produced a record in this run (including failures turned into records by `onError`). */
  done: number;
  /** Tasks skipped because their key was already done in `out`. */
  skipped: number;
  /** Tasks that failed without a record. */
  failed: number;
  /** One entry per failed task, in task order. */
  errors: { key: string; error: string }[];
  /** The records produced in this run, in task order (skipped keys are not included). */
  results: O[];
  durationMs: number;
}

/**
 * Runs keyed tasks somewhere. {@link LocalExecutor} runs them in this process. On a cluster,
 * stages run their own CLI once per shard as a Slurm job array instead (`runSlurmArray` /
 * `runStageOnSlurm`): each array task calls {@link runPool} with `shard`, which keeps exactly
 * the keys with `shardOf(key, n) === i`, and the shard outputs are merged by key.
 */
export interface Executor {
  /** Short name, e.g. `local` or `slurm`. */
  readonly name: string;
  /** Run the tasks and resolve with a summary; per-task errors are collected, never thrown. */
  run<I, O>(tasks: PoolTask<I, O>[], opts: PoolOptions<I, O>): Promise<PoolSummary<O>>;
}

/** Stable shard of a key: the first 32 bits of its SHA-256, modulo `count`. */
export function shardOf(key: string, count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`shardOf: count must be a positive integer, got ${count}`);
  return parseInt(sha256(key).slice(0, 8), 16) % count;
}

/**
 * Parse a CLI shard spec `i/n` (0-based index, e.g. `3/8` or `$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`).
 * Throws a message telling the user the expected form.
 */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) {
    throw new Error(`invalid shard ${JSON.stringify(text)}: use INDEX/COUNT with 0 <= INDEX < COUNT, e.g. --shard 0/4`);
  }
  return { index, count };
}

function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r;
  const e = new Error(r === undefined ? 'the pool was aborted' : `the pool was aborted: ${String(r)}`);
  e.name = 'AbortError';
  return e;
}

/** Runs tasks in this process with at most `concurrency` in flight. */
export class LocalExecutor implements Executor {
  /** `local`. */
  readonly name = 'local';

  /** Run the tasks (see {@link runPool}). */
  async run<I, O>(tasks: PoolTask<I, O>[], opts: PoolOptions<I, O>): Promise<PoolSummary<O>> {
    const started = Date.now();
    const { concurrency, worker, out, shard, onError } = opts;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`runPool: concurrency must be a positive integer, got ${concurrency}`);
    }
    if (shard && (!Number.isInteger(shard.count) || shard.count < 1 || !Number.isInteger(shard.index) || shard.index < 0 || shard.index >= shard.count)) {
      throw new RangeError(`runPool: shard must satisfy 0 <= index < count, got ${shard.index}/${shard.count}`);
    }
    const seen = new Set<string>();
    for (const t of tasks) {
      if (seen.has(t.key)) throw new Error(`runPool: duplicate task key ${JSON.stringify(t.key)}; task keys must be unique`);
      seen.add(t.key);
    }
    if (opts.signal?.aborted) throw abortReason(opts.signal);

    const mine = shard ? tasks.filter((t) => shardOf(t.key, shard.count) === shard.index) : tasks;
    const todo: { task: PoolTask<I, O>; index: number }[] = [];
    let skipped = 0;
    mine.forEach((task, index) => {
      if (out?.has(task.key)) skipped++;
      else todo.push({ task, index });
    });

    const progress = opts.progress === false ? null : new Progress({ label: 'tasks', ...opts.progress, total: todo.length });
    const results: { index: number; value: O }[] = [];
    const errors: { index: number; key: string; error: string }[] = [];
    const controller = new AbortController();
    const onAbort = () => controller.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const record = async (index: number, key: string, value: O) => {
      if (out) {
        await out.append(value);
        if (!out.has(key)) {
          throw new Error(`the result of task ${JSON.stringify(key)} was stored in ${out.path} under a different key; make each task's key equal the output record's key so reruns can skip finished tasks`);
        }
      }
      results.push({ index, value });
    };

    let next = 0;
    const lane = async () => {
      while (next < todo.length && !controller.signal.aborted) {
        const { task, index } = todo[next++];
        try {
          const value = await worker(task.input, { key: task.key, signal: controller.signal });
          await record(index, task.key, value);
        } catch (e) {
          const error = toError(e);
          if (controller.signal.aborted) {
            // Cancelled work is neither done nor failed: a rerun picks it up.
          } else {
            let converted: O | undefined;
            let failure = error;
            try {
              converted = onError?.(task.key, error);
              if (converted !== undefined) await record(index, task.key, converted);
            } catch (e2) {
              converted = undefined;
              failure = toError(e2);
            }
            if (converted === undefined) errors.push({ index, key: task.key, error: failure.message });
          }
        }
        progress?.tick();
      }
    };

    try {
      await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, lane));
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      progress?.done();
    }
    if (controller.signal.aborted) throw abortReason(controller.signal);

    results.sort((a, b) => a.index - b.index);
    errors.sort((a, b) => a.index - b.index);
    return {
      done: results.length,
      skipped,
      failed: errors.length,
      errors: errors.map(({ key, error }) => ({ key, error })),
      results: results.map((r) => r.value),
      durationMs: Date.now() - started,
    };
  }
}

/**
 * Run keyed tasks in a local pool (= `new LocalExecutor().run`). Keys already done in `out`
 * are skipped, results are appended to `out` as they finish, a failing task never stops the
 * others (see `errors`), and `shard` keeps one stable slice of the keys.
 */
export function runPool<I, O>(tasks: PoolTask<I, O>[], opts: PoolOptions<I, O>): Promise<PoolSummary<O>> {
  return new LocalExecutor().run(tasks, opts);
}

/**
 * For CLI entry points: a reader that stops early (`swe-forge ... | head`) closes stdout; treat
 * that as a normal end (exit 0, no stack trace) instead of an unhandled EPIPE error.
 */
export function exitQuietlyOnClosedStdout(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(0);
  });
}

/**
 * Parse and run a CLI program (a commander `Command`, or anything with the same `parseAsync`),
 * turning any failure into the one `error: …` line of {@link cliErrorLine} on `stderr`.
 * Returns the exit code.
 */
export async function runCommander(
  program: { parseAsync(argv: readonly string[], opts: { from: 'user' }): Promise<unknown> },
  argv: readonly string[],
  stderr: NodeJS.WritableStream,
  hint?: string,
): Promise<number> {
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    const { line, code } = cliErrorLine(e, hint);
    if (line) stderr.write(`${line}\n`);
    return code;
  }
}
export * from './slurm/index.js';
