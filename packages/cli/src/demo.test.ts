import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '@swe-forge/core/proc';
import { passAtK } from '@swe-forge/verifier';
import { DEMO_ROLLOUTS, runDemo, type DemoResult } from './demo.js';

// The whole demo (~2–3 min on 2 cores): instances, trajectories, SFT dataset, training plan,
// best of K, the report checked in Chromium, and a rerun that does nothing. It proves the
// Done-when items of the demo, so it stays in the normal suite.
let out: string;
let result: DemoResult;
let wall = 0;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'demo-'));
  const t0 = Date.now();
  result = await runDemo({ out, progress: false });
  wall = (Date.now() - t0) / 1000;
}, 600_000);
afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

function pythonWithDatasets(): string | null {
  for (const py of [process.env.SWE_FORGE_HF_PYTHON, 'python3'].filter(Boolean) as string[]) {
    try {
      execFileSync(py, ['-c', 'import datasets'], { stdio: 'ignore' });
      return py;
    } catch {
      // next
    }
  }
  return null;
}

const jsonl = <T>(path: string): T[] => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
interface Traj {
  instance_id: string;
  model: string;
  stats: { tokens: number };
  eval?: { resolved: boolean };
}
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

describe('swe-forge demo', () => {
  it('turns the embedded repository into a dataset with every modifier family and combine, in a few minutes', async () => {
    // the budget is 6 minutes for npm ci + build + demo on 2 cores; the demo alone must stay well inside it
    expect(wall).toBeLessThan(360);
    expect(result.familiesMissing).toEqual([]);
    expect(result.families).toEqual(expect.arrayContaining(['class', 'control', 'extra', 'operator', 'remove']));
    expect(result.combined).toBeGreaterThan(0);
    const rows = (await readFile(result.dataset, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.length).toBe(result.instances);
    const keys = JSON.stringify(Object.keys(rows[0].meta));
    for (const row of rows) {
      expect(Array.isArray(row.FAIL_TO_PASS) && row.FAIL_TO_PASS.length > 0).toBe(true);
      expect(JSON.stringify(Object.keys(row.meta))).toBe(keys);
      expect(row.meta.problem_statements.template).not.toBe('');
    }
    const py = pythonWithDatasets();
    if (!py) console.log('skipping the HF datasets load check: no python with `datasets` (set SWE_FORGE_HF_PYTHON to one, e.g. a venv with: pip install --no-index --find-links /opt/pypi/files datasets)');
    else {
      const n = execFileSync(py, ['-c', `from datasets import load_dataset; print(len(load_dataset('json', data_files=${JSON.stringify(result.dataset)}, split='train')))`], { encoding: 'utf8' });
      expect(Number(n.trim().split('\n').at(-1))).toBe(rows.length);
    }
  });

  it('leaves trajectories of the scripted teacher, an SFT dataset with its exports, a training plan and best-of-4 figures', () => {
    for (const [name, d] of Object.entries(DEMO_ROLLOUTS)) {
      const ts = jsonl<Traj>(join(out, 'rollouts', name, 'trajectories.jsonl'));
      expect(ts).toHaveLength(d.limit * d.attempts);
      expect(new Set(ts.map((t) => t.model))).toEqual(new Set([`scripted:${name}`]));
      expect(existsSync(join(out, 'rollouts', name, 'preds.json'))).toBe(true);
    }
    expect(result.tokenizer).not.toBeNull();
    const manifest = JSON.parse(readFileSync(join(out, 'sft', 'dataset.json'), 'utf8')) as { format: string; records: number; exports: Record<string, unknown> };
    expect(manifest.format).toBe('bash');
    expect(manifest.records).toBeGreaterThan(0);
    expect(Object.keys(manifest.exports).sort()).toEqual(['axolotl', 'hf', 'llamafactory', 'torchtune', 'trl']);
    expect(existsSync(join(out, 'train', 'plan.yaml'))).toBe(true);
    expect(existsSync(join(out, 'train', 'dry-run', 'slurm.sbatch'))).toBe(true);
    const sel = JSON.parse(readFileSync(join(out, 'verify', 'summary.json'), 'utf8')) as { pass_at_k: Record<string, number>; best_at_k: Record<string, Record<string, number>> };
    expect(sel.best_at_k.execution!['4']!).toBeGreaterThan(sel.pass_at_k['1']!);
    expect(Object.keys(sel.best_at_k).sort()).toEqual(['execution', 'majority', 'random']);
  });

  it('the report, opened in headless Chromium, has each new section with figures equal to a recomputation from the run files', async (ctx) => {
    const chromium = ['chromium', 'chromium-browser', 'google-chrome'].map((c) => `/usr/bin/${c}`).find((p) => existsSync(p));
    if (!chromium) {
      console.log('skipping the Chromium report check: no chromium binary in /usr/bin (apt-get install -y chromium)');
      return ctx.skip();
    }
    const r = await run([chromium, '--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', `file://${result.report.html}`], { timeoutMs: 90_000 });
    const dom = r.stdout;
    expect(dom, r.stderr.slice(-500)).toContain('</html>');
    const section = (id: string): string => {
      const start = dom.indexOf(`<section id="${id}">`);
      expect(start, `section ${id}`).toBeGreaterThan(-1);
      const ends = ['<section id=', '<h2>Wall time per stage</h2>'].map((m) => dom.indexOf(m, start + 10)).filter((i) => i > 0);
      return dom.slice(start, Math.min(...ends));
    };
    const figure = (html: string, name: string): string => {
      const m = new RegExp(`data-figure="${name}"[^>]*>([^<]*)<`).exec(html);
      expect(m, `figure ${name}`).not.toBeNull();
      return m![1]!.trim();
    };

    // trajectories: resolved rate and token totals per run, from each run's trajectories.jsonl
    const traj = section('trajectories');
    expect(figure(traj, 'teacher')).toMatch(/scripted teacher .*not a model.*rollout\.lm/);
    const all: Traj[] = [];
    for (const name of Object.keys(DEMO_ROLLOUTS)) {
      const ts = jsonl<Traj>(join(out, 'rollouts', name, 'trajectories.jsonl'));
      all.push(...ts);
      const row = traj.slice(traj.indexOf(`data-run="${name}"`));
      expect(figure(row, 'resolved_rate')).toBe(pct(ts.filter((t) => t.eval?.resolved).length / ts.filter((t) => t.eval).length));
      expect(figure(row, 'tokens_total')).toBe(String(ts.reduce((a, t) => a + t.stats.tokens, 0)));
    }
    const allRow = traj.slice(traj.indexOf('data-run="all"'));
    expect(figure(allRow, 'resolved')).toBe(String(all.filter((t) => t.eval?.resolved).length));
    expect(figure(allRow, 'tokens_total')).toBe(String(all.reduce((a, t) => a + t.stats.tokens, 0)));

    // SFT dataset: records and token totals from records.jsonl, every check verdict from checks.json
    const sft = section('sft');
    const records = jsonl<{ meta: { tokens: number; trained_tokens: number } }>(join(out, 'sft', 'records.jsonl'));
    expect(figure(sft, 'records')).toBe(String(records.length));
    expect(figure(sft, 'tokens_total')).toBe(String(records.reduce((a, x) => a + x.meta.tokens, 0)));
    expect(figure(sft, 'trained_tokens')).toBe(String(records.reduce((a, x) => a + x.meta.trained_tokens, 0)));
    const checks = (JSON.parse(readFileSync(join(out, 'sft', 'checks.json'), 'utf8')) as { checks: { id: string; verdict: string; accepted: boolean }[] }).checks;
    expect(checks.map((c) => c.id)).toEqual(['pad-token', 'special-tokens', 'template-fidelity', 'end-of-turn-labels', 'rewrites-turns', 'generation-markers', 'generation-prompt', 'context-budget']);
    for (const c of checks) {
      const row = sft.slice(sft.indexOf(`data-check="${c.id}"`));
      expect(row, c.id).toMatch(new RegExp(`^data-check="${c.id}"[^]*?data-verdict="${c.verdict}"`));
    }
    expect(checks.find((c) => c.id === 'rewrites-turns')).toMatchObject({ verdict: 'fail', accepted: true });
    expect(sft).toMatch(/data-check="rewrites-turns"[^]*?FAIL \(accepted\)[^]*?The dataset is still written correctly/);

    // training plan: trainer, memory estimate from preflight.json, the launch command, no weights read
    const train = section('train');
    const pre = JSON.parse(readFileSync(join(out, 'train', 'preflight.json'), 'utf8')) as { memory: { total_gb: number } };
    expect(figure(train, 'trainer')).toBe('trl');
    expect(figure(train, 'memory_gb')).toBe(`${pre.memory.total_gb.toFixed(1)} GB`);
    expect(figure(train, 'launch')).toBe(`swe-forge train launch ${join(out, 'train', 'plan.yaml')} --slurm`);
    expect(figure(train, 'weights')).toMatch(/^No weights were read/);

    // best of K: pass@k from the mixed run's per-attempt outcomes, and the curves
    const verify = section('verify');
    const mixed = jsonl<Traj>(join(out, 'rollouts', 'mixed', 'trajectories.jsonl'));
    const byInstance = new Map<string, boolean[]>();
    for (const t of mixed) byInstance.set(t.instance_id, [...(byInstance.get(t.instance_id) ?? []), t.eval?.resolved === true]);
    for (const k of [1, 2, 4]) {
      const m = new RegExp(`data-k="${k}" data-pass="([^"]+)"`).exec(verify);
      expect(m, `pass@${k}`).not.toBeNull();
      const expected = [...byInstance.values()].reduce((a, o) => a + passAtK(o.length, o.filter(Boolean).length, k), 0) / byInstance.size;
      expect(Number(m![1])).toBeCloseTo(expected, 12);
    }
    expect(verify).toMatch(/<svg [^>]*aria-label="pass@k and best@k"/);
  }, 120_000);

  it('a second run resumes and does nothing new: every stage resumed, no sandbox, outputs untouched', async () => {
    const files = ['rollouts/oracle/trajectories.jsonl', 'rollouts/noisy/trajectories.jsonl', 'rollouts/mixed/trajectories.jsonl', 'sft/records.jsonl', 'train/preflight.json', 'verify/summary.json', 'instances.jsonl', 'work/validation.jsonl'].map((f) => join(out, f));
    const before = files.map((f) => ({ f, text: readFileSync(f, 'utf8'), mtime: statSync(f).mtimeMs }));
    const again = await runDemo({ out, progress: false });
    expect(again.stages.filter((s) => s.status !== 'resumed')).toEqual([]);
    expect(again.stages.map((s) => s.stage)).toEqual(expect.arrayContaining(['env', 'validate', 'rollout:oracle', 'rollout:noisy', 'rollout:mixed', 'sft', 'train', 'verify']));
    expect(again.sandboxEnvironmentsOpened).toBe(0);
    for (const b of before) {
      expect(readFileSync(b.f, 'utf8'), b.f).toBe(b.text);
      expect(statSync(b.f).mtimeMs, b.f).toBe(b.mtime);
    }
    expect(again.data.recipe?.verify?.pass_at_k).toEqual(result.data.recipe?.verify?.pass_at_k);
  }, 120_000);
});
