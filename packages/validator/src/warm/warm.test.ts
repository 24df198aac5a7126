/**
 * `--runner warm` end to end on the warm fixture (an env-builder environment with
 * pytest-timeout): forked children decide function-body bugs exactly as isolated runs do
 * (decorated functions, closures made at import, methods, properties, super(), a module imported
 * lazily, a function whose source a test reads and a subprocess imports); every fallback reason
 * the validator can meet is counted; a child that segfaults, hangs or writes outside its working
 * copy leaves the worker and the next candidate unaffected; a forked result an isolated run
 * contradicts is re-validated isolated; a killed worker is restarted.
 */
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BugCandidate, ValidationResult } from '@swe-forge/core/schema';
import { tempDir } from '@swe-forge/testkit';
import { buildEnvironment, bwrapAvailable, openEnvironment, type BuiltEnvironment, type Environment } from '@swe-forge/env-builder';
import { editCandidate } from '../../test/candidates.js';
import { localTestEnv } from '../../test/local-env.js';
import { runCli } from '../cli.js';
import { validateCandidates } from '../validate.js';
import type { WarmMeta } from './run-warm.js';

const WARM = fileURLToPath(new URL('../../fixtures/warm', import.meta.url));
const R = 'local/warm';
const edit = (file: string, from: string, to: string, strategy?: string): BugCandidate => editCandidate(WARM, R, file, from, to, strategy);
const core = (from: string, to: string): BugCandidate => edit('wlib/core.py', from, to);
const warmOf = (r: ValidationResult): WarmMeta | undefined => r.meta.warm as WarmMeta | undefined;
const byId = (rs: ValidationResult[]): Map<string, ValidationResult> => new Map(rs.map((r) => [r.candidate_id, r]));

// a stable cache: the fixture's tree hash is deterministic, so reruns reuse the built venv
const buildWarm = (work: string): Promise<BuiltEnvironment> =>
  buildEnvironment(WARM, { findLinks: ['/opt/pypi/files'], noIndex: true, cacheDir: join(tmpdir(), 'swe-forge-validator-warm-envs'), workDir: join(work, 'wc') });

