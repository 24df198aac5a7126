/**
 * A pipeline config that names a Slurm executor per stage (`validate`, a `rollout` run), on a
 * real local Slurm: the stages run as job arrays of the stage CLIs and leave the files a local
 * run leaves, with the same instances and the same rollout outcomes.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSlurmState } from '@swe-forge/core/exec';
import { localSlurmSkipReason, runCliCaptured, startLocalSlurm } from '@swe-forge/testkit';
import { runCli } from '../cli.js';
import { findDemoRepo, prepareRepoCopy } from '../demo.js';

const skip = localSlurmSkipReason();
const inCI = !!process.env.CI && process.env.CI !== '0' && process.env.CI.toLowerCase() !== 'false';

const config = (executor: string) =>
  [
    'repo: ./minibank',
    `out: ./out-${executor === 'local' ? 'local' : 'slurm'}`,
    'workers: 2',
    'env: { backend: venv, no_index: true, find_links: [/opt/pypi/files] }',
    'bugs: { modifiers: [func_pm_op_change, func_pm_remove_cond], max_bugs_per_modifier: 2 }',
    `validate: { tests: full, timeout_s: 60, executor: ${executor} }`,
    'issues: { strategies: [template] }',
    `rollout: { lm: "scripted:mixed", attempts: 2, limit: 2, seed: 4, executor: ${executor} }`,
    '',
  ].join('\n');

describe.skipIf(!!skip && !inCI)(`pipeline stages on Slurm${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('validate and rollout as job arrays give the instances and outcomes of a local run', async () => {
    if (skip) throw new Error(skip);
    const dir = await mkdtemp(join(tmpdir(), 'pipeline-slurm-'));
    await prepareRepoCopy(findDemoRepo()!, join(dir, 'minibank'));
    await writeFile(join(dir, 'local.yaml'), config('local'));
    await writeFile(join(dir, 'slurm.yaml'), config('{ type: slurm, shards: 2, poll_s: 0.5, prelude: ["export HOME=\\"$(mktemp -d)\\""] }'));
    const local = await runCliCaptured(runCli, ['pipeline', 'run', join(dir, 'local.yaml'), '--json']);
    expect(local.code, local.err).toBe(0);
    const slurm = await startLocalSlurm({ cpus: 2 });
    const prev = process.env.SLURM_CONF;
    try {
      process.env.SLURM_CONF = slurm.conf;
      const r = await runCliCaptured(runCli, ['pipeline', 'run', join(dir, 'slurm.yaml'), '--json']);
      expect(r.code, `${r.err}\n${slurm.logs()}`).toBe(0);
    } finally {
      if (prev === undefined) delete process.env.SLURM_CONF;
      else process.env.SLURM_CONF = prev;
      await slurm.stop();
    }
    const lines = (p: string) => readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const ids = (out: string) => lines(join(dir, out, 'instances.jsonl')).map((x) => x.instance_id).sort();
    expect(ids('out-slurm')).toEqual(ids('out-local'));
    expect(ids('out-slurm').length).toBeGreaterThan(0);
    // the stages really ran as arrays
    expect(readSlurmState(join(dir, 'out-slurm', 'work', 'slurm', 'validate-base'))!.shards.every((s) => s.state === 'done')).toBe(true);
    expect(readSlurmState(join(dir, 'out-slurm', 'rollouts', 'mixed', 'slurm'))!.shards.every((s) => s.state === 'done')).toBe(true);
    const outcome = (out: string) =>
      lines(join(dir, out, 'rollouts', 'mixed', 'trajectories.jsonl'))
        .map((t) => `${t.instance_id}#${t.attempt}:${t.exit_status}:${(t.eval as { resolved?: boolean } | undefined)?.resolved}`)
        .sort();
    expect(outcome('out-slurm')).toEqual(outcome('out-local'));
  }, 900_000);
});
