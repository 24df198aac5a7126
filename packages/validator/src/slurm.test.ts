/**
 * `validate --executor slurm` on a real local Slurm (testkit's startLocalSlurm) against the demo
 * repository: the merged results equal a local run's; an array task killed with scancel mid-run is
 * resubmitted alone and every candidate is in the output once; a rerun of the finished run
 * submits nothing. Array tasks run the validator's own bin from the run folder with another HOME.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSlurmState } from '@swe-forge/core/exec';
import { readJsonlAll, writeJsonlAtomic } from '@swe-forge/core/jsonl';
import type { ValidationResult } from '@swe-forge/core/schema';
import { copyDemoRepo, localSlurmSkipReason, runCliCaptured, startLocalSlurm, tempDir, type LocalSlurm } from '@swe-forge/testkit';
import { editCandidate } from '../test/candidates.js';
import { runCli } from './cli.js';

const skip = localSlurmSkipReason();
const inCI = !!process.env.CI && process.env.CI !== '0' && process.env.CI.toLowerCase() !== 'false';
const cli = (argv: string[]): Promise<{ code: number; out: string; err: string }> => runCliCaptured(runCli, argv);

describe.skipIf(!!skip && !inCI)(`validate --executor slurm${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const prev = { home: process.env.SWE_FORGE_HOME, conf: process.env.SLURM_CONF, ci: process.env.CI };
  let slurm: LocalSlurm;
  beforeAll(async () => {
    if (skip) throw new Error(skip);
    // the demo environment cache the other validator tests share
    process.env.SWE_FORGE_HOME = join(tmpdir(), 'swe-forge-validator-test-home');
    process.env.CI = '1';
    slurm = await startLocalSlurm({ cpus: 2 });
    process.env.SLURM_CONF = slurm.conf;
  }, 180_000);
  afterAll(async () => {
    for (const [k, v] of [['SWE_FORGE_HOME', prev.home], ['SLURM_CONF', prev.conf], ['CI', prev.ci]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await slurm?.stop();
  });

  it('gives the results of the local executor, survives a scancel of one task mid-run, and a rerun submits nothing', async () => {
    const repo = copyDemoRepo({ git: true });
    const work = tempDir('swe-forge-val-slurm-');
    const R = 'demo';
    const candidates = [
      editCandidate(repo, R, 'minibank/money.py', 'if remainder * 2 >= value.denominator:', 'if remainder * 2 > value.denominator:', 'procedural/func_pm_op_change'),
      editCandidate(repo, R, 'minibank/rules.py', 'spent_today + amount <= limit', 'spent_today + amount < limit', 'procedural/func_pm_op_change'),
      editCandidate(repo, R, 'minibank/rules.py', 'return weighted % 10', 'return weighted % 11', 'procedural/func_pm_op_change_const'),
      editCandidate(repo, R, 'minibank/money.py', '    if negative or text.startswith("+"):\n        text = text[1:]\n', '', 'procedural/func_pm_remove_cond'),
    ];
    const cands = join(work, 'cands.jsonl');
    await writeJsonlAtomic(cands, candidates);
    const envFlags = ['--find-links', '/opt/pypi/files', '--no-index'];
    const local = await cli(['validate', repo, '--candidates', cands, '--out', join(work, 'local.jsonl'), '--tests', 'full', ...envFlags]);
    expect(local.code, local.err).toBe(0);

    const out = join(work, 'slurm.jsonl');
    const args = ['validate', repo, '--candidates', cands, '--out', out, '--tests', 'full', '--json', ...envFlags, '--executor', 'slurm', '--slurm-shards', '2', '--slurm-poll', '0.5', '--slurm-prelude', 'export HOME="$(mktemp -d)"'];
    const running = cli(args);
    // scancel the first array task seen running, mid-run
    let killed = '';
    for (let i = 0; i < 600 && !killed; i++) {
      await sleep(200);
      const q = slurm.exec(['squeue', '-h', '-r', '-o', '%i|%T']).stdout.trim().split('\n').filter((l) => l.endsWith('|RUNNING'));
      if (q.length) {
        await sleep(1500);
        killed = q[0]!.split('|')[0]!;
        slurm.exec(['scancel', killed]);
      }
    }
    const r = await running;
    expect(r.code, `${r.err}\n${slurm.logs()}`).toBe(0);
    expect(killed).toMatch(/^\d+_\d+$/);
    const stats = JSON.parse(r.out);
    expect(stats.slurm).toMatchObject({ complete: true, shards: 2 });
    const state = readSlurmState(`${out}.slurm`)!;
    const index = Number(killed.split('_')[1]);
    expect(state.shards[index]!.submissions).toBe(2);
    expect(state.jobs.at(-1)!.indices).toEqual([index]);

    const a = await readJsonlAll<ValidationResult>(join(work, 'local.jsonl'));
    const b = await readJsonlAll<ValidationResult>(out);
    expect(b.map((x) => x.candidate_id).sort()).toEqual(candidates.map((c) => c.id).sort());
    const view = (x: ValidationResult) => ({ id: x.candidate_id, status: x.status, f2p: [...x.FAIL_TO_PASS].sort(), p2p: [...x.PASS_TO_PASS].sort() });
    expect(b.map(view).sort((x, y) => x.id.localeCompare(y.id))).toEqual(a.map(view).sort((x, y) => x.id.localeCompare(y.id)));
    // every array task ran in the run folder, its HOME was not ours
    const script = readFileSync(state.jobs[0]!.script, 'utf8');
    expect(script).toContain(`#SBATCH --chdir=${out}.slurm`);
    expect(script).toContain(`--baseline-of ${out}`);
    expect(script).toMatch(/--env \S+/);

    const jobs = state.jobs.length;
    const again = await cli(args);
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out).slurm).toMatchObject({ complete: true, submitted: 0 });
    expect(readSlurmState(`${out}.slurm`)!.jobs).toHaveLength(jobs);
  }, 600_000);
});