describe('validateCandidates --runner warm (env-builder environment)', () => {
  let env: Environment;
  const work = tempDir('swe-forge-val-warm-');
  beforeAll(async () => {
    rmSync(join(tmpdir(), 'wlib-marker'), { force: true });
    env = await openEnvironment(await buildWarm(work));
  }, 300_000);
  afterAll(async () => {
    await env?.dispose();
  });

  const swappable = [
    core('return a + b', 'return a - b'),
    core('return x * 2', 'return x * 3'), // behind functools.wraps
    core('return x * k', 'return x * k + 1'), // a closure made at import
    core('return n if n < 2 else', 'return n if n < 3 else'), // behind lru_cache
    core('return self.side * self.side', 'return self.side + self.side'), // a property
    core('return "square/" + super().describe()', 'return "sq/" + super().describe()'), // super(): a __class__ cell
    core('def label(x):\n    return', 'def label(x):\n    x = x\n    return'), // read by inspect and by a subprocess
    edit('wlib/lazy.py', 'return 42', 'return 43'), // imported only inside a test
    // a method removed from a class (SWE-smith's class_rm_funcs): deleted from the live class
    edit('wlib/core.py', '    def describe(self):\n        return "shape:" + str(self.side)\n', '', 'procedural/func_pm_class_rm_funcs'),
    // methods reordered in a class (class_shuffle_funcs), with a body change
    edit(
      'wlib/core.py',
      '    @staticmethod\n    def unit():\n        return 1\n\n    @classmethod\n    def square(cls, side):\n        return cls(side)\n',
      '    @classmethod\n    def square(cls, side):\n        return cls(side)\n\n    @staticmethod\n    def unit():\n        return 2\n',
      'procedural/func_pm_class_shuffle_funcs',
    ),
    // the docstring moved down a shuffled body (ctrl_shuffle): __doc__ is set with the new code
    core('    """Returns seven."""\n    return 7', '    return 8\n    """Returns seven."""'),
  ];

  it('decides function-body bugs in forked children exactly as isolated runs do, confirmed in isolation', async () => {
    const warm = await validateCandidates(env, swappable, { out: join(work, 'warm.jsonl'), tests: 'coverage', runner: 'warm', timeoutS: 120, progress: false, verifySample: 3, seed: 1 });
    const iso = await validateCandidates(env, swappable, { out: join(work, 'iso.jsonl'), tests: 'coverage', timeoutS: 120, progress: false });
    const w = byId(warm.results);
    const i = byId(iso.results);
    for (const c of swappable) {
      const a = w.get(c.id)!;
      const b = i.get(c.id)!;
      expect(warmOf(a)?.path, `${c.id}: ${JSON.stringify(a.meta.warm)}`).toBe('warm');
      expect(warmOf(b)).toBeUndefined();
      expect(a.status, c.id).toBe(b.status);
      expect(a.FAIL_TO_PASS, c.id).toEqual(b.FAIL_TO_PASS);
      expect(a.PASS_TO_PASS, c.id).toEqual(b.PASS_TO_PASS);
      expect(a.status).toBe('valid');
      expect(warmOf(a)?.confirm).toMatchObject({ agreed: true, tests: a.FAIL_TO_PASS.length });
    }
    const label = w.get(swappable[6].id)!;
    expect(label.FAIL_TO_PASS).toEqual(['tests/test_core.py::test_label_source']); // inspect saw the patched file
    expect(label.PASS_TO_PASS).toContain('tests/test_core.py::test_label_subprocess'); // the subprocess agreed
    expect(w.get(swappable[0].id)!.FAIL_TO_PASS).toEqual(['tests/test_core.py::test_add', 'tests/test_unit.py::AddTests::test_add_zero']);
    const s = warm.stats.warm as { decided_warm: number; fallbacks: Record<string, number>; workers: { restarts: number; collected: number } };
    expect(s.decided_warm).toBe(swappable.length);
    expect(s.fallbacks).toEqual({});
    expect(s.workers.collected).toBe(17);
    expect((warm.stats.warm as { disagreements: number }).disagreements).toBe(0);
    expect(warm.stats.verify).toMatchObject({ against: 'isolated', compared: 3, identical_f2p: 3, agreement: 1, replaced: 0 });
  }, 300_000);

  it('falls back to an isolated run, with the reason counted, where it cannot swap safely', async () => {
    const cases: [BugCandidate, string][] = [
      [core('TABLE = build_table()', 'TABLE = build_table()[:2]'), 'declined:module-level'],
      [core('    return [1, 2, 3]', '    return [1, 2]'), 'import-time'], // a body that ran at import
      [core('    yield 2', '    yield 3'), 'import-time'], // a generator advanced at import
      [edit('tests/conftest.py', 'pytest_plugins = ["wlib.hooks"]', 'pytest_plugins = ["wlib.hooks"]\nEXTRA = 1'), 'full-suite'],
      [edit('wlib/core.py', 'class Square(Shape):', 'class Square(object):', 'procedural/func_pm_class_rm_base'), 'full-suite'],
      [edit('tests/test_core.py', 'assert core.add(2, 3) == 5', 'assert core.add(2, 3) == 6'), 'test-file'],
      [edit('wlib/hooks.py', 'return 10', 'return 11'), 'declined:fixture'],
      [edit('wlib/hooks.py', '("wlib", "setup")', '("wlib", "set-up")'), 'declined:hook'],
      [core('    return a + b', '    return a +'), 'declined:parse'],
    ];
    const cands = cases.map(([c]) => c);
    const { results, stats } = await validateCandidates(env, cands, { out: join(work, 'fallback.jsonl'), tests: 'coverage', runner: 'warm', timeoutS: 120, progress: false });
    const iso = await validateCandidates(env, cands, { out: join(work, 'fallback-iso.jsonl'), tests: 'coverage', timeoutS: 120, progress: false });
    const r = byId(results);
    const i = byId(iso.results);
    const expected: Record<string, number> = {};
    for (const [c, reason] of cases) {
      const got = r.get(c.id)!;
      expect(warmOf(got), c.id).toMatchObject({ path: 'isolated', reason });
      // an isolated fallback is exactly an isolated run
      expect([got.status, got.FAIL_TO_PASS], `${c.id} (${reason})`).toEqual([i.get(c.id)!.status, i.get(c.id)!.FAIL_TO_PASS]);
      expected[reason] = (expected[reason] ?? 0) + 1;
    }
    expect((stats.warm as { fallbacks: Record<string, number> }).fallbacks).toEqual(expected);
    expect((r.get(cases[8][0].id)!.meta.selection as { kind: string; reason: string }).reason).toMatch(/no longer parse/);
    expect(warmOf(r.get(cases[6][0].id)!)?.detail).toMatch(/base/);
  }, 300_000);

  it('a child that segfaults, hangs or writes outside its copy leaves the worker and the next candidate unaffected', async () => {
    const segv = core('    return "pong"', '    import os, signal\n    os.kill(os.getpid(), signal.SIGSEGV)');
    const hang = core('    return "pong"', '    import time\n    time.sleep(600)');
    const write = core(
      '    return "pong"',
      '    import tempfile\n    open(os.path.join(tempfile.gettempdir(), "wlib-marker"), "w").write("x")\n    open("stray.txt", "w").write("x")\n    return "pong"',
    );
    const scratch = core('    import tempfile\n', '    import tempfile\n    unused = 0\n');
    const add = swappable[0];
    const t0 = Date.now();
    const { results, stats } = await validateCandidates(env, [segv, write, hang, scratch, add], {
      out: join(work, 'robust.jsonl'),
      tests: 'coverage',
      runner: 'warm',
      workers: 1,
      timeoutS: 120,
      bounds: { testFloorS: 2, floorS: 5 },
      progress: false,
    });
    const r = byId(results);
    for (const c of [segv, write, hang, scratch, add]) expect(warmOf(r.get(c.id)!)?.path, c.id).toBe('warm');
    expect(r.get(segv.id)!.status).toBe('untrustworthy');
    expect(r.get(segv.id)!.report.exit_code).toBe(139); // what a shell reports for a run killed by SIGSEGV
    expect(r.get(hang.id)!.status).toBe('timeout');
    expect(r.get(hang.id)!.error).toMatch(/per-test timeout/);
    expect(r.get(write.id)!.status).toBe('no_f2p');
    // the marker in the temp folder and the stray file in the working copy are gone
    expect(r.get(scratch.id)!.status).toBe('no_f2p');
    expect(r.get(scratch.id)!.PASS_TO_PASS).toContain('tests/test_core.py::test_clean_scratch');
    expect(r.get(add.id)!.status).toBe('valid');
    const s = stats.warm as { workers: { restarts: number; workers: number } };
    expect(s.workers).toMatchObject({ workers: 1, restarts: 0 });
    expect(Date.now() - t0).toBeLessThan(100_000); // the hang cost its 2 s test timeout, not --timeout
  }, 300_000);

  it('re-validates isolated a candidate whose forked run an isolated run contradicts, and restarts a killed worker', async () => {
    // the function compares the pid with the one at import: true in any fresh process, false in a fork
    const pid = edit('wlib/proc.py', 'return os.getpid() == _PID', 'return _PID == os.getpid()');
    const kill = core(
      '    return "pong"',
      '    import signal\n    ppid = os.getppid()\n    with open("/proc/%d/cmdline" % ppid, "rb") as f:\n        if b"swe_forge_warm" in f.read():\n            os.kill(ppid, signal.SIGKILL)\n    return "pong"',
    );
    const add = swappable[0];
    const { results, stats } = await validateCandidates(env, [pid, kill, add], { out: join(work, 'trust.jsonl'), tests: 'coverage', runner: 'warm', workers: 1, timeoutS: 120, progress: false });
    const r = byId(results);
    const p = r.get(pid.id)!;
    expect(p.status).toBe('no_f2p'); // what an isolated run says
    expect(warmOf(p)).toMatchObject({ path: 'isolated', reason: 'disagreement' });
    expect(p.meta.warm_disagreement).toMatchObject({ warm: { FAIL_TO_PASS: ['tests/test_proc.py::test_same_process'] }, isolated: { status: 'no_f2p', FAIL_TO_PASS: [] } });
    expect(warmOf(r.get(kill.id)!)).toMatchObject({ path: 'isolated', reason: 'worker-died' });
    expect(r.get(kill.id)!.status).toBe('no_f2p');
    expect(warmOf(r.get(add.id)!)?.path).toBe('warm');
    expect(r.get(add.id)!.status).toBe('valid');
    const s = stats.warm as { disagreements: number; fallbacks: Record<string, number>; workers: { restarts: number } };
    expect(s).toMatchObject({ disagreements: 1, fallbacks: { disagreement: 1, 'worker-died': 1 } });
    expect(s.workers.restarts).toBe(1);
  }, 300_000);
});

