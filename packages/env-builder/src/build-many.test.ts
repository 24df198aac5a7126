/**
 * `env build --repos FILE --out FILE`: one record per repository, a rejected build recorded (not
 * fatal), a rerun builds nothing; and the same list as a job array on a real local Slurm.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localSlurmSkipReason, runCliCaptured, startLocalSlurm } from '@swe-forge/testkit';
import { fixture, PIP_CACHE, WHEELHOUSE } from '../test/helpers.js';
import { runCli } from './cli.js';
import type { EnvBuildRecord } from './build-many.js';

const skip = localSlurmSkipReason();
const inCI = !!process.env.CI && process.env.CI !== '0' && process.env.CI.toLowerCase() !== 'false';

function list(dir: string): string {
  const file = join(dir, 'repos.txt');
  // relative to the list's folder, with a comment and a blank line
  writeFileSync(file, `# two fixtures\n${fixture('srclayout')}\n\n${fixture('failing')}\n`);
  return file;
}

const flags = (cache: string) => ['--find-links', WHEELHOUSE, '--no-index', '--cache-dir', cache, '--pip-cache-dir', PIP_CACHE];

describe('env build --repos', () => {
  it('records every repository (a rejected build too), and a rerun builds nothing', async () => {
    mkdirSync(PIP_CACHE, { recursive: true });
    const dir = mkdtempSync(join(tmpdir(), 'eb-many-'));
    const out = join(dir, 'envs.jsonl');
    const r = await runCliCaptured(runCli, ['build', '--repos', list(dir), '--out', out, '--workers', '2', '--json', ...flags(join(dir, 'cache'))]);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ repositories: 2, built: 1, rejected: 1, errors: [] });
    const byRepo = new Map((j.records as EnvBuildRecord[]).map((x) => [x.repo, x]));
    expect(byRepo.get(fixture('srclayout'))).toMatchObject({ ok: true, cached: false });
    expect(byRepo.get(fixture('failing'))).toMatchObject({ ok: false });
    expect(byRepo.get(fixture('failing'))!.error).toMatch(/pass/i);
    const again = await runCliCaptured(runCli, ['build', '--repos', list(dir), '--out', out, '--json', ...flags(join(dir, 'cache'))]);
    expect(JSON.parse(again.out)).toMatchObject({ built: 1, rejected: 1 });
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2);
    const none = await runCliCaptured(runCli, ['build', '--repos', list(dir)]);
    expect(none.code).toBe(1);
    expect(none.err.trim()).toMatch(/^error: --repos needs --out FILE/);
  }, 300_000);

  it.skipIf(!!skip && !inCI)(`builds the list as a Slurm job array with the records of a local run${skip ? ` (skipped: ${skip})` : ''}`, async () => {
    if (skip) throw new Error(skip);
    const slurm = await startLocalSlurm({ cpus: 2 });
    const prev = process.env.SLURM_CONF;
    try {
      process.env.SLURM_CONF = slurm.conf;
      const dir = mkdtempSync(join(tmpdir(), 'eb-many-slurm-'));
      const local = await runCliCaptured(runCli, ['build', '--repos', list(dir), '--out', join(dir, 'local.jsonl'), '--json', ...flags(join(dir, 'cache-local'))]);
      expect(local.code, local.err).toBe(0);
      const r = await runCliCaptured(runCli, ['build', '--repos', list(dir), '--out', join(dir, 'slurm.jsonl'), '--json', ...flags(join(dir, 'cache-slurm')), '--executor', 'slurm', '--slurm-shards', '2', '--slurm-poll', '0.5', '--slurm-prelude', 'export HOME="$(mktemp -d)"']);
      expect(r.code, `${r.err}\n${slurm.logs()}`).toBe(0);
      const j = JSON.parse(r.out);
      expect(j.slurm).toMatchObject({ shards: 2 });
      const view = (x: EnvBuildRecord) => ({ repo: x.repo, ok: x.ok, id: x.id, passed: x.baseline?.passed });
      const a = (JSON.parse(local.out).records as EnvBuildRecord[]).map(view).sort((x, y) => x.repo.localeCompare(y.repo));
      const b = (j.records as EnvBuildRecord[]).map(view).sort((x, y) => x.repo.localeCompare(y.repo));
      expect(b).toEqual(a);
      // built on the nodes, in the cache the nodes were given
      expect((j.records as EnvBuildRecord[]).find((x) => x.ok)!.dir).toContain(join(dir, 'cache-slurm'));
    } finally {
      if (prev === undefined) delete process.env.SLURM_CONF;
      else process.env.SLURM_CONF = prev;
      await slurm.stop();
    }
  }, 400_000);
});
