import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliCaptured, startMockLm } from '@swe-forge/testkit';
import { runCli } from '../cli.js';
import { findDemoRepo, prepareRepoCopy } from '../demo.js';

const bin = fileURLToPath(new URL('../bin.ts', import.meta.url));
let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const completeLines = (path: string): string[] => {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean);
};

describe('swe-forge pipeline run', () => {
  it('resumes a run killed (SIGKILL) mid-validation without losing or duplicating records', async () => {
    dir = await mkdtemp(join(tmpdir(), 'pipeline-resume-'));
    const repo = join(dir, 'minibank');
    await prepareRepoCopy(findDemoRepo()!, repo);
    const out = join(dir, 'out');
    const cfgPath = join(dir, 'pipeline.yaml');
    await writeFile(
      cfgPath,
      [
        'repo: ./minibank',
        'out: ./out',
        'workers: 1',
        'env: { backend: venv, no_index: true, find_links: [/opt/pypi/files] }',
        'bugs:',
        '  modifiers: [func_pm_op_change, func_pm_remove_assign, func_pm_cmp_flip, func_pm_return_none, func_pm_ctrl_invert_if, func_pm_remove_cond, func_pm_const_swap, func_pm_remove_loop]',
        '  max_bugs_per_modifier: 1',
        'validate: { tests: full, timeout_s: 60 }',
        'combine: { file: { max_combos: 4, limit_per_group: 1 } }',
        'issues: { strategies: [template, tests] }',
        '',
      ].join('\n'),
    );
    const partial = join(out, 'work', 'validation.jsonl.partial');

    // First run: a separate process, killed with SIGKILL once 2 validation records are on disk.
    const child = spawn(process.execPath, ['--conditions=@swe-forge/source', '--import', 'tsx', bin, 'pipeline', 'run', cfgPath, '--json'], {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, CI: '1' },
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    let killedWith: string[] = [];
    const deadline = Date.now() + 240_000;
    let finished = false;
    void exited.then(() => (finished = true));
    while (!finished && Date.now() < deadline) {
      const lines = completeLines(partial);
      if (lines.length >= 2) {
        process.kill(-child.pid!, 'SIGKILL');
        killedWith = lines;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await exited;
    expect(killedWith.length, `the first run ended before it could be interrupted: ${stderr.slice(-800)}`).toBeGreaterThanOrEqual(2);
    const stages = join(out, 'work', 'stages');
    expect(existsSync(join(stages, 'bugs.json'))).toBe(true);
    expect(existsSync(join(stages, 'validate.json'))).toBe(false);
    const candidates = completeLines(join(out, 'work', 'candidates.jsonl')).map((l) => JSON.parse(l).id as string);
    expect(candidates.length).toBeGreaterThan(killedWith.length);

    // Second run: in process, resumes.
    const { code, out: json, err } = await runCliCaptured(runCli, ['pipeline', 'run', cfgPath, '--json']);
    expect(err).toBe('');
    expect(code).toBe(0);
    const summary = JSON.parse(json) as { stages: { stage: string; status: string; records: number }[]; instances: number };
    const status = Object.fromEntries(summary.stages.map((s) => [s.stage, s.status]));
    expect(status).toMatchObject({ env: 'resumed', bugs: 'resumed', validate: 'done', gather: 'done' });

    // Every candidate validated exactly once; records written before the kill kept as they were.
    const final = completeLines(join(out, 'work', 'validation.jsonl'));
    const ids = final.map((l) => JSON.parse(l).candidate_id as string);
    const combined = completeLines(join(out, 'work', 'combine.candidates.jsonl')).map((l) => JSON.parse(l).id as string);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set([...candidates, ...combined]));
    for (const line of killedWith) expect(final).toContain(line);

    // The dataset: one row per valid instance, no duplicates, every issue strategy ran.
    const rows = completeLines(join(out, 'instances.jsonl')).map((l) => JSON.parse(l) as { instance_id: string; problem_statement: string; FAIL_TO_PASS: string[] });
    const valid = final.map((l) => JSON.parse(l)).filter((r) => r.status === 'valid').length;
    expect(rows.length).toBe(valid);
    expect(rows.length).toBe(summary.instances);
    expect(new Set(rows.map((r) => r.instance_id)).size).toBe(rows.length);
    for (const r of rows) expect(r.problem_statement).not.toBe('');
    expect(await readFile(join(out, 'report.html'), 'utf8')).toContain('Wall time per stage');

    // A third run changes nothing: every stage resumes.
    const second = await runCliCaptured(runCli, ['pipeline', 'run', cfgPath, '--json']);
    expect(second.code).toBe(0);
    const s2 = JSON.parse(second.out) as { stages: { stage: string; status: string }[] };
    expect(s2.stages.filter((s) => s.stage !== 'dataset').every((s) => s.status === 'resumed')).toBe(true);
    expect(completeLines(join(out, 'work', 'validation.jsonl'))).toEqual(final);

    // Adding the lm issue strategy later runs only that stage; its text becomes problem_statement.
    const lm = await startMockLm([{ reply: { content: 'Balances come out wrong after a few operations.\n\nI expected the totals to match the statement.', usage: { prompt_tokens: 1000, completion_tokens: 20 } } }]);
    try {
      const cfg = (await readFile(cfgPath, 'utf8')).replace('issues: { strategies: [template, tests] }', `issues: { strategies: [template, tests, lm], lm: { url: "${lm.url}", model: mock-model } }`);
      await writeFile(cfgPath, cfg);
      const third = await runCliCaptured(runCli, ['pipeline', 'run', cfgPath, '--json']);
      expect(third.code).toBe(0);
      const s3 = JSON.parse(third.out) as { stages: { stage: string; status: string }[] };
      expect(s3.stages.filter((s) => s.status === 'done').map((s) => s.stage)).toEqual(['issues:lm', 'dataset']);
      expect(lm.requests.length).toBe(rows.length);
      const lmRows = completeLines(join(out, 'instances.jsonl')).map((l) => JSON.parse(l) as { problem_statement: string; meta: { issue_strategy: string; issue_prompt_tokens: number; problem_statements: Record<string, string> } });
      for (const r of lmRows) {
        expect(r.meta.issue_strategy).toBe('lm');
        expect(r.problem_statement).toMatch(/^Balances come out wrong/);
        expect(r.meta.issue_prompt_tokens).toBe(1000);
        expect(r.meta.problem_statements.template).not.toBe('');
      }
    } finally {
      await lm.close();
    }
  }, 420_000);
});