const bwrap = await bwrapAvailable();
if (!bwrap.ok) console.warn(`SKIPPING warm runner bwrap tests: ${bwrap.reason}`);

describe.skipIf(!bwrap.ok)('--runner warm in the bwrap backend', () => {
  let env: Environment;
  const work = tempDir('swe-forge-val-warm-bwrap-');
  beforeAll(async () => {
    env = await openEnvironment(await buildWarm(work), { backend: 'bwrap', workDir: join(work, 'wc') });
  }, 300_000);
  afterAll(async () => {
    await env?.dispose();
  });

  it('serves through a socket inside the sandbox; what a child leaves in its private /tmp is gone for the next one', async () => {
    const write = core(
      '    return "pong"',
      '    import tempfile\n    open("/tmp/wlib-abs-marker", "w").write("x")\n    open(os.path.join(tempfile.gettempdir(), "wlib-marker"), "w").write("x")\n    return "pong"',
    );
    const scratch = core('    import tempfile\n', '    import tempfile\n    unused = 0\n');
    const add = core('return a + b', 'return a - b');
    const { results, stats } = await validateCandidates(env, [write, scratch, add], { out: join(work, 'r.jsonl'), tests: 'coverage', runner: 'warm', workers: 1, timeoutS: 120, progress: false });
    const r = byId(results);
    for (const c of [write, scratch, add]) expect(warmOf(r.get(c.id)!)?.path, c.id).toBe('warm');
    expect(r.get(scratch.id)!.status).toBe('no_f2p');
    expect(r.get(scratch.id)!.PASS_TO_PASS).toContain('tests/test_core.py::test_clean_scratch');
    expect(r.get(add.id)!.status).toBe('valid');
    expect((stats.warm as { workers: { restarts: number } }).workers.restarts).toBe(0);
    expect(existsSync('/tmp/wlib-abs-marker')).toBe(false); // the host never saw it
  }, 300_000);
});

