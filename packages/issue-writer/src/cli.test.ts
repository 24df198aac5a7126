import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJsonlAll } from '@swe-forge/core/jsonl';
import { runCliCaptured } from '@swe-forge/testkit';
import { runCli } from './cli.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

const cli = (argv: string[]): Promise<{ code: number; out: string; err: string }> => runCliCaptured(runCli, argv);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iw-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('swe-forge issues', () => {
  it('help lists the strategies and examples', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/template .*Table 14/);
    expect(r.out).toContain('$ swe-forge issues write');
    expect((await cli(['write', '--help'])).out).toContain('--strategy <name>');
  });

  it('write --json prints the statistics and writes the instances', async () => {
    const out = join(dir, 'o.jsonl');
    const r = await cli(['write', '--instances', join(fixtures, 'instances.jsonl'), '--out', out, '--strategy', 'tests', '--repo', join(fixtures, 'repo'), '--artifacts', join(fixtures, 'artifacts'), '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ strategy: 'tests', written: 1, skipped: 2 });
    expect(await readJsonlAll(out)).toHaveLength(1);
  });

  it('errors are one line saying what failed and what to do', async () => {
    const r = await cli(['write', '--instances', join(dir, 'nope.jsonl'), '--out', join(dir, 'o.jsonl')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: cannot read instances .*nope\.jsonl: .*\n$/);
    const lm = await cli(['write', '--instances', join(fixtures, 'instances.jsonl'), '--out', join(dir, 'o.jsonl'), '--strategy', 'lm']);
    expect(lm.err).toBe('error: --strategy lm needs an LM server: pass --lm-url http://HOST:PORT/v1 (and --model)\n');
    const bad = await cli(['write', '--strategy', 'nonsense']);
    expect(bad.code).not.toBe(0);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
    expect(bad.err).toMatch(/^error: /);
  });

  it('templates --json lists the nine templates summing to 1', async () => {
    const rows = JSON.parse((await cli(['templates', '--json'])).out) as { weight: number }[];
    expect(rows).toHaveLength(9);
    expect(rows.reduce((a, r) => a + r.weight, 0)).toBeCloseTo(1);
  });
});
