import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { liveProcessGroups, ProcError, run, runShell } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'swe-forge-proc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Running = exists and is not a zombie (PID 1 in containers may never reap orphans). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitDead(pid: number, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!running(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !running(pid);
}

async function readPid(file: string): Promise<number> {
  for (let i = 0; i < 100; i++) {
    try {
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid > 0) return pid;
    } catch {
      // not written yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`pid file ${file} never written`);
}

describe('run / runShell basics', () => {
  it('captures stdout, stderr and the exit code without throwing on failure', async () => {
    const r = await runShell('echo out; echo err >&2; exit 3');
    expect(r).toMatchObject({ exitCode: 3, signal: null, timedOut: false, stdout: 'out\n', stderr: 'err\n', truncated: false });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('runs argv without a shell (no word splitting or globbing)', async () => {
    const r = await run(['printf', '%s|', 'a b', '*', '$HOME']);
    expect(r.stdout).toBe('a b|*|$HOME|');
    expect(r.exitCode).toBe(0);
  });

  it('honours cwd, env and input', async () => {
    const r = await runShell('pwd; echo "$FOO"; cat', { cwd: dir, env: { PATH: process.env.PATH, FOO: 'bar' }, input: 'héllo 漢字\n' });
    expect(r.stdout).toBe(`${dir}\nbar\nhéllo 漢字\n`);
  });

  it('does not fail when the child ignores its input', async () => {
    const r = await runShell('exit 0', { input: 'x'.repeat(1 << 20) });
    expect(r.exitCode).toBe(0);
  });

  it('streams decoded output through onOutput', async () => {
    const seen: string[] = [];
    const r = await runShell('printf "é"; printf "漢" >&2', { onOutput: (c, s) => seen.push(`${s}:${c}`) });
    expect(r.stdout).toBe('é');
    expect(seen.join('')).toContain('stdout:é');
    expect(seen.join('')).toContain('stderr:漢');
  });

  it('reports the killing signal', async () => {
    const r = await runShell('kill -KILL $$');
    expect(r.exitCode).toBeNull();
    expect(r.signal).toBe('SIGKILL');
  });

  it('throws ProcError naming the missing command', async () => {
    const e = await run(['definitely-not-a-command-xyz', '--flag']).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProcError);
    expect((e as ProcError).message).toContain('definitely-not-a-command-xyz');
    expect((e as ProcError).message).toContain('PATH');
    expect((e as ProcError).code).toBe('ENOENT');
  });

  it('throws ProcError with a cwd hint when the working directory is missing', async () => {
    const e = await run(['true'], { cwd: join(dir, 'nope') }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProcError);
    expect((e as Error).message).toContain('does not exist');
    const s = await runShell('make test', { cwd: join(dir, 'nope') }).catch((x: unknown) => x);
    expect((s as ProcError).command).toBe('bash -c make test');
    expect((s as Error).message).toMatch(/failed to start 'bash -c make test'.*does not exist/);
  });

  it('rejects an empty argv and an already-aborted signal', async () => {
    await expect(run([])).rejects.toBeInstanceOf(ProcError);
    await expect(run(['true'], { signal: AbortSignal.abort() })).rejects.toThrow(/already aborted/);
  });

  it('tracks no process groups once commands finish', async () => {
    await Promise.all([runShell('true'), runShell('sleep 0.1'), run(['echo', 'x'])]);
    expect(liveProcessGroups()).toBe(0);
  });
});

describe('timeouts kill the whole process group', () => {
  it('kills a backgrounded grandchild on timeout', async () => {
    const pidfile = join(dir, 'grandchild.pid');
    const t0 = Date.now();
    const r = await runShell(`sleep 300 & echo $! > ${pidfile}; sleep 300`, { timeoutMs: 500 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(r.signal).toBe('SIGTERM');
    expect(Date.now() - t0).toBeLessThan(5000);
    const pid = await readPid(pidfile);
    expect(await waitDead(pid)).toBe(true);
    expect(liveProcessGroups()).toBe(0);
  });

  it('escalates to SIGKILL for a grandchild that ignores SIGTERM', async () => {
    const pidfile = join(dir, 'stubborn.pid');
    const t0 = Date.now();
    const r = await runShell(`bash -c "trap '' TERM; echo \\$\\$ > ${pidfile}; while :; do sleep 0.05; done" & sleep 300`, {
      timeoutMs: 300,
    });
    const took = Date.now() - t0;
    expect(r.timedOut).toBe(true);
    const pid = await readPid(pidfile);
    // resolved only after the grace period, when SIGKILL went out
    expect(took).toBeGreaterThanOrEqual(2000);
    expect(took).toBeLessThan(8000);
    expect(await waitDead(pid)).toBe(true);
  });

  it('does not return while a grandchild holding the pipes outlives its parent', async () => {
    const pidfile = join(dir, 'lingering.pid');
    // The leader exits at once; the grandchild keeps stdout open and would otherwise leak.
    const r = await runShell(`sleep 300 & echo $! > ${pidfile}; echo done`, { timeoutMs: 10_000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('done\n');
    expect(r.timedOut).toBe(false);
    expect(await waitDead(await readPid(pidfile))).toBe(true);
  });

  it('SIGKILLs a leader that ignores SIGTERM and keeps its output', async () => {
    const r = await runShell(`echo before; trap '' TERM; sleep 300`, { timeoutMs: 300 });
    expect(r).toMatchObject({ timedOut: true, exitCode: null, signal: 'SIGKILL', stdout: 'before\n' });
    expect(r.durationMs).toBeGreaterThanOrEqual(2000);
  });

  it('runs many commands concurrently without mixing their output', async () => {
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => runShell(`echo ${i}; echo e${i} >&2; exit ${i % 3}`)));
    rs.forEach((r, i) => expect([r.stdout, r.stderr, r.exitCode]).toEqual([`${i}\n`, `e${i}\n`, i % 3]));
    expect(liveProcessGroups()).toBe(0);
  });

  it('returns when a process that left the group (setsid) keeps the pipes open', async () => {
    const pidfile = join(dir, 'setsid.pid');
    const t0 = Date.now();
    const r = await runShell(`setsid sleep 30 & echo $! > ${pidfile}; echo hi`, { timeoutMs: 20_000 });
    expect(r.stdout).toBe('hi\n');
    expect(r.exitCode).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    process.kill(await readPid(pidfile), 'SIGKILL'); // not in our group: clean up ourselves
  });

  it('kills the group when the AbortSignal fires', async () => {
    const pidfile = join(dir, 'aborted.pid');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const r = await runShell(`sleep 300 & echo $! > ${pidfile}; sleep 300`, { signal: ac.signal });
    expect(r.timedOut).toBe(false);
    expect(r.signal).toBe('SIGTERM');
    expect(await waitDead(await readPid(pidfile))).toBe(true);
  });

  it('kills running groups when the parent node process is interrupted', async () => {
    const pidfile = join(dir, 'parent-int.pid');
    const script = `
      import { runShell } from ${JSON.stringify(new URL('./index.ts', import.meta.url).pathname)};
      setTimeout(() => process.kill(process.pid, 'SIGINT'), 700);
      await runShell('sleep 300 & echo $! > ${pidfile}; sleep 300');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'ignore' });
    const [code, sig] = await new Promise<[number | null, string | null]>((res) => child.on('exit', (c, s) => res([c, s])));
    expect(sig === 'SIGINT' || code !== 0).toBe(true);
    expect(await waitDead(await readPid(pidfile))).toBe(true);
  });
  it('kills running groups when the parent calls process.exit()', async () => {
    const pidfile = join(dir, 'parent-exit.pid');
    const script = `
      import { runShell } from ${JSON.stringify(new URL('./index.ts', import.meta.url).pathname)};
      setTimeout(() => process.exit(0), 700);
      await runShell('sleep 300 & echo $! > ${pidfile}; sleep 300');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'ignore' });
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    expect(code).toBe(0);
    expect(await waitDead(await readPid(pidfile))).toBe(true);
  });
});

describe('output cap', () => {
  it('keeps head and tail with a truncation marker', async () => {
    const r = await runShell('echo START; head -c 200000 /dev/zero | tr "\\0" x; echo; echo END', { maxOutputBytes: 1000 });
    expect(r.truncated).toBe(true);
    expect(r.stdout.startsWith('START\nxxx')).toBe(true);
    expect(r.stdout.endsWith('xxx\nEND\n')).toBe(true);
    const m = /\n\.\.\. \[(\d+) bytes truncated\] \.\.\.\n/.exec(r.stdout);
    expect(m).not.toBeNull();
    const total = 6 + 200000 + 1 + 4;
    expect(Number(m![1])).toBe(total - 1000);
    expect(r.stdout.length).toBe(1000 + m![0].length);
  });

  it('does not cut multi-byte characters in half', async () => {
    const r = await runShell(`for i in $(seq 1 2000); do printf '漢'; done`, { maxOutputBytes: 101 });
    expect(r.truncated).toBe(true);
    expect(r.stdout).not.toContain('\uFFFD');
    const [head, tail] = r.stdout.split(/\n\.\.\. \[\d+ bytes truncated\] \.\.\.\n/);
    expect(head).toMatch(/^漢+$/);
    expect(tail).toMatch(/^漢+$/);
  });

  it('leaves output under the cap untouched', async () => {
    const r = await runShell('head -c 5000 /dev/zero | tr "\\0" y', { maxOutputBytes: 5000 });
    expect(r.truncated).toBe(false);
    expect(r.stdout).toBe('y'.repeat(5000));
  });
});
