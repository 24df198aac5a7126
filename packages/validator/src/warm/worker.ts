/**
 * One warm worker: the environment's pytest command, started in a sandbox with the warm plugin
 * (`-p swe_forge_warm`), which imports the project, collects the tests once and then serves
 * candidates over a unix socket, forking one child per candidate. The worker must be started on
 * a clean working copy and stays bound to that sandbox.
 */
import { closeSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import type { EnvSpec } from '@swe-forge/core/schema';
import type { Sandbox, SandboxExecResult } from '@swe-forge/env-builder';
import { installPlugin, PLUGIN_MODULE, pluginEnvPrefix } from '../plugin.js';
import { CANDIDATE_PYTEST_ARGS } from '../run.js';
import { LineChannel, type ReadyMessage, type ResultMessage, type RunRequest, type WarmFile } from './protocol.js';
import { installWarm, WARM_DIR } from './python.js';

/** Options of {@link WarmWorker.start}. */
export interface WarmWorkerOptions {
  /** The spec whose pytest command the worker runs (the selection runner's). */
  spec: EnvSpec;
  /** Test files appended to the command (a pytest stand-in for a unittest suite). */
  paths?: readonly string[];
  /** How long importing and collecting may take before the worker is given up. */
  warmupTimeoutMs: number;
}

/** The worker could not start or cannot serve; `message` says why. */
export class WarmUnavailableError extends Error {
  override name = 'WarmUnavailableError';
}

/** The worker died or stopped answering while it served a candidate. */
export class WarmWorkerDiedError extends Error {
  override name = 'WarmWorkerDiedError';
}

/** What one candidate's forked run returned. */
export interface WarmRunOutput {
  result: ResultMessage;
  /** The child's pytest output (empty when it declined). */
  log: string;
  /** The command line the worker runs (for the candidate's log). */
  command: string;
}

// A worker lives at most this long (the sandbox kills it then; it is restarted on demand).
const LIFETIME_MS = 12 * 3600_000;
const SOCKET = `${WARM_DIR}/s`;
const RUN_LOG = `${WARM_DIR}/run.log`;
const WORKER_LOG = `${WARM_DIR}/worker.log`;

// the most of a child's output kept, as for an isolated run (head and tail when longer)
const MAX_LOG_BYTES = 64 * 1024 * 1024;

/** Read a log file, keeping its head and tail when it is longer than `max` bytes. */
export function readCapped(path: string, max = MAX_LOG_BYTES): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return '';
  }
  const fd = openSync(path, 'r');
  try {
    const read = (pos: number, len: number): string => {
      const buf = Buffer.alloc(len);
      const n = readSync(fd, buf, 0, len, pos);
      return buf.subarray(0, n).toString('utf8');
    };
    if (size <= max) return read(0, size);
    const half = Math.floor(max / 2);
    return `${read(0, half)}\n[... ${size - 2 * half} bytes of output left out ...]\n${read(size - half, half)}`;
  } finally {
    closeSync(fd);
  }
}

