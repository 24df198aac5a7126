import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
    stderr: { write: (s: string) => ((err += s), true) } as unknown as NodeJS.WritableStream,
  });
  return { code, out, err };
}

describe('validator CLI', () => {
  it('teaches with --help on every level', async () => {
    for (const argv of [['--help'], ['validate', '--help'], ['gather', '--help'], ['eval', '--help']]) {
      const r = await cli(argv);
      expect(r.code).toBe(0);
      expect(r.out).toContain('Examples:');
    }
    expect((await cli(['validate', '--help'])).out).toContain('--tests <mode>');
  });

  it('fails with one error line that says what to do', async () => {
    const missing = await cli(['validate', '/tmp']);
    expect(missing.code).not.toBe(0);
    expect(missing.err.trim().split('\n')).toHaveLength(1);
    expect(missing.err).toMatch(/^error: .*--candidates.*: see --help/);
    const badMode = await cli(['validate', '/tmp', '--candidates', 'a', '--out', 'b', '--tests', 'some']);
    expect(badMode.err).toMatch(/^error: .*full, files, coverage/);
    const noRepo = await cli(['gather', '--results', '/nonexistent/results.jsonl', '--out', '/tmp/x.jsonl']);
    expect(noRepo.code).toBe(1);
    expect(noRepo.err).toMatch(/^error: .*nonexistent/);
  });
});
