/**
 * The warm worker's wire protocol: one JSON object per line over a unix socket in the working
 * copy's `.git/swe-forge-warm/` folder (a folder `git clean` leaves alone, visible at the same
 * path inside a bwrap sandbox). The validator sends `run` and `quit`; the worker answers
 * `ready` (or `unavailable`) once it has imported the project and collected the tests, then one
 * `result` per `run`.
 */
import type { Socket } from 'node:net';

/** One patched file of a candidate: its path and its text before and after the patch. */
export interface WarmFile {
  path: string;
  old: string;
  new: string;
}

/** Ask the worker to fork a child that swaps `files` in and runs `tests`. */
export interface RunRequest {
  op: 'run';
  id: number;
  /** Node ids (the selection runner's ids) to run. */
  tests: string[];
  files: WarmFile[];
  /** The child's whole run is killed (with its process group) after this many seconds. */
  timeout_s: number;
  /** Per-test timeouts `{node id: s, '*': default}` applied through pytest-timeout, or null. */
  test_timeouts: Record<string, number> | null;
  /** Absolute path (inside the sandbox) of the child's pytest output. */
  log: string;
}

/** The worker has imported the project and collected the tests. */
export interface ReadyMessage {
  op: 'ready';
  pid: number;
  collected: number;
  collection_errors: number;
  python: string;
  pytest: string;
  modules: number;
  /** Seconds spent indexing live functions after collection. */
  index_s: number;
}

/** The worker cannot serve (xdist, threads after collection, collection errors, …). */
export interface UnavailableMessage {
  op: 'unavailable';
  reason: string;
}

/** The outcome of one `run`. */
export interface ResultMessage {
  op: 'result';
  id: number;
  duration_s: number;
  /** The child ran past `timeout_s` and was killed. */
  timed_out: boolean;
  /** Exit status of the child (pytest's exit code), null when a signal killed it. */
  exit_code: number | null;
  signal: string | null;
  /** Set when the child declined to swap: a kind of `DECLINE_KINDS` (python/swe_forge_swap.py) and why. */
  declined?: string;
  detail?: string;
  /** Files swapped in, how many live functions got new code, and the methods deleted from their classes (`Class.method`). */
  swapped?: { path: string; functions: number; removed?: string[] }[];
  /** Tests that exceeded their per-test timeout (the run stopped at the first). */
  timeouts?: string[];
  /** Selected ids the worker did not collect. */
  missing?: string[];
  n_missing?: number;
  /** pytest's exit status as the child's session saw it. */
  pytest_exit?: number | null;
}

/** Any message from the worker. */
export type WorkerMessage = ReadyMessage | UnavailableMessage | ResultMessage | { op: 'error'; id?: number; error: string };

/**
 * Newline-delimited JSON over a socket: `next()` resolves with the next message (or rejects
 * when the socket closes or `timeoutMs` passes).
 */
export class LineChannel {
  private buf = '';
  private queue: WorkerMessage[] = [];
  private waiting: { resolve: (m: WorkerMessage) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout } | null = null;
  private closedWhy: string | null = null;

  constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => this.fail('the warm worker closed its connection'));
    socket.on('error', (e) => this.fail(`the warm worker's connection failed: ${e.message}`));
  }

  /** True once the socket is closed. */
  get closed(): boolean {
    return this.closedWhy !== null;
  }

  /** Send one message. */
  send(msg: object): void {
    if (this.closedWhy) throw new Error(this.closedWhy);
    this.socket.write(`${JSON.stringify(msg)}\n`);
  }

  /** The next message, or a rejection after `timeoutMs` or when the connection ends. */
  next(timeoutMs: number): Promise<WorkerMessage> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closedWhy) return Promise.reject(new Error(this.closedWhy));
    if (this.waiting) return Promise.reject(new Error('internal: two concurrent reads on one warm worker'));
    return new Promise((resolve, reject) => {
      const w: NonNullable<LineChannel['waiting']> = { resolve, reject };
      w.timer = setTimeout(() => {
        if (this.waiting === w) this.waiting = null;
        reject(new Error(`no answer from the warm worker within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.waiting = w;
    });
  }

  /** Close the connection (the worker exits when it reads end-of-file). */
  close(): void {
    this.socket.end();
    this.socket.destroy();
    this.fail('the warm worker connection was closed');
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (!line.trim()) continue;
      let msg: WorkerMessage;
      try {
        msg = JSON.parse(line) as WorkerMessage;
      } catch {
        continue;
      }
      const w = this.waiting;
      if (w) {
        this.waiting = null;
        clearTimeout(w.timer);
        w.resolve(msg);
      } else this.queue.push(msg);
    }
  }

  private fail(why: string): void {
    if (this.closedWhy) return;
    this.closedWhy = why;
    const w = this.waiting;
    if (w) {
      this.waiting = null;
      clearTimeout(w.timer);
      w.reject(new Error(why));
    }
  }
}
