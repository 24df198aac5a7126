/**
 * The Python side of the warm runner: the swap planner's rules (every decline kind, and the
 * swaps that must work: decorated functions, closures made at import, methods, properties,
 * line shifts), run with pytest from the python tests next to this package's test helpers.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from '@swe-forge/core/proc';

const TESTS = fileURLToPath(new URL('../../test/python/test_warm_swap.py', import.meta.url));

describe('warm swap planner (python)', () => {
  it('passes its pytest suite: every decline kind and the swaps it makes', async () => {
    const r = await run(['python3', '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-p', 'no:randomly', TESTS], { timeoutMs: 120_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    expect(r.stdout + r.stderr).toMatch(/\d+ passed/);
    expect(r.stdout).not.toMatch(/failed|error/i);
    expect(r.exitCode).toBe(0);
  }, 130_000);
});