describe('warm worker that cannot serve', () => {
  it('runs every candidate isolated when the project keeps threads running after collection', async () => {
    const dir = tempDir('swe-forge-val-warm-thread-');
    const repo = join(dir, 'repo');
    cpSync(WARM, repo, { recursive: true });
    writeFileSync(join(repo, 'tests', 'conftest.py'), 'import threading, time\n\npytest_plugins = ["wlib.hooks"]\nthreading.Thread(target=time.sleep, args=(3600,), daemon=True).start()\n');
    const env = localTestEnv(repo, 'local/warm-thread');
    try {
      const bug = editCandidate(repo, 'local/warm-thread', 'wlib/core.py', 'return a + b', 'return a - b');
      const { results, stats } = await validateCandidates(env, [bug], { out: join(dir, 'r.jsonl'), tests: 'coverage', runner: 'warm', timeoutS: 120, progress: false });
      expect(results[0].status).toBe('valid');
      expect(warmOf(results[0])).toMatchObject({ path: 'isolated', reason: 'worker-unavailable' });
      expect((stats.warm as { workers: { unavailable: string[] } }).workers.unavailable[0]).toMatch(/threads after collection/);
    } finally {
      await env.dispose();
    }
  }, 120_000);
});

describe('warm worker in a deep working copy', () => {
  it('connects even when the socket path is longer than a unix socket address allows', async () => {
    const prev = process.env.TMPDIR;
    const deep = join(tempDir('swe-forge-val-warm-deep-'), 'a-rather-long-folder-name-for-working-copies', 'and-another-one-below-it-to-pass-108-bytes');
    mkdirSync(deep, { recursive: true });
    process.env.TMPDIR = deep;
    const env = localTestEnv(WARM, 'local/warm-deep');
    try {
      const bug = core('return a + b', 'return a - b');
      const { results } = await validateCandidates(env, [bug], { out: join(deep, 'r.jsonl'), tests: 'coverage', runner: 'warm', timeoutS: 120, progress: false });
      expect(join((await env.sandbox()).root, '.git/swe-forge-warm/s').length).toBeGreaterThan(108);
      expect(warmOf(results[0])?.path).toBe('warm');
      expect(results[0].status).toBe('valid');
    } finally {
      if (prev === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = prev;
      await env.dispose();
    }
  }, 120_000);
});

describe('validate CLI --runner', () => {
  it('needs --tests coverage', async () => {
    let err = '';
    const code = await runCli(['validate', WARM, '--candidates', 'c.jsonl', '--out', 'r.jsonl', '--runner', 'warm'], {
      stdout: { write: () => true } as unknown as NodeJS.WritableStream,
      stderr: { write: (s: string) => ((err += s), true) } as unknown as NodeJS.WritableStream,
    });
    expect(code).not.toBe(0);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/^error: --runner warm needs --tests coverage/);
  });
});

afterAll(() => {
  if (existsSync('/tmp/wlib-abs-marker')) rmSync('/tmp/wlib-abs-marker', { force: true });
});
