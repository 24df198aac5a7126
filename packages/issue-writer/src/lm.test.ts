import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJsonlAll } from '@swe-forge/core/jsonl';
import { LmClient } from '@swe-forge/core/lm';
import type { TaskInstance } from '@swe-forge/core/schema';
import { startMockLm, type MockLm } from '@swe-forge/testkit';
import { loadDemonstrations } from './lm/prompt.js';
import { writeProblemStatements } from './write.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const repoDir = join(fixtures, 'repo');
const artifactsDir = join(fixtures, 'artifacts');
const [inst] = await readJsonlAll<TaskInstance>(join(fixtures, 'instances.jsonl'), { schema: 'TaskInstance' });

const LEAKY = 'Averager is broken. Looking at the code, `self.total = self.total - value` should obviously add the value.';
const NAMES_TEST = 'The test test_mean_of_three fails on main.';
const CLEAN = 'Averager.mean() gives a negative number\n\n```python\nfrom calc.ops import Averager\nprint(Averager().add(1).add(2).add(6).mean())\n```\nprints `-3.0`, expected `3`.';

let dir: string;
let lm: MockLm | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iw-lm-'));
});
afterEach(async () => {
  await lm?.close();
  lm = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('lm strategy', () => {
  it('sends patch, failing output and test sources, rejects a leaking draft and accepts the clean retry', async () => {
    lm = await startMockLm([
      { match: /cannot be used/, reply: { content: CLEAN, usage: { prompt_tokens: 900, completion_tokens: 60 } } },
      { reply: { content: LEAKY, usage: { prompt_tokens: 800, completion_tokens: 40 } } },
    ]);
    const client = new LmClient({ baseURL: lm.url, model: 'mock-model', prices: { 'mock-model': { prompt_per_mtok: 1, completion_per_mtok: 2 } } });
    const { instances, stats } = await writeProblemStatements([inst], { strategy: 'lm', out: join(dir, 'lm.jsonl'), lm: client, repoDir, artifactsDir, seed: 1, progress: false });
    expect(instances[0].problem_statement).toBe(CLEAN);
    expect(stats.rejections).toMatchObject({ quoted_patch_line: 1, total: 1 });
    expect(lm.requests).toHaveLength(2);
    const first = lm.requests[0].lastUserMessage;
    expect(first).toContain('+        self.total = self.total - value'); // the patch
    expect(first).toContain('assert -3.0 == 3'); // the failing output
    expect(first).toContain('def test_mean_of_three(self):'); // a failing test's source
    expect(first).toContain('<demonstration>');
    const system = (lm.requests[0].body.messages as { role: string; content: string }[])[0].content;
    expect(system).toMatch(/Never explain the cause or the fix/);
    expect(system).toMatch(/Never mention the test suite, test names/);
    // the retry carries the rejected draft and names the reason
    const retryMsgs = lm.requests[1].body.messages as { role: string; content: string }[];
    expect(retryMsgs.at(-2)).toEqual({ role: 'assistant', content: LEAKY });
    expect(retryMsgs.at(-1)!.content).toContain('quotes the changed code');
    // tokens and cost are recorded per issue
    expect(instances[0].meta.issue_writer).toMatchObject({ strategy: 'lm', attempts: 2, prompt_tokens: 1700, completion_tokens: 100, rejections: 1 });
    expect((instances[0].meta.issue_writer as { cost_usd: number }).cost_usd).toBeCloseTo((1700 * 1 + 100 * 2) / 1e6, 9);
  });

  it('skips an instance whose every draft leaks, counting each rejection', async () => {
    lm = await startMockLm([{ reply: { content: NAMES_TEST } }]);
    const client = new LmClient({ baseURL: lm.url, model: 'mock-model' });
    const { instances, stats } = await writeProblemStatements([inst], { strategy: 'lm', out: join(dir, 'lm.jsonl'), lm: client, repoDir, artifactsDir, maxAttempts: 2, progress: false });
    expect(instances).toEqual([]);
    expect(stats).toMatchObject({ written: 0, skipped: 1, skip_reasons: { leak_rejected: 1 }, rejections: { named_test: 2, total: 2 } });
    expect(lm.requests).toHaveLength(2);
  });

  it('replays from the LM cache with the server stopped, producing the same issue', async () => {
    lm = await startMockLm([{ match: /cannot be used/, reply: { content: CLEAN } }, { reply: { content: LEAKY } }]);
    const cache = join(dir, 'cache');
    const rec = new LmClient({ baseURL: lm.url, model: 'mock-model', cache: { dir: cache, mode: 'record' } });
    const a = await writeProblemStatements([inst], { strategy: 'lm', out: join(dir, 'a.jsonl'), lm: rec, repoDir, artifactsDir, progress: false });
    await lm.close();
    lm = undefined;
    const replay = new LmClient({ baseURL: 'http://127.0.0.1:9/v1', model: 'mock-model', cache: { dir: cache, mode: 'replay' } });
    const b = await writeProblemStatements([inst], { strategy: 'lm', out: join(dir, 'b.jsonl'), lm: replay, repoDir, artifactsDir, progress: false });
    expect(b.instances[0].problem_statement).toBe(a.instances[0].problem_statement);
    expect(b.stats.rejections.total).toBe(1);
    expect(b.stats.lm.cached_calls).toBe(2);
    expect(replay.usage.cache_hits).toBe(2);
  });

  it('uses the demonstrations a user passes in a file', async () => {
    const demos = join(dir, 'demos.json');
    await writeFile(demos, JSON.stringify([{ problem_statement: 'MY-HOUSE-STYLE issue one' }, 'MY-HOUSE-STYLE issue two']));
    lm = await startMockLm([{ reply: { content: CLEAN } }]);
    const client = new LmClient({ baseURL: lm.url, model: 'mock-model' });
    await writeProblemStatements([inst], { strategy: 'lm', out: join(dir, 'lm.jsonl'), lm: client, repoDir, artifactsDir, demonstrations: await loadDemonstrations(demos), progress: false });
    expect(lm.requests[0].lastUserMessage.match(/MY-HOUSE-STYLE/g)).toHaveLength(2);
    await expect(loadDemonstrations(join(dir, 'missing.json'))).rejects.toThrow(/cannot read demonstrations file/);
  });
});

describe('output order', () => {
  it('the file lists instances in input order, whichever finishes first', async () => {
    // the first request to arrive is answered last, so workers finish out of input order
    lm = await startMockLm([
      { delayMs: 400, times: 1, reply: { content: CLEAN } },
      { reply: { content: CLEAN } },
    ]);
    const client = new LmClient({ baseURL: lm.url, model: 'mock-model' });
    const many = ['a', 'b', 'c'].map((s) => ({ ...inst, instance_id: `${inst.instance_id}${s}`, meta: { ...inst.meta, candidate_id: inst.instance_id } }));
    const out = join(dir, 'ordered.jsonl');
    const { instances } = await writeProblemStatements(many, { strategy: 'lm', out, lm: client, repoDir, artifactsDir, concurrency: 3, progress: false });
    expect(instances.map((i) => i.instance_id)).toEqual(many.map((i) => i.instance_id));
    expect((await readJsonlAll<TaskInstance>(out)).map((i) => i.instance_id)).toEqual(many.map((i) => i.instance_id));
  });
});
