/**
 * Child-process runner: every command runs in its own process group, so a timeout, an abort or
 * the parent exiting kills the whole tree (test runners love to fork), never leaving orphans.
 * Output capture is bounded (head + tail kept) and the result reports exit code, signal,
 * timed-out flag and duration. A non-zero exit is a result, not an error.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { OutputCapture } from './capture.js';

/** Options for {@link run} and {@link runShell}. */
export interface RunOptions {
  /** Working directory (default: the current one). */
  cwd?: string;
  /** The child's whole environment (default: `process.env`); spread `process.env` to extend it. */
  env?: NodeJS.ProcessEnv;
  /** Kill the process group after this many milliseconds (SIGTERM, then SIGKILL after 2 s). */
  timeoutMs?: number;
  /** Cap on captured bytes per stream (default 16 MiB); beyond it the head and tail are kept. */
  maxOutputBytes?: number;
  /** Text written to the child's stdin (stdin is /dev/null when absent). */
  input?: string;
  /** Aborting kills the process group like a timeout (but `timedOut` stays false). */
  signal?: AbortSignal;
  /** Live output, decoded as UTF-8, for streaming logs; called before capping. */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
}

/** What a finished command did. */
export interface RunResult {
  /** Exit status, or null when the process was killed by a signal. */
  exitCode: number | null;
  /** The signal that killed the process (e.g. 'SIGTERM'), or null. */
  signal: string | null;
  /** True when `timeoutMs` elapsed and the group was killed. */
  timedOut: boolean;
  /** Wall time from spawn until the process group was dead. */
  durationMs: number;
  /** Captured stdout (head + marker + tail when truncated). */
  stdout: string;
  /** Captured stderr (head + marker + tail when truncated). */
  stderr: string;
  /** True when stdout or stderr exceeded `maxOutputBytes`. */
  truncated: boolean;
}

/** A command could not be started (missing executable, bad cwd, aborted before start). */
export class ProcError extends Error {
  /** The command (argv[0] or the shell command) that failed to start. */
  readonly command: string;
  /** The errno code from spawn, e.g. 'ENOENT'. */
  readonly code: string | undefined;
  /** Creates the error; `message` already says what to do next. */
  constructor(message: string, command: string, code?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProcError';
    this.command = command;
    this.code = code;
  }
}

/** Default cap on captured bytes per stream. */
export const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
/** Time between SIGTERM and SIGKILL when a process group is killed. */
export const KILL_GRACE_MS = 2000;
const POLL_MS = 25;
// How long to wait for the pipes to close once the whole process group is gone.
const DRAIN_MS = 500;
// After SIGKILL, how long to wait for the leader's exit before resolving anyway.
const HARD_STOP_MS = 5000;

// Process groups still running; killed with SIGKILL when this process exits or is signalled.
// One registry per process, shared by every copy of this module (two installed versions of
// core, or a bundle), so the signal handlers below exist once and can tell others' apart.
interface Registry {
  liveGroups: Set<number>;
  exitHookInstalled: boolean;
  signalHandlers: Map<NodeJS.Signals, () => void>;
}
const REGISTRY_KEY = Symbol.for('@swe-forge/core/proc.registry');
const registry: Registry = ((globalThis as Record<symbol, unknown>)[REGISTRY_KEY] as Registry | undefined) ??
  ((globalThis as Record<symbol, unknown>)[REGISTRY_KEY] = {
    liveGroups: new Set<number>(),
    exitHookInstalled: false,
    signalHandlers: new Map(),
  } satisfies Registry) as Registry;
const liveGroups = registry.liveGroups;
const signalHandlers = registry.signalHandlers;
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function killAllLiveGroups(): void {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  liveGroups.clear();
}

function onParentSignal(sig: NodeJS.Signals): void {
  killAllLiveGroups();
  // Only re-raise when nobody else handles the signal, so we keep Node's default behaviour
  // (terminate) without overriding an application's own graceful-shutdown handler.
  const others = process.listeners(sig).filter((l) => l !== signalHandlers.get(sig));
  if (others.length === 0) {
    removeSignalHooks();
    process.kill(process.pid, sig);
  }
}

