/** What `swe-forge demo` and `swe-forge pipeline run` print about the recipe stages. */
import { pct, teacherNote, type RecipeFigures } from './report/sections/index.js';

/** A few lines per recipe stage that ran (nothing when none did). */
export function recipeSummaryLines(f: RecipeFigures | undefined): string[] {
  if (!f) return [];
  const lines: string[] = [];
  const t = f.trajectories;
  if (t) {
    lines.push(`  trajectories: ${t.runs.map((r) => `${r.attempts} ${r.name}`).join(' + ')} attempts, resolved ${t.all.resolved}/${t.all.evaluated} (${pct(t.all.resolved_rate)}), ${t.all.tokens.total} tokens`);
    lines.push(`    ${teacherNote(t)}`);
  }
  const s = f.sft;
  if (s) {
    lines.push(`  SFT dataset: ${s.records} records, ${s.tokens.total} tokens (${pct(s.trained_share)} trained), format ${s.format}, tokenizer ${s.tokenizer} -> ${s.dir}`);
    lines.push(`    checks: ${s.checks.map((c) => `${c.id} ${c.verdict.toUpperCase()}${c.accepted ? ' (accepted)' : ''}`).join(', ')}`);
    for (const c of s.checks.filter((x) => x.accepted)) lines.push(`    ${c.id}: ${c.note}`);
  }
  const tr = f.train;
  if (tr) {
    const m = tr.memory;
    lines.push(`  training plan: ${tr.trainer}, ${tr.method} fine-tune${tr.params !== null ? ` of a ${(tr.params / 1e9).toFixed(1)}B model` : ''}${m ? `, ~${m.total_gb.toFixed(1)} GB per GPU on ${tr.hardware.nodes}x${tr.hardware.gpus_per_node}x${tr.hardware.gpu_memory_gb} GB (${m.fits ? 'fits' : 'does not fit'})` : ''}${tr.weights_read ? '' : tr.params !== null ? ', no weights read' : ', no config.json: no memory estimate'} -> ${tr.plan_file}`);
    if (tr.launch) lines.push(`    launch rendered with --dry-run, not started: ${tr.launch.cli}`);
  }
  const v = f.verify;
  if (v) {
    const k = v.ks[v.ks.length - 1]!;
    lines.push(`  best of ${k} (${v.run}): pass@1 ${pct(v.pass_at_k['1'] ?? 0)}, pass@${k} ${pct(v.pass_at_k[k] ?? 0)}; ${Object.entries(v.best_at_k).map(([name, byK]) => `best@${k} ${name} ${pct(byK[k] ?? 0)}`).join(', ')}`);
  }
  return lines;
}

/** The recipe figures a `--json` summary carries. */
export function recipeSummaryJson(f: RecipeFigures | undefined): Record<string, unknown> | undefined {
  if (!f) return undefined;
  return {
    trajectories: f.trajectories && { scripted: f.trajectories.scripted, runs: f.trajectories.runs.map(({ name, models, attempts, resolved, evaluated, resolved_rate, tokens }) => ({ name, models, attempts, resolved, evaluated, resolved_rate, tokens: tokens.total })) },
    sft: f.sft && { dir: f.sft.dir, records: f.sft.records, tokens: f.sft.tokens.total, trained_tokens: f.sft.trained_tokens, checks: f.sft.checks.map(({ id, verdict, accepted }) => ({ id, verdict, accepted })) },
    train: f.train && { plan: f.train.plan_file, trainer: f.train.trainer, memory_gb: f.train.memory?.total_gb ?? null, fits: f.train.memory?.fits ?? null, weights_read: f.train.weights_read, launch: f.train.launch?.cli ?? null },
    verify: f.verify && { run: f.verify.run, pass_at_k: f.verify.pass_at_k, best_at_k: f.verify.best_at_k },
  };
}
