/** The report's trajectories section: per rollout run, resolved rate, steps and tokens, exit statuses, error steps. */
import { esc } from '../svg.js';
import { fmtNum, pct, type Section } from './common.js';

/** What the section reads from a trajectory (structurally a core `Trajectory`). */
export interface TrajectoryLike {
  instance_id: string;
  attempt: number;
  model: string;
  exit_status: string;
  stats: { steps: number; tokens: number; cost: number };
  eval?: { resolved: boolean; semi_resolved?: boolean } | null;
  steps: { format_error?: boolean; tool_error?: boolean; timed_out?: boolean; exit_code?: number | null }[];
}

/** Total, mean, median and max of a per-trajectory figure. */
export interface Spread {
  total: number;
  mean: number;
  median: number;
  max: number;
}

/** Figures of one rollout run (or of all runs together). */
export interface TrajectoryRunFigures {
  name: string;
  /** Models (teachers) of the run's trajectories. */
  models: string[];
  instances: number;
  attempts: number;
  evaluated: number;
  resolved: number;
  semi_resolved: number;
  /** resolved / evaluated (0 when none evaluated). */
  resolved_rate: number;
  exit_statuses: Record<string, number>;
  /** Steps (model calls) per trajectory. */
  steps: Spread;
  /** Tokens per trajectory (prompt + completion over all model calls). */
  tokens: Spread;
  /** Steps whose action failed, by kind. */
  error_steps: { format_error: number; tool_error: number; timed_out: number; nonzero_exit: number };
  cost_usd: number;
}

/** The trajectories section. */
export interface TrajectoryFigures {
  runs: TrajectoryRunFigures[];
  all: TrajectoryRunFigures;
  /** True when every run used rollout's scripted teacher. */
  scripted: boolean;
  /** Turns the SFT build masked (kept as context, not trained), by reason; null without an sft stage. */
  masked_turns: Record<string, number> | null;
}

function spread(values: number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  const total = s.reduce((a, b) => a + b, 0);
  const m = s.length >> 1;
  return { total, mean: s.length ? total / s.length : 0, median: s.length ? (s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2) : 0, max: s.length ? s[s.length - 1]! : 0 };
}

/** Figures of a set of trajectories. */
export function trajectoryRunFigures(name: string, ts: readonly TrajectoryLike[]): TrajectoryRunFigures {
  const exits: Record<string, number> = {};
  const errors = { format_error: 0, tool_error: 0, timed_out: 0, nonzero_exit: 0 };
  let evaluated = 0;
  let resolved = 0;
  let semi = 0;
  for (const t of ts) {
    exits[t.exit_status] = (exits[t.exit_status] ?? 0) + 1;
    if (t.eval) evaluated++;
    if (t.eval?.resolved) resolved++;
    if (t.eval?.semi_resolved) semi++;
    for (const s of t.steps) {
      if (s.format_error) errors.format_error++;
      if (s.tool_error) errors.tool_error++;
      if (s.timed_out) errors.timed_out++;
      else if (typeof s.exit_code === 'number' && s.exit_code !== 0) errors.nonzero_exit++;
    }
  }
  return {
    name,
    models: [...new Set(ts.map((t) => t.model))].sort(),
    instances: new Set(ts.map((t) => t.instance_id)).size,
    attempts: ts.length,
    evaluated,
    resolved,
    semi_resolved: semi,
    resolved_rate: evaluated ? resolved / evaluated : 0,
    exit_statuses: exits,
    steps: spread(ts.map((t) => t.stats.steps)),
    tokens: spread(ts.map((t) => t.stats.tokens)),
    error_steps: errors,
    cost_usd: ts.reduce((a, t) => a + t.stats.cost, 0),
  };
}

/** The section's figures from each run's trajectories. */
export function trajectoryFigures(runs: { name: string; trajectories: readonly TrajectoryLike[] }[], maskedTurns: Record<string, number> | null): TrajectoryFigures {
  const all = trajectoryRunFigures('all', runs.flatMap((r) => r.trajectories));
  return { runs: runs.map((r) => trajectoryRunFigures(r.name, r.trajectories)), all, scripted: all.models.length > 0 && all.models.every((m) => m.startsWith('scripted:')), masked_turns: maskedTurns };
}