function addSignalHooks(): void {
  if (!registry.exitHookInstalled) {
    process.on('exit', killAllLiveGroups);
    registry.exitHookInstalled = true;
  }
  if (signalHandlers.size > 0) return;
  for (const sig of FORWARDED_SIGNALS) {
    const handler = (): void => onParentSignal(sig);
    signalHandlers.set(sig, handler);
    process.on(sig, handler);
  }
}

function removeSignalHooks(): void {
  for (const [sig, handler] of signalHandlers) process.off(sig, handler);
  signalHandlers.clear();
}

function registerGroup(pgid: number): void {
  liveGroups.add(pgid);
  addSignalHooks();
}

function unregisterGroup(pgid: number): void {
  liveGroups.delete(pgid);
  // Signal hooks exist only while children run, so an idle library changes no process behaviour.
  if (liveGroups.size === 0) removeSignalHooks();
}

/** Number of process groups started by this module that are still being tracked. */
export function liveProcessGroups(): number {
  return liveGroups.size;
}

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // ESRCH: the group is already gone
  }
}

/**
 * True while some member of the process group is still running. Zombies do not count: in
 * containers PID 1 often never reaps orphans, so `kill(-pgid, 0)` alone would report a dead
 * group as alive forever.
 */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const name of entries) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp ..." — comm may contain spaces and parens, so parse after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

function spawnHint(code: string | undefined, command: string, cwd: string | undefined): string {
  if (cwd !== undefined) {
    try {
      if (!statSync(cwd).isDirectory()) return `the working directory ${cwd} is not a directory`;
    } catch {
      return `the working directory ${cwd} does not exist; create it or pass another cwd`;
    }
  }
  if (code === 'ENOENT') return `'${command}' was not found; is it installed and on PATH?`;
  if (code === 'EACCES') return `'${command}' is not executable; check its permissions`;
  return 'check the command and its arguments';
}

/** Runs `cmd` (argv form, no shell) in its own process group; resolves once the group is dead. */
export function run(cmd: string[], opts: RunOptions = {}): Promise<RunResult> {
  return start(cmd, opts, cmd[0]);
}

/** Runs `cmd` with `bash -c` in its own process group; same semantics as {@link run}. */
export function runShell(cmd: string, opts: RunOptions = {}): Promise<RunResult> {
  return start(['bash', '-c', cmd], opts, cmd.length > 80 ? `bash -c ${cmd.slice(0, 77)}...` : `bash -c ${cmd}`);
}

