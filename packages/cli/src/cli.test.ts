import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MODIFIERS } from '@swe-forge/procedural-bugs';
import { hasSpecificDescription } from '@swe-forge/issue-writer';
import { runCli } from './cli.js';
import { GROUPS, loadStage, StageUnavailableError } from './groups.js';

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await runCli(argv, { stdout, stderr });
  return { code, out, err };
}

describe('swe-forge', () => {
  it('--help lists every group with a one-line description and an example', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const g of GROUPS) {
      expect(r.out).toMatch(new RegExp(`^  ${g.name}\\s+\\S`, 'm'));
      expect(r.out).toContain(`$ ${g.example}`);
    }
    expect(r.out).toContain('$ swe-forge demo');
    expect(r.out).toContain('$ swe-forge pipeline run examples/pipeline.yaml');
  });

  it('<group> --help is the stage package help (issues → issue-writer, validate → validator)', async () => {
    const issues = await cli(['issues', '--help']);
    expect(issues.code).toBe(0);
    expect(issues.out).toContain('$ swe-forge issues write');
    const viaHelp = await cli(['help', 'issues']);
    expect(viaHelp.out).toBe(issues.out);
    const validate = await cli(['validate', '--help']);
    expect(validate.code).toBe(0);
    expect(validate.out).toMatch(/--candidates/);
  });

  it('every group delegates --help to its package (exit 0, usage and options)', async () => {
    for (const g of GROUPS) {
      const r = await cli([g.name, '--help']);
      expect(r.code, `${g.name}: ${r.err}`).toBe(0);
      expect(r.out, g.name).toMatch(/^Usage: /);
      expect(r.out, g.name).toContain('--help');
    }
    expect((await cli(['combine', '--help'])).out).toMatch(/^Usage: swe-forge combine \[options\] <repo>/);
    expect((await cli(['gather', '--help'])).out).toMatch(/--results <file>/);
  });

  it('dispatches a group command with its arguments', async () => {
    const r = await cli(['issues', 'templates', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toHaveLength(9);
  });

  it('demo and pipeline run teach with examples', async () => {
    expect((await cli(['demo', '--help'])).out).toMatch(/\$ swe-forge demo --lm http/);
    expect((await cli(['pipeline', 'run', '--help'])).out).toMatch(/Config keys: repo, name, out/);
  });

  it('a missing or unfinished stage package is a one-line error naming the stage', async () => {
    await expect(loadStage('bugs', '@swe-forge/does-not-exist', ['x'])).rejects.toThrow(StageUnavailableError);
    await expect(loadStage('bugs', '@swe-forge/does-not-exist', ['x'])).rejects.toThrow(/^stage bugs is unavailable: @swe-forge\/does-not-exist could not be loaded/);
    await expect(loadStage('combine', '@swe-forge/core', ['combineBugs'])).rejects.toThrow(/stage combine is unavailable: @swe-forge\/core does not export combineBugs yet/);
  });

  it('unknown commands and bad configs fail with one error line', async () => {
    const r = await cli(['frobnicate']);
    expect(r.code).toBe(1);
    expect(r.err).toBe("error: unknown command 'frobnicate': see swe-forge --help\n");
    const bad = await cli(['pipeline', 'run', '/nonexistent/config.yaml']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^error: \/nonexistent\/config\.yaml: cannot read the config \(ENOENT\); check the path\n$/);
  });
});

describe('issue-writer bug descriptions', () => {
  it('cover every procedural modifier procedural-bugs ships', () => {
    const missing = MODIFIERS.map((m) => m.name).filter((n) => !hasSpecificDescription(`procedural/${n}`));
    expect(missing).toEqual([]);
  });
});