/** The plain statement of where the trajectories came from, and how to use a real teacher. */
export function teacherNote(f: TrajectoryFigures): string {
  const scripted = f.all.models.filter((m) => m.startsWith('scripted:'));
  if (!scripted.length) return `Trajectories from ${f.all.models.join(', ')}.`;
  return `These trajectories come from rollout's scripted teacher (${scripted.join(', ')}): a policy that reads each instance's known fix and acts it out (oracle: straight to the fix; noisy: with mistakes and recoveries; mixed: about half of the attempts wrong), not a model. To record a real teacher, set rollout.lm to an OpenAI-compatible URL (vLLM, SGLang, a hosted API) and rollout.model to its model name in the pipeline config (see examples/pipeline.yaml), then swe-forge pipeline run.`;
}

const errorsText = (e: TrajectoryRunFigures['error_steps']): string => `${e.format_error} format, ${e.tool_error} tool, ${e.timed_out} timed out, ${e.nonzero_exit} non-zero exit`;

function row(r: TrajectoryRunFigures, strong = false): string {
  const exits = Object.entries(r.exit_statuses).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${esc(k)} ${v}`).join(', ');
  return `<tr${strong ? ' class="sum"' : ''} data-run="${esc(r.name)}"><td>${esc(r.name)}</td><td>${esc(r.models.join(', '))}</td><td class="n">${r.instances}</td><td class="n">${r.attempts}</td><td class="n" data-figure="resolved">${r.resolved}</td><td class="n" data-figure="resolved_rate">${pct(r.resolved_rate)}</td><td class="n">${r.semi_resolved}</td><td class="n">${fmtNum(r.steps.mean)} / ${r.steps.max}</td><td class="n" data-figure="tokens_total">${r.tokens.total}</td><td class="n">${fmtNum(r.tokens.mean)} / ${r.tokens.max}</td><td>${exits}</td><td>${errorsText(r.error_steps)}</td></tr>`;
}

/** The section as HTML. */
export function trajectoriesHtml(f: TrajectoryFigures): string {
  const masked = f.masked_turns ? Object.entries(f.masked_turns).map(([k, v]) => `${esc(k)} ${v}`).join(', ') || 'none' : null;
  return `<section id="trajectories">
<h2>Trajectories</h2>
<p class="note${f.scripted ? ' warn' : ''}" data-figure="teacher">${esc(teacherNote(f))}</p>
<table><thead><tr><th>run</th><th>teacher</th><th class="n">instances</th><th class="n">attempts</th><th class="n">resolved</th><th class="n">resolved rate</th><th class="n">semi-resolved</th><th class="n">steps mean / max</th><th class="n">tokens</th><th class="n">tokens mean / max</th><th>exit statuses</th><th>error steps</th></tr></thead>
<tbody>${f.runs.map((r) => row(r)).join('\n')}
${f.runs.length > 1 ? row(f.all, true) : ''}</tbody></table>
<p class="sub">Resolved: the validator's evaluation of each submission (FAIL_TO_PASS and PASS_TO_PASS pass), never the teacher's claim; semi-resolved: unresolved, but the patch edits every function the reference fix edits. Tokens: prompt + completion over all model calls of a trajectory.${masked !== null ? ` Error steps stay in the SFT records as context; the SFT build masked these turns (not trained): <span data-figure="masked_turns">${masked}</span>.` : ''}</p>
</section>`;
}

/** The section as Markdown. */
export function trajectoriesMarkdown(f: TrajectoryFigures): string {
  const rows = [...f.runs, ...(f.runs.length > 1 ? [f.all] : [])].map(
    (r) => `| ${r.name} | ${r.models.join(', ')} | ${r.instances} | ${r.attempts} | ${r.resolved} | ${pct(r.resolved_rate)} | ${r.semi_resolved} | ${fmtNum(r.steps.mean)} / ${r.steps.max} | ${r.tokens.total} | ${Object.entries(r.exit_statuses).map(([k, v]) => `${k} ${v}`).join(', ')} | ${errorsText(r.error_steps)} |`,
  );
  return ['## Trajectories', '', `> ${teacherNote(f)}`, '', '| run | teacher | instances | attempts | resolved | resolved rate | semi-resolved | steps mean / max | tokens | exit statuses | error steps |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|', ...rows, '', ...(f.masked_turns ? [`SFT masked turns: ${Object.entries(f.masked_turns).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}.`, ''] : [])].join('\n');
}

/** The trajectories section. */
export const trajectoriesSection = (f: TrajectoryFigures): Section => ({ html: trajectoriesHtml(f), md: trajectoriesMarkdown(f) });
