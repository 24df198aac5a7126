import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '@swe-forge/testkit';
import { runCli } from './cli.js';
import { PIP_CACHE, WHEELHOUSE, fixture, offline } from '../test/helpers.js';

const cli = (...argv: string[]): Promise<{ code: number; out: string; err: string }> => runCliCaptured(runCli, argv);

describe('swe-forge env CLI', () => {
  it('detect prints the spec and why each line was chosen; --json is machine-readable', async () => {
    const t = await cli('detect', fixture('covopts'));
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/test_cmd\s+python -m pytest -p no:cacheprovider/);
    expect(t.out).toMatch(/pytest-cov\n\s+└ `--cov` in pytest\.ini \[pytest\] needs pytest-cov/);
    const j = await cli('detect', fixture('covopts'), '--json', '--find-links', WHEELHOUSE, '--no-index');
    const parsed = JSON.parse(j.out);
    expect(parsed.spec.install.at(-1)).toBe('python -m pip install --no-index --find-links /opt/pypi/files pytest pytest-cov');
    expect(parsed.reasons.length).toBeGreaterThan(3);
  });

  it('build prints where the environment is and how long it took; a second run reuses the cache', async () => {
    const { cacheDir } = offline();
    const args = [
      'build',
      fixture('groups'),
      '--find-links',
      WHEELHOUSE,
      '--no-index',
      '--cache-dir',
      cacheDir!,
      '--pip-cache-dir',
      PIP_CACHE,
    ];
    const first = await cli(...args, '--json');
    expect(first.code).toBe(0);
    const j = JSON.parse(first.out);
    expect(j).toMatchObject({
      cached: false,
      spec: { baseline: { passed: 1 } },
    });
    expect(j.dir.startsWith(cacheDir!)).toBe(true);
    const second = await cli(...args);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/^reused cached environment groups\./m);
    expect(second.out).toMatch(/^ {2}where {5}\//m);
    expect(second.out).toMatch(/^ {2}took {6}\d+\.\d+s$/m);
  }, 180_000);

  it('containerfile emits a Dockerfile or an Apptainer definition', async () => {
    const d = await cli('containerfile', fixture('srclayout'));
    expect(d.out).toMatch(/^FROM python:3\.\d+-slim$/m);
    const a = await cli('containerfile', fixture('srclayout'), '--format', 'apptainer');
    expect(a.out).toMatch(/^Bootstrap: docker$/m);
  });

  it('errors are one line with what failed and what to do; usage errors exit non-zero', async () => {
    const e = await cli('detect', '/nonexistent/repo');
    expect(e.code).toBe(1);
    expect(e.err.trim().split('\n')).toHaveLength(1);
    expect(e.err).toMatch(/^error: detect failed: \/nonexistent\/repo is not a directory: pass the path/);
    const bad = await cli('build', fixture('groups'), '--min-pass-rate', '7');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^error: --min-pass-rate 7 is not a number in \[0, 1\]/);
    const help = await cli('build', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/Examples:\n {2}swe-forge env build \.\/myrepo/);
    expect(help.out).toContain('--repos repos.txt --out envs.jsonl');
    const none = await cli('build');
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/^error: pass a repository path, or --repos FILE with --out FILE/);
    expect((await cli('frobnicate')).code).not.toBe(0);
  });
});
