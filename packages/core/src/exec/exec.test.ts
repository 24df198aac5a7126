import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ResumableJsonlWriter, readJsonlAll } from '../jsonl/index.js';
import { LocalExecutor, Progress, cliErrorLine, formatDuration, isCI, numberArg, parseShard, runPool, shardOf } from './index.js';

/** A fake terminal that records what was written. */
function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      writes.push(chunk.toString());
      cb();
    },
  }) as Writable & { isTTY?: boolean };
  stream.isTTY = isTTY;
  return { stream, writes };
}

type Out = { key: string; value: number };
const tasksOf = (n: number): { key: string; input: number }[] => Array.from({ length: n }, (_, i) => ({ key: `t${i}`, input: i }));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'swe-forge-exec-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

describe('Progress', () => {
  it('draws done/total, percent, rate and ETA in place on a TTY, at most ~10x per second', () => {
    vi.useFakeTimers({ now: 0 });
    vi.stubEnv('CI', '');
    const { stream, writes } = fakeStream(true);
    const p = new Progress({ label: 'validate', total: 100, stream });
    expect(p.enabled).toBe(true);
    vi.setSystemTime(2000);
    p.tick(10); // first tick draws
    expect(writes).toHaveLength(1);
    expect(writes[0]).toBe('\rvalidate 10/100 10% 5.0/s ETA 18s\x1b[K');
    for (let i = 0; i < 50; i++) p.tick(); // same instant: throttled
    expect(writes).toHaveLength(1);
    vi.setSystemTime(2150);
    p.tick();
    expect(writes).toHaveLength(2);
    expect(writes[1]).toMatch(/^\rvalidate 61\/100 61% /);
    p.addTotal(100);
    vi.setSystemTime(4000);
    p.tick(39);
    expect(writes.at(-1)).toMatch(/^\rvalidate 100\/200 50% 25\/s ETA 4s/);
    p.done();
    expect(writes.at(-1)).toBe('\rvalidate 100/200 50% 25/s in 4s\x1b[K\n');
    p.done();
    p.tick();
    expect(writes.at(-1)).toMatch(/\n$/); // nothing after done()
  });

  it('is silent when not a TTY, in CI, or when disabled', () => {
    const notTty = fakeStream(false);
    const a = new Progress({ label: 'x', total: 3, stream: notTty.stream });
    a.tick();
    a.done();
    expect(a.enabled).toBe(false);
    expect(notTty.writes).toEqual([]);

    vi.stubEnv('CI', 'true');
    const ci = fakeStream(true);
    const b = new Progress({ label: 'x', total: 3, stream: ci.stream });
    b.tick();
    b.done();
    expect(ci.writes).toEqual([]);

    vi.stubEnv('CI', '');
    const off = fakeStream(true);
    const c = new Progress({ label: 'x', total: 3, stream: off.stream, enabled: false });
    c.tick();
    c.done();
    expect(off.writes).toEqual([]);
  });

  it('formats durations and reads the CI variable', () => {
    expect(formatDuration(5)).toBe('5s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(3720)).toBe('1h02m');
    expect(formatDuration(Infinity)).toBe('?');
    expect(isCI({ CI: 'true' })).toBe(true);
    expect(isCI({ CI: '1' })).toBe(true);
    expect(isCI({ CI: 'false' })).toBe(false);
    expect(isCI({})).toBe(false);
  });
});

describe('runPool', () => {
  it('never runs more than `concurrency` tasks at once and returns results in task order', async () => {
    let running = 0;
    let peak = 0;
    const summary = await runPool(tasksOf(40), {
      concurrency: 3,
      progress: false,
      worker: async (i, { key }) => {
        running++;
        peak = Math.max(peak, running);
        await sleep(1 + ((i * 7) % 5));
        running--;
        return { key, value: i * 2 };
      },
    });
    expect(peak).toBe(3);
    expect(summary.done).toBe(40);
    expect(summary.failed).toBe(0);
    expect(summary.skipped).toBe(0);
    expect(summary.results.map((r) => r.value)).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
    expect(summary.durationMs).toBeGreaterThan(0);
  });

  it('collects per-task errors without stopping the pool; onError can turn a failure into a record', async () => {
    const worker = async (i: number, { key }: { key: string }) => {
      if (i % 5 === 0) throw new Error(`boom ${i}`);
      if (i === 7) throw 'not an Error object';
      return { key, value: i };
    };
    const s = await runPool(tasksOf(20), { concurrency: 4, progress: false, worker });
    expect(s.done).toBe(15);
    expect(s.failed).toBe(5);
    expect(s.errors).toEqual([
      { key: 't0', error: 'boom 0' },
      { key: 't5', error: 'boom 5' },
      { key: 't7', error: 'not an Error object' },
      { key: 't10', error: 'boom 10' },
      { key: 't15', error: 'boom 15' },
    ]);

    const s2 = await runPool(tasksOf(20), {
      concurrency: 4,
      progress: false,
      worker,
      onError: (key, e) => (e.message.startsWith('boom') ? { key, value: -1 } : undefined),
    });
    expect(s2.done).toBe(19);
    expect(s2.failed).toBe(1);
    expect(s2.errors).toEqual([{ key: 't7', error: 'not an Error object' }]);
    expect(s2.results.filter((r) => r.value === -1).map((r) => r.key)).toEqual(['t0', 't5', 't10', 't15']);
  });

  it('records results to `out` as they finish and skips done keys on resume', async () => {
    const path = join(dir, 'results.jsonl');
    const out1 = await ResumableJsonlWriter.open<Out>(path, { key: (r) => r.key });
    const calls1: string[] = [];
    const s1 = await runPool(tasksOf(30), {
      concurrency: 4,
      out: out1,
      progress: false,
      worker: async (i, { key }) => {
        calls1.push(key);
        if (i >= 20) throw new Error('crash before finishing');
        // each result is in the file by the time the next task of this lane starts
        return { key, value: i };
      },
    });
    expect(s1.done).toBe(20);
    expect(s1.failed).toBe(10);
    await out1.close();

    const out2 = await ResumableJsonlWriter.open<Out>(path, { key: (r) => r.key });
    const calls2: string[] = [];
    const s2 = await runPool(tasksOf(30), {
      concurrency: 4,
      out: out2,
      progress: false,
      worker: async (i, { key }) => {
        calls2.push(key);
        return { key, value: i };
      },
    });
    expect(s2.skipped).toBe(20);
    expect(s2.done).toBe(10);
    expect(calls2.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `t${i + 20}`).sort());
    expect(s2.results.map((r) => r.key)).toEqual(calls2.sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))));
    await out2.finalize();
    const all = await readJsonlAll<Out>(path);
    expect(all.map((r) => r.key).sort()).toEqual(tasksOf(30).map((t) => t.key).sort());
  });

  it('reports a task whose result is stored under a different key than the task key', async () => {
    const out = await ResumableJsonlWriter.open<Out>(join(dir, 'mismatch.jsonl'), { key: (r) => r.key });
    const s = await runPool(tasksOf(2), { concurrency: 1, out, progress: false, worker: async (i) => ({ key: `other-${i}`, value: i }) });
    expect(s.failed).toBe(2);
    expect(s.errors[0].error).toMatch(/task "t0" was stored .* under a different key; make each task's key equal the output record's key/);
    await out.close();
  });

  it('writes each result before the pool finishes (visible to a concurrent reader)', async () => {
    const path = join(dir, 'live.jsonl');
    const out = await ResumableJsonlWriter.open<Out>(path, { key: (r) => r.key });
    let seenWhileRunning = 0;
    await runPool(tasksOf(6), {
      concurrency: 1,
      out,
      progress: false,
      worker: async (i, { key }) => {
        if (i === 5) seenWhileRunning = (await readJsonlAll(`${path}.partial`)).length;
        return { key, value: i };
      },
    });
    expect(seenWhileRunning).toBe(5);
    await out.close();
  });

  it('shards partition the keys exactly and stably', async () => {
    const tasks = Array.from({ length: 1000 }, (_, i) => ({ key: `owner__repo.abcdef12.op_swap__${i.toString(16).padStart(8, '0')}`, input: i }));
    const count = 4;
    const seen = new Map<string, number>();
    for (let index = 0; index < count; index++) {
      const s = await runPool(tasks, { concurrency: 8, progress: false, shard: { index, count }, worker: async (i, { key }) => ({ key, i }) });
      for (const r of s.results) {
        expect(seen.has(r.key)).toBe(false);
        seen.set(r.key, index);
        expect(shardOf(r.key, count)).toBe(index);
      }
      // roughly balanced
      expect(s.done).toBeGreaterThan(180);
      expect(s.done).toBeLessThan(320);
    }
    expect(seen.size).toBe(1000);
    // stable across calls and processes: a fixed key always lands in the same shard
    // (sha256('k1') starts with 6ab9f1eb; 0x6ab9f1eb % 8 === 3)
    expect(shardOf('k1', 8)).toBe(3);
    await expect(runPool(tasks, { concurrency: 1, shard: { index: 4, count: 4 }, worker: async () => 1 })).rejects.toThrow(/0 <= index < count/);
  });

  it('parses INDEX/COUNT shard specs', () => {
    expect(parseShard('3/8')).toEqual({ index: 3, count: 8 });
    expect(parseShard(' 0 / 1 ')).toEqual({ index: 0, count: 1 });
    expect(() => parseShard('8/8')).toThrow(/0 <= INDEX < COUNT/);
    expect(() => parseShard('a/b')).toThrow(/--shard 0\/4/);
    expect(() => parseShard('1/0')).toThrow();
  });

  it('aborts: stops starting tasks, signals running ones, keeps finished results in `out`, rejects', async () => {
    const path = join(dir, 'abort.jsonl');
    const out = await ResumableJsonlWriter.open<Out>(path, { key: (r) => r.key });
    const ac = new AbortController();
    const started: string[] = [];
    const pool = runPool(tasksOf(50), {
      concurrency: 2,
      out,
      progress: false,
      signal: ac.signal,
      worker: async (i, { key, signal }) => {
        started.push(key);
        if (i === 5) ac.abort(new Error('user pressed Ctrl-C'));
        await new Promise<void>((res, rej) => {
          const t = setTimeout(res, 5);
          signal.addEventListener('abort', () => {
            clearTimeout(t);
            rej(signal.reason as Error);
          });
        });
        return { key, value: i };
      },
    });
    await expect(pool).rejects.toThrow('user pressed Ctrl-C');
    expect(started.length).toBeLessThan(10);
    await out.close();
    const written = await readJsonlAll<Out>(`${path}.partial`);
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThan(started.length);
    expect(written.every((r) => r.value < 6)).toBe(true);

    const pre = new AbortController();
    pre.abort();
    await expect(runPool(tasksOf(3), { concurrency: 1, signal: pre.signal, worker: async () => 1 })).rejects.toThrow();
  });

  it('rejects bad options and duplicate keys with a clear message', async () => {
    await expect(runPool(tasksOf(2), { concurrency: 0, worker: async () => 1 })).rejects.toThrow(/concurrency must be a positive integer/);
    await expect(runPool([{ key: 'a', input: 1 }, { key: 'a', input: 2 }], { concurrency: 1, worker: async () => 1 })).rejects.toThrow(/duplicate task key "a"/);
  });

  it('shows progress for the tasks that actually run', async () => {
    vi.stubEnv('CI', '');
    const { stream, writes } = fakeStream(true);
    const ex = new LocalExecutor();
    expect(ex.name).toBe('local');
    await ex.run(tasksOf(5), { concurrency: 2, progress: { label: 'bugs', stream }, worker: async (i) => i });
    expect(writes[0]).toMatch(/^\rbugs 1\/5 /);
    expect(writes.at(-1)).toMatch(/^\rbugs 5\/5 100% .* in \d+s\x1b\[K\n$/);
  });
});