function start(cmd: string[], opts: RunOptions, label: string | undefined): Promise<RunResult> {
  if (cmd.length === 0 || !cmd[0]) {
    return Promise.reject(new ProcError('cannot run an empty command: pass argv like ["python", "-V"]', ''));
  }
  const command = label ?? cmd[0];
  if (opts.signal?.aborted) {
    return Promise.reject(
      new ProcError(`'${command}' was not started: the signal was already aborted`, command, 'ABORT_ERR', {
        cause: opts.signal.reason,
      }),
    );
  }
  const maxBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const started = performance.now();

  return new Promise<RunResult>((resolve, reject) => {
    let child;
    try {
      child = spawn(cmd[0], cmd.slice(1), {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        detached: true, // own process group: -pid addresses the whole tree
        stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      reject(
        new ProcError(`failed to start '${command}': ${(err as Error).message}: ${spawnHint(code, cmd[0], opts.cwd)}`, command, code, {
          cause: err,
        }),
      );
      return;
    }

    const out = new OutputCapture(maxBytes);
    const err = new OutputCapture(maxBytes);
    const outDec = new StringDecoder('utf8');
    const errDec = new StringDecoder('utf8');
    let timedOut = false;
    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    let exited = false;
    let closed = false;
    let killing = false; // SIGTERM sent to the group
    let killed = false; // SIGKILL sent to the group
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const pgid = child.pid;

    const finish = (): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      clearTimeout(drainTimer);
      clearInterval(poller);
      opts.signal?.removeEventListener('abort', onAbort);
      if (pgid !== undefined) unregisterGroup(pgid);
      resolve({
        exitCode,
        signal: exitSignal,
        timedOut,
        durationMs: Math.round(performance.now() - started),
        stdout: out.text(),
        stderr: err.text(),
        truncated: out.truncated || err.truncated,
      });
    };

    // Done when the leader exited, no group member is left running (or SIGKILL went out) and
    // the pipes closed. A process that left the group (setsid, e.g. a daemon started by the
    // tests) may hold the pipes open forever: after DRAIN_MS we stop reading them; it is
    // outside our process group and not ours to kill.
    let drainTimer: NodeJS.Timeout | undefined;
    let poller: NodeJS.Timeout | undefined;
    const stopReading = (): void => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    };
    const maybeFinish = (): void => {
      if (settled || !exited) return;
      if (!killed && pgid !== undefined && processGroupAlive(pgid)) {
        // Grandchildren outlive the leader: poll until they are gone (kill() is under way).
        poller ??= setInterval(maybeFinish, POLL_MS);
        return;
      }
      if (closed) {
        finish();
        return;
      }
      drainTimer ??= setTimeout(() => {
        stopReading();
        finish();
      }, DRAIN_MS);
    };

    const kill = (): void => {
      if (pgid === undefined || killing) return;
      killing = true;
      signalGroup(pgid, 'SIGTERM');
      timers.push(
        setTimeout(() => {
          killed = true;
          signalGroup(pgid, 'SIGKILL');
          maybeFinish();
          // A leader stuck in uninterruptible sleep may not even die from SIGKILL: do not hang.
          timers.push(
            setTimeout(() => {
              if (settled) return;
              exitSignal ??= 'SIGKILL';
              stopReading();
              finish();
            }, HARD_STOP_MS),
          );
        }, KILL_GRACE_MS),
      );
    };

    const onAbort = (): void => kill();

    child.on('error', (e: NodeJS.ErrnoException) => {
      // After a successful spawn an 'error' only means a failed kill(); the exit still arrives.
      if (pgid !== undefined || settled) return;
      settled = true;
      reject(
        new ProcError(`failed to start '${command}': ${e.message}: ${spawnHint(e.code, cmd[0], opts.cwd)}`, command, e.code, {
          cause: e,
        }),
      );
    });
    if (pgid === undefined) return; // 'error' follows

    registerGroup(pgid);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
      timers.push(
        setTimeout(() => {
          if (exited && !processGroupAlive(pgid)) return;
          timedOut = true;
          kill();
        }, opts.timeoutMs),
      );
    }

    child.stdout?.on('data', (b: Buffer) => {
      out.push(b);
      if (opts.onOutput) opts.onOutput(outDec.write(b), 'stdout');
    });
    child.stderr?.on('data', (b: Buffer) => {
      err.push(b);
      if (opts.onOutput) opts.onOutput(errDec.write(b), 'stderr');
    });
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on('error', () => {
        // EPIPE: the child exited without reading its input; its exit status tells the story.
      });
      child.stdin.end(opts.input);
    }

    child.on('exit', (code, sig) => {
      exited = true;
      exitCode = code;
      exitSignal = sig;
      // The leader is gone; remaining members (backgrounded grandchildren) must not outlive it.
      if (processGroupAlive(pgid)) kill();
      maybeFinish();
    });
    child.on('close', () => {
      closed = true;
      if (opts.onOutput) {
        const restOut = outDec.end();
        const restErr = errDec.end();
        if (restOut) opts.onOutput(restOut, 'stdout');
        if (restErr) opts.onOutput(restErr, 'stderr');
      }
      maybeFinish();
    });
  });
}