const shellQuote = (s: string): string => (/^[\w./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function connectOnce(path: string): Promise<Socket> {
  // unix socket paths are limited to ~107 bytes: reach a long one through a descriptor of its folder
  let dirFd: number | null = null;
  let target = path;
  if (Buffer.byteLength(path) > 100) {
    dirFd = openSync(dirname(path), 'r');
    target = `/proc/self/fd/${dirFd}/${path.split('/').pop()}`;
  }
  return new Promise<Socket>((resolve, reject) => {
    const s = createConnection({ path: target });
    const done = (): void => {
      if (dirFd !== null) closeSync(dirFd);
      dirFd = null;
    };
    s.once('connect', () => {
      done();
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e) => {
      done();
      s.destroy();
      reject(e);
    });
  });
}

/** A running warm worker in one sandbox. */
export class WarmWorker {
  private seq = 0;
  private exit: SandboxExecResult | null = null;
  private busy = false;

  private constructor(
    private readonly sb: Sandbox,
    private readonly channel: LineChannel,
    private readonly exited: Promise<SandboxExecResult>,
    /** What the worker reported once it had collected the tests. */
    readonly ready: ReadyMessage,
    /** Seconds from start to ready (import + collection + function index). */
    readonly warmupS: number,
    /** The worker's command line. */
    readonly command: string,
  ) {
    void exited.then((r) => {
      this.exit = r;
    });
  }

  /**
   * Start a worker in `sb` (whose working copy must be clean) and wait until it has collected
   * the tests. Throws {@link WarmUnavailableError} with the reason when it cannot serve.
   */
  static async start(sb: Sandbox, opts: WarmWorkerOptions): Promise<WarmWorker> {
    const t0 = Date.now();
    await installPlugin(sb);
    await installWarm(sb);
    const sockPath = join(sb.root, SOCKET);
    rmSync(sockPath, { force: true });
    const warmupS = Math.max(10, Math.ceil(opts.warmupTimeoutMs / 1000));
    const paths = opts.paths?.length ? ` ${opts.paths.map(shellQuote).join(' ')}` : '';
    // native tracebacks, as in isolated candidate runs (see CANDIDATE_PYTEST_ARGS)
    const command = `${opts.spec.test_cmd} -p ${PLUGIN_MODULE} -p swe_forge_warm ${CANDIDATE_PYTEST_ARGS.join(' ')}${paths}`;
    const script = [
      'export PYTHONHASHSEED=0',
      `export ${pluginEnvPrefix()}`,
      `export PYTHONPATH="$PWD/${WARM_DIR}:$PYTHONPATH"`,
      `export SWE_FORGE_WARM_SOCKET="$PWD/${SOCKET}" SWE_FORGE_ROOT="$PWD" SWE_FORGE_WARM_WARMUP_S=${warmupS}${sb.backend === 'bwrap' ? ' SWE_FORGE_WARM_PRIVATE_TMP=1' : ''}`,
      `${command} </dev/null >${WORKER_LOG} 2>&1`,
    ].join('; ');
    let exitedEarly: SandboxExecResult | null = null;
    const exited = sb.exec(script, { timeoutMs: LIFETIME_MS, maxOutputBytes: 1024 * 1024 });
    void exited.then((r) => {
      exitedEarly = r;
    });
    const deadline = t0 + opts.warmupTimeoutMs;
    const why = async (what: string): Promise<WarmUnavailableError> => {
      const log = await sb.readFile(WORKER_LOG).catch(() => '');
      const tail = log.trim().split('\n').slice(-8).join(' | ').slice(-1200);
      return new WarmUnavailableError(`${what}${tail ? `: ${tail}` : ''}`);
    };
    let socket: Socket | null = null;
    while (!socket) {
      if (exitedEarly) throw await why(`the warm worker exited during start-up (exit code ${(exitedEarly as SandboxExecResult).exitCode})`);
      if (Date.now() > deadline) throw await why(`the warm worker did not listen within ${warmupS} s`);
      try {
        socket = await connectOnce(sockPath);
      } catch {
        await sleep(20);
      }
    }
    const channel = new LineChannel(socket);
    let first;
    try {
      first = await channel.next(Math.max(1000, deadline - Date.now()));
    } catch (e) {
      channel.close();
      throw await why(`the warm worker did not get ready (${(e as Error).message})`);
    }
    if (first.op === 'unavailable') {
      channel.close();
      throw new WarmUnavailableError(`the warm worker cannot serve: ${first.reason}`);
    }
    if (first.op !== 'ready') {
      channel.close();
      throw new WarmUnavailableError(`the warm worker sent ${first.op} instead of ready`);
    }
    return new WarmWorker(sb, channel, exited, first, (Date.now() - t0) / 1000, command);
  }

  /** True while the worker process runs and its connection is open. */
  get alive(): boolean {
    return this.exit === null && !this.channel.closed;
  }

  /**
   * Fork a child that swaps `files` in and runs `tests`. Resolves with the child's result (also
   * when it declined, timed out or crashed); throws {@link WarmWorkerDiedError} when the worker
   * itself is gone or silent.
   */
  async run(req: { tests: readonly string[]; files: readonly WarmFile[]; timeoutMs: number; testTimeouts?: Record<string, number> }): Promise<WarmRunOutput> {
    if (!this.alive) throw new WarmWorkerDiedError(this.deathReason());
    if (this.busy) throw new Error('internal: a warm worker serves one candidate at a time');
    this.busy = true;
    try {
      const id = ++this.seq;
      const msg: RunRequest = {
        op: 'run',
        id,
        tests: [...req.tests],
        files: [...req.files],
        timeout_s: req.timeoutMs / 1000,
        test_timeouts: req.testTimeouts ?? null,
        log: RUN_LOG,
      };
      try {
        this.channel.send(msg);
        for (;;) {
          // the worker itself kills the child at timeout_s; give it room to report
          const m = await this.channel.next(req.timeoutMs + 30_000);
          if (m.op === 'result' && m.id === id) {
            const log = m.declined ? '' : readCapped(join(this.sb.root, RUN_LOG));
            return { result: m, log, command: `${this.command} (warm worker ${this.ready.pid}, forked child)` };
          }
          if (m.op === 'error' && m.id === id) throw new Error(m.error);
        }
      } catch (e) {
        this.channel.close();
        throw new WarmWorkerDiedError(`${(e as Error).message}${this.exit ? `; ${this.deathReason()}` : ''}`);
      }
    } finally {
      this.busy = false;
    }
  }

  private deathReason(): string {
    if (this.exit) return `the warm worker exited (exit code ${this.exit.exitCode}${this.exit.signal ? `, ${this.exit.signal}` : ''}${this.exit.timedOut ? ', lifetime over' : ''})`;
    return 'the warm worker connection is closed';
  }

  /** Ask the worker to exit and wait (briefly) until it has. */
  async close(): Promise<void> {
    try {
      if (!this.channel.closed) this.channel.send({ op: 'quit' });
    } catch {
      // already gone
    }
    this.channel.close();
    await Promise.race([this.exited, sleep(5000)]);
  }
}