describe('numberArg', () => {
  it('parses numbers >= min (integers when asked) and turns anything else into a usage error with the hint', () => {
    expect(numberArg('--cost', 0)('2.5')).toBe(2.5);
    expect(numberArg('--n', 1, true)('3')).toBe(3);
    const bad = (f: () => number): unknown => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return null;
    };
    expect(cliErrorLine(bad(() => numberArg('--n', 1, true)('2.5')))).toEqual({ line: "error: --n must be an integer >= 1, got '2.5': see --help", code: 2 });
    expect(cliErrorLine(bad(() => numberArg('--cost', 0)('-1')))).toEqual({ line: "error: --cost must be a number >= 0, got '-1': see --help", code: 2 });
    expect(bad(() => numberArg('--cost', 0)('abc'))).toBeInstanceOf(Error);
  });
});

describe('cliErrorLine', () => {
  /** The shape commander v14's CommanderError has (core does not depend on commander). */
  const commanderError = (exitCode: number, code: string, message: string): Error =>
    Object.assign(new Error(message), { name: 'CommanderError', exitCode, code });

  it('help and version displays are success with nothing to print', () => {
    expect(cliErrorLine(commanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toEqual({ line: '', code: 0 });
    expect(cliErrorLine(commanderError(0, 'commander.version', '1.0.0'))).toEqual({ line: '', code: 0 });
    expect(cliErrorLine(commanderError(1, 'commander.help', '(outputHelp)'))).toEqual({ line: '', code: 0 });
  });

  it('a usage error becomes one line with a hint, keeping its exit code', () => {
    expect(cliErrorLine(commanderError(1, 'commander.unknownOption', "error: unknown option '--frob'\n(Did you mean --from?)"))).toEqual({
      line: "error: unknown option '--frob': see --help",
      code: 1,
    });
    expect(cliErrorLine(commanderError(2, 'bad-arg', '--seed must be an integer >= 0'), '')).toEqual({ line: 'error: --seed must be an integer >= 0', code: 2 });
    expect(cliErrorLine(commanderError(1, 'commander.unknownCommand', "error: unknown command 'x'"), 'see swe-forge --help').line).toBe(
      "error: unknown command 'x': see swe-forge --help",
    );
    // a message ending in '.' gets no stray '.:' before the hint
    expect(cliErrorLine(commanderError(1, 'commander.invalidArgument', "error: option '--mode <mode>' argument 'x' is invalid. Allowed choices are file, module.")).line).toBe(
      "error: option '--mode <mode>' argument 'x' is invalid. Allowed choices are file, module: see --help",
    );
  });

  it('any other failure prints its first line and exits 1', () => {
    expect(cliErrorLine(new Error('cannot read a.jsonl: ENOENT; check the path\n  at stack'))).toEqual({ line: 'error: cannot read a.jsonl: ENOENT; check the path', code: 1 });
    // a system error has a string code but no numeric exitCode: not a usage error
    expect(cliErrorLine(Object.assign(new Error('spawn git ENOENT'), { code: 'ENOENT' }))).toEqual({ line: 'error: spawn git ENOENT', code: 1 });
    expect(cliErrorLine('boom')).toEqual({ line: 'error: boom', code: 1 });
    expect(cliErrorLine(undefined)).toEqual({ line: 'error: undefined', code: 1 });
  });
});
