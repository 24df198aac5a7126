/**
 * `rollout run --executor slurm` on a real local Slurm, against the scripted teacher served
 * standalone (`swe-forge rollout teacher`): the same outcomes per attempt as a local run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonlAll, writeJsonlAtomic } from '@swe-forge/core/jsonl';
import type { Trajectory } from '@swe-forge/core/schema';
import { localSlurmSkipReason, runCliCaptured, startLocalSlurm, tempDir, type LocalSlurm } from '@swe-forge/testkit';
import { demoFixture } from '../test/demo.js';
import { runCli } from './cli.js';

const skip = localSlurmSkipReason();
const inCI = !!process.env.CI && process.env.CI !== '0' && process.env.CI.toLowerCase() !== 'false';

describe.skipIf(!!skip && !inCI)(`rollout run --executor slurm${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const prev = { conf: process.env.SLURM_CONF, ci: process.env.CI };
  let slurm: LocalSlurm;
  beforeAll(async () => {
    if (skip) throw new Error(skip);
    process.env.CI = '1';
    slurm = await startLocalSlurm({ cpus: 2 });
    process.env.SLURM_CONF = slurm.conf;
  }, 180_000);
  afterAll(async () => {
    for (const [k, v] of [['SLURM_CONF', prev.conf], ['CI', prev.ci]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await slurm?.stop();
  });

  it('gives the same outcome per attempt as a local run against the standalone scripted teacher', async () => {
    const { repo, env, instances } = await demoFixture();
    await env.dispose();
    const work = tempDir('swe-forge-rollout-slurm-');
    const file = join(work, 'instances.jsonl');
    await writeJsonlAtomic(file, instances.slice(0, 3));
    // the standalone teacher, as `swe-forge rollout teacher` serves it for jobs on other machines
    const stdout = new PassThrough();
    let printed = '';
    stdout.on('data', (c: Buffer) => (printed += c.toString()));
    const stop = new AbortController();
    const teacher = runCli(['teacher', '--port', '0', '--instances', file, '--policy', 'mixed', '--seed', '3'], { stdout, stderr: new PassThrough(), signal: stop.signal });
    for (let i = 0; i < 100 && !/http:\/\/\S+\/v1/.test(printed); i++) await sleep(100);
    const url = /(http:\/\/\S+\/v1)/.exec(printed)![1]!;
    try {
      const common = ['run', '--instances', file, '--repo', repo, '--lm', url, '--model', 'scripted:mixed', '--attempts', '2', '--workers', '2', '--seed', '3', '--find-links', '/opt/pypi/files', '--no-index', '--json'];
      const local = await runCliCaptured(runCli, [...common, '--out', join(work, 'local')]);
      expect(local.code, local.err).toBe(0);
      const r = await runCliCaptured(runCli, [...common, '--out', join(work, 'slurm'), '--executor', 'slurm', '--slurm-shards', '2', '--slurm-poll', '0.5', '--slurm-prelude', 'export HOME="$(mktemp -d)"']);
      expect(r.code, `${r.err}\n${slurm.logs()}`).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ executor: 'slurm', complete: true, shards: 2 });
      const view = (t: Trajectory) => ({ key: `${t.instance_id}#${t.attempt}`, exit: t.exit_status, resolved: t.eval?.resolved, semi: t.eval?.semi_resolved, submission: t.submission });
      const a = (await readJsonlAll<Trajectory>(join(work, 'local', 'trajectories.jsonl'))).map(view).sort((x, y) => x.key.localeCompare(y.key));
      const b = (await readJsonlAll<Trajectory>(join(work, 'slurm', 'trajectories.jsonl'))).map(view).sort((x, y) => x.key.localeCompare(y.key));
      expect(b).toHaveLength(6);
      expect(b).toEqual(a);
      // the mixed teacher really mixes: both outcomes occur
      expect(new Set(b.map((x) => x.resolved)).size).toBe(2);
      const preds = JSON.parse(readFileSync(join(work, 'slurm', 'preds.json'), 'utf8')) as Record<string, unknown>;
      expect(Object.keys(preds).sort()).toEqual(instances.slice(0, 3).map((i) => i.instance_id).sort());
      expect(existsSync(join(work, 'slurm', 'summary.json'))).toBe(true);
    } finally {
      stop.abort();
      await teacher;
    }
  }, 600_000);
});
