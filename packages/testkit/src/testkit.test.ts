import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyDemoRepo, git, makeTempGitRepo, runCliCaptured, startMockLm, tempDir } from './index.js';

async function post(url: string, body: unknown): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(`${url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json(), headers: res.headers };
}
const chat = (content: string, extra: Record<string, unknown> = {}) => ({ model: 'm', messages: [{ role: 'system', content: 'sys' }, { role: 'user', content }], ...extra });

describe('startMockLm', () => {
  it('answers by matcher (string, RegExp, predicate) with usage, and lists models', async () => {
    const lm = await startMockLm(
      [
        { match: 'weather', reply: { content: 'sunny', usage: { prompt_tokens: 7, completion_tokens: 1 } } },
        { match: /^fix (\w+)$/, reply: (r) => ({ content: `fixed ${r.lastUserMessage.slice(4)}` }) },
        { match: (r) => r.body.temperature === 0, reply: { content: 'greedy' } },
      ],
      { models: ['a', 'b'] },
    );
    try {
      expect(lm.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      const w = await post(lm.url, chat('what is the weather'));
      expect(w.status).toBe(200);
      expect(w.json.choices[0].message).toEqual({ role: 'assistant', content: 'sunny' });
      expect(w.json.usage).toEqual({ prompt_tokens: 7, completion_tokens: 1, total_tokens: 8 });
      const f = await post(lm.url, chat('fix bug'));
      expect(f.json.choices[0].message.content).toBe('fixed bug');
      expect(f.json.usage.completion_tokens).toBe(2); // rough default counts
      expect((await post(lm.url, chat('anything', { temperature: 0 }))).json.choices[0].message.content).toBe('greedy');
      const models = (await (await fetch(`${lm.url}/models`)).json()) as { data: { id: string }[] };
      expect(models.data.map((m) => m.id)).toEqual(['a', 'b']);
      expect(lm.requests.map((r) => r.rule)).toEqual([0, 1, 2, -1]);
      expect(lm.requests[0].lastUserMessage).toBe('what is the weather');
    } finally {
      await lm.close();
    }
  });

  it('answers an unmatched request with a 404 naming the message', async () => {
    const lm = await startMockLm([{ match: 'x-only', reply: { content: '' } }]);
    try {
      const r = await post(lm.url, chat('something else'));
      expect(r.status).toBe(404);
      expect(r.json.error.message).toBe('testkit mock LM: no rule matches the last user message "something else"');
    } finally {
      await lm.close();
    }
  });

  it('injects 429 with Retry-After, N failures then success, drops and delays', async () => {
    const lm = await startMockLm([
      { match: 'rate', fail: { status: 429, retryAfter: 3, retryAfterMs: 2500 }, times: 1 },
      { match: 'flaky', fail: { status: 500 }, times: 2 },
      { match: 'drop', drop: true },
      { match: 'slow', delayMs: 150, reply: { content: 'finally' } },
      { reply: { content: 'ok' } },
    ]);
    try {
      const r = await post(lm.url, chat('rate'));
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toBe('3');
      expect(r.headers.get('retry-after-ms')).toBe('2500');
      expect((await post(lm.url, chat('rate'))).status).toBe(200); // times: 1 used up, falls through
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await post(lm.url, chat('flaky'))).status);
      expect(statuses).toEqual([500, 500, 200]);
      await expect(post(lm.url, chat('drop'))).rejects.toThrow(/fetch failed/);
      const t0 = Date.now();
      expect((await post(lm.url, chat('slow'))).json.choices[0].message.content).toBe('finally');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    } finally {
      await lm.close();
    }
  });

  it('generates plausible logprobs when asked', async () => {
    const lm = await startMockLm([{ reply: { content: 'the answer is yes' } }]);
    try {
      const r = await post(lm.url, chat('q', { logprobs: true, top_logprobs: 2 }));
      const tokens = r.json.choices[0].logprobs.content as { token: string; logprob: number; top_logprobs: { token: string; logprob: number }[] }[];
      expect(tokens.map((t) => t.token).join('')).toBe('the answer is yes');
      for (const t of tokens) {
        expect(t.logprob).toBeLessThan(0);
        expect(t.top_logprobs[0]).toEqual({ token: t.token, logprob: t.logprob });
        expect(t.top_logprobs[1].logprob).toBeLessThan(t.logprob);
      }
      expect((await post(lm.url, chat('q'))).json.choices[0].logprobs).toBeNull();
    } finally {
      await lm.close();
    }
  });

  it('close() ends slow responses and frees the port', async () => {
    const lm = await startMockLm([{ delayMs: 60_000, reply: { content: 'never' } }]);
    const pending = post(lm.url, chat('q')).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await lm.close();
    expect(await pending).toBeInstanceOf(Error);
    expect(Date.now() - t0).toBeLessThan(2000);
    await expect(fetch(`${lm.url}/models`)).rejects.toThrow();
  });
});

describe('git helpers', () => {
  const early = tempDir(); // made while collecting: removed after this file's tests
  afterAll(() => {
    // afterAll hooks run in reverse order of registration, so this one runs before the cleanup
    expect(existsSync(early)).toBe(true);
  });

  it('makeTempGitRepo writes nested files in one clean commit', () => {
    const repo = makeTempGitRepo({ 'pkg/__init__.py': '', 'pkg/mod.py': 'def f():\n    return 1\n', 'README.md': '# x\n' });
    expect(readFileSync(join(repo, 'pkg/mod.py'), 'utf8')).toBe('def f():\n    return 1\n');
    expect(git(repo, ['rev-list', '--count', 'HEAD'])).toBe('1');
    expect(git(repo, ['status', '--porcelain'])).toBe('');
    expect(git(repo, ['ls-files']).split('\n')).toEqual(['README.md', 'pkg/__init__.py', 'pkg/mod.py']);
    // fixed identity and dates: the same files give the same commit
    const again = makeTempGitRepo({ 'pkg/__init__.py': '', 'pkg/mod.py': 'def f():\n    return 1\n', 'README.md': '# x\n' });
    expect(git(again, ['rev-parse', 'HEAD'])).toBe(git(repo, ['rev-parse', 'HEAD']));
  });

  it('copyDemoRepo gives an independent copy, optionally committed', () => {
    const plain = copyDemoRepo();
    expect(existsSync(join(plain, 'tests'))).toBe(true);
    expect(existsSync(join(plain, '.git'))).toBe(false);
    writeFileSync(join(plain, 'scratch.txt'), 'mine');
    const repo = copyDemoRepo({ git: true });
    expect(existsSync(join(repo, 'scratch.txt'))).toBe(false);
    expect(git(repo, ['status', '--porcelain'])).toBe('');
    const files = git(repo, ['ls-files']).split('\n');
    expect(files).toContain('pyproject.toml');
    expect(files.some((f) => f.startsWith('tests/test_'))).toBe(true);
    expect(files.some((f) => f.includes('__pycache__') || f.includes('.pytest_cache'))).toBe(false);
  });

  let inTest = '';
  it('tempDir made inside a test is removed when that test finishes', () => {
    inTest = tempDir();
    writeFileSync(join(inTest, 'f'), 'x');
    expect(readdirSync(inTest)).toEqual(['f']);
  });
  it('(previous test cleaned up)', () => {
    expect(inTest).not.toBe('');
    expect(existsSync(inTest)).toBe(false);
  });
});

describe('runCliCaptured', () => {
  it('returns the exit code and everything written to stdout and stderr, in order', async () => {
    const r = await runCliCaptured(async (argv, io) => {
      io.stdout.write(`args ${argv.join(',')}\n`);
      io.stderr.write('warn 1\n');
      await new Promise((res) => setTimeout(res, 5));
      io.stdout.write('done\n');
      io.stderr.write('warn 2\n');
      return 3;
    }, ['a', 'b']);
    expect(r).toEqual({ code: 3, out: 'args a,b\ndone\n', err: 'warn 1\nwarn 2\n' });
  });
});
