/**
 * One warm worker per sandbox: all are started (in parallel) on clean working copies before
 * the first candidate, a dead one is restarted when its sandbox is next handed out clean (at
 * most `maxRestarts` times), and one that cannot serve is remembered with its reason so its
 * candidates fall back at once.
 */
import type { Sandbox } from '@swe-forge/env-builder';
import { WarmUnavailableError, WarmWorker, type WarmWorkerOptions } from './worker.js';

interface Slot {
  worker: WarmWorker | null;
  /** Why this sandbox has no worker (it cannot serve, or it died too often). */
  unavailable: string | null;
  starts: number;
  warmupS: number[];
}

/** Statistics of a {@link WarmPool} (the `workers` part of `stats.warm`). */
export interface WarmPoolStats {
  workers: number;
  /** Seconds each start took (import + collection), in start order. */
  warmup_s: number[];
  restarts: number;
  /** Sandboxes without a worker, with the reason. */
  unavailable: string[];
  collected: number | null;
  python: string | null;
  pytest: string | null;
}

/** Warm workers of a validation run, one per sandbox. */
export class WarmPool {
  private readonly slots = new Map<Sandbox, Slot>();
  private info: { collected: number; python: string; pytest: string } | null = null;

  constructor(
    private readonly opts: WarmWorkerOptions & { maxRestarts?: number; log?: (line: string) => void },
  ) {}

  /** Start a worker in each sandbox (each is reset first). Never throws: a failed start is recorded. */
  async startAll(sandboxes: readonly Sandbox[]): Promise<void> {
    await Promise.all(
      sandboxes.map(async (sb) => {
        await sb.reset();
        await this.start(sb);
      }),
    );
  }

  private slot(sb: Sandbox): Slot {
    let s = this.slots.get(sb);
    if (!s) {
      s = { worker: null, unavailable: null, starts: 0, warmupS: [] };
      this.slots.set(sb, s);
    }
    return s;
  }

  private async start(sb: Sandbox): Promise<void> {
    const s = this.slot(sb);
    s.starts++;
    try {
      s.worker = await WarmWorker.start(sb, this.opts);
      s.warmupS.push(s.worker.warmupS);
      this.info ??= { collected: s.worker.ready.collected, python: s.worker.ready.python, pytest: s.worker.ready.pytest };
      this.opts.log?.(
        `warm worker ${s.worker.ready.pid} ready in ${s.worker.warmupS.toFixed(1)} s: ${s.worker.ready.collected} tests collected (python ${s.worker.ready.python}, pytest ${s.worker.ready.pytest})`,
      );
    } catch (e) {
      s.worker = null;
      s.unavailable = e instanceof WarmUnavailableError ? e.message : `the warm worker failed to start: ${(e as Error).message}`;
      this.opts.log?.(`${s.unavailable}; this worker's candidates run isolated`);
    } finally {
      await sb.reset();
    }
  }

  /**
   * The worker of `sb`, restarted if it died (the sandbox must be clean: call right after a
   * reset), or the reason there is none.
   */
  async get(sb: Sandbox): Promise<WarmWorker | { unavailable: string }> {
    const s = this.slot(sb);
    if (s.worker?.alive) return s.worker;
    if (s.unavailable) return { unavailable: s.unavailable };
    if (s.worker) await s.worker.close();
    s.worker = null;
    const max = this.opts.maxRestarts ?? 3;
    if (s.starts > max) {
      s.unavailable = `the warm worker died ${s.starts} times`;
      return { unavailable: s.unavailable };
    }
    await this.start(sb);
    return s.worker ?? { unavailable: s.unavailable ?? 'the warm worker did not start' };
  }

  /** Start and restart counts, warm-up seconds and reasons of sandboxes without a worker. */
  stats(): WarmPoolStats {
    const slots = [...this.slots.values()];
    return {
      workers: slots.length,
      warmup_s: slots.flatMap((s) => s.warmupS.map((x) => Number(x.toFixed(2)))),
      restarts: slots.reduce((n, s) => n + Math.max(0, s.starts - 1), 0),
      unavailable: slots.filter((s) => s.unavailable).map((s) => s.unavailable as string),
      collected: this.info?.collected ?? null,
      python: this.info?.python ?? null,
      pytest: this.info?.pytest ?? null,
    };
  }

  /** Stop every worker. */
  async close(): Promise<void> {
    await Promise.all([...this.slots.values()].map((s) => s.worker?.close()));
    for (const s of this.slots.values()) s.worker = null;
  }
}
