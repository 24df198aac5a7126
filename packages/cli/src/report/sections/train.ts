/** The report's training-plan section: trainer, model, memory estimate, preflight checks, the launch command. */
import { esc } from '../svg.js';
import { badge, type Section } from './common.js';

/** One preflight result. */
export interface TrainCheckRow {
  id: string;
  status: string;
  message: string;
  fix?: string;
  accepted: boolean;
}

/** The training-plan section. */
export interface TrainFigures {
  plan_file: string;
  name: string;
  trainer: string;
  method: string;
  model: string;
  /** Parameters from config.json (null without one). */
  params: number | null;
  context_length: number;
  hardware: { nodes: number; gpus_per_node: number; gpu_memory_gb: number };
  parallel: Record<string, unknown>;
  /** Whether any weights file was read (the estimate and most checks need config.json and the tokenizer only). */
  weights_read: boolean;
  memory: { total_gb: number; usable_gb: number; fits: boolean; parts: Record<string, number>; cpu_gb_per_node: number; ladder?: { step: string; total_gb: number }[] } | null;
  checks: TrainCheckRow[];
  /** Trainer configs rendered by the plan step. */
  configs: { trainer: string; ok: boolean; files: string[]; notes: string[]; error?: string }[];
  /** The launch that was rendered with --dry-run (null with launch: none). */
  launch: { mode: string; command: string[]; cli: string; script: string; files: string[] } | null;
}

/** What the plan's figures were computed from. */
export function weightsNote(f: Pick<TrainFigures, 'weights_read' | 'params'>): string {
  if (f.weights_read) return 'Model weights were read (special-token embedding rows inspected).';
  if (f.params !== null) return 'No weights were read: the memory estimate and the checks used config.json and the tokenizer files only (the embedding-row check is skipped without *.safetensors).';
  return 'No weights and no config.json were read (a tokenizer-only model folder): no memory estimate; point train.model at a model folder with config.json for one.';
}

const gb = (x: number): string => `${x.toFixed(1)} GB`;
const billions = (n: number): string => `${(n / 1e9).toFixed(1)}B`;

/** The section as HTML. */
export function trainHtml(f: TrainFigures): string {
  const m = f.memory;
  const parts = m ? Object.entries(m.parts).map(([k, v]) => `${esc(k)} ${v.toFixed(1)}`).join(', ') : '';
  const checks = f.checks.map((c) => `<tr data-check="${esc(c.id)}"><td>${esc(c.id)}</td><td>${badge(c.status, c.accepted)}</td><td>${esc(c.message)}${c.status !== 'pass' && c.fix ? `<br><span class="fix">fix: ${esc(c.fix)}</span>` : ''}</td></tr>`).join('\n');
  const configs = f.configs.map((c) => `<tr><td>${esc(c.trainer)}</td><td>${c.error ? `not rendered: ${esc(c.error)}` : c.ok ? 'every field known to the trainer' : 'FIELD PROBLEMS'}</td><td>${esc(c.files.join(', '))}</td></tr>`).join('');
  return `<section id="train">
<h2>Training plan</h2>
<p class="sub">Plan <code>${esc(f.plan_file)}</code> · model <code>${esc(f.model)}</code>${f.params !== null ? ` (${billions(f.params)} parameters)` : ''}</p>
<div class="cards">
<div class="card"><span>trainer</span><b data-figure="trainer">${esc(f.trainer)}</b></div>
<div class="card"><span>method</span><b>${esc(f.method)}</b></div>
<div class="card"><span>context</span><b>${f.context_length}</b></div>
<div class="card"><span>GPUs</span><b>${f.hardware.nodes} × ${f.hardware.gpus_per_node} × ${f.hardware.gpu_memory_gb} GB</b></div>
<div class="card"><span>memory per GPU</span><b data-figure="memory_gb">${m ? gb(m.total_gb) : '–'}</b></div>
</div>
${m ? `<p data-figure="memory">Memory estimate per GPU: <b>${gb(m.total_gb)}</b> of ${gb(m.usable_gb)} usable — ${m.fits ? 'fits' : '<b>does not fit</b>'} (${parts} GB)${m.cpu_gb_per_node ? `; ${gb(m.cpu_gb_per_node)} per node offloaded to CPU memory` : ''}. Settings: ${esc(Object.entries(f.parallel).map(([k, v]) => `${k}: ${String(v)}`).join(', '))}.${m.ladder ? ` Adding savers in turn: ${esc(m.ladder.map((l) => `${l.step} ${l.total_gb}`).join(' → '))} GB.` : ''}</p>` : ''}
<p class="note" data-figure="weights">${esc(weightsNote(f))}</p>
${f.launch ? `<p>Launch (rendered with --dry-run, not run): <code data-figure="launch">${esc(f.launch.cli)}</code> runs <code>${esc(f.launch.command.join(' '))}</code>; script <code>${esc(f.launch.script)}</code>.</p>` : '<p>Launch: not rendered (train.launch: none).</p>'}
<h3>Preflight</h3>
<table class="checks"><thead><tr><th>check</th><th>status</th><th>finding</th></tr></thead><tbody>
${checks}
</tbody></table>
<details><summary>trainer configs</summary><table><thead><tr><th>trainer</th><th>fields</th><th>files</th></tr></thead><tbody>${configs}</tbody></table></details>
</section>`;
}

/** The section as Markdown. */
export function trainMarkdown(f: TrainFigures): string {
  const m = f.memory;
  return [
    '## Training plan',
    '',
    `Plan \`${f.plan_file}\`: ${f.trainer}, ${f.method} fine-tune of \`${f.model}\`${f.params !== null ? ` (${billions(f.params)})` : ''} at ${f.context_length} tokens on ${f.hardware.nodes} × ${f.hardware.gpus_per_node} × ${f.hardware.gpu_memory_gb} GB.`,
    '',
    m ? `Memory per GPU: **${gb(m.total_gb)}** of ${gb(m.usable_gb)} usable (${m.fits ? 'fits' : 'does not fit'}).` : 'No memory estimate.',
    weightsNote(f),
    '',
    f.launch ? `Launch (dry run): \`${f.launch.cli}\` → \`${f.launch.command.join(' ')}\`` : 'Launch: not rendered.',
    '',
    '| check | status | finding |',
    '|---|---|---|',
    ...f.checks.map((c) => `| ${c.id} | ${c.status.toUpperCase()}${c.accepted ? ' (accepted)' : ''} | ${c.message.replace(/\|/g, '\\|')} |`),
    '',
  ].join('\n');
}

/** The training-plan section. */
export const trainSection = (f: TrainFigures): Section => ({ html: trainHtml(f), md: trainMarkdown(f) });
