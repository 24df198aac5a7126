/**
 * The report's SFT dataset section: records, tokens, trained share, chunking, curriculum
 * buckets, the action mix of trained turns, the exports, and every tokenizer check with its
 * verdict (an accepted failure stays a failure, with its explanation).
 */
import { esc } from '../svg.js';
import { badge, fmtNum, pct, type Section } from './common.js';

/** One tokenizer / chat-template check of the dataset. */
export interface SftCheckRow {
  id: string;
  verdict: 'pass' | 'warn' | 'fail';
  message: string;
  fix: string;
  /** A failure the config accepts (`sft.accept_failed_checks`). */
  accepted: boolean;
  /** What an accepted failure means for this dataset, and what to do about it. */
  note?: string;
}

/** The SFT section. */
export interface SftFigures {
  dir: string;
  format: string;
  tokenizer: string;
  chat_template: string;
  max_tokens: number;
  records: number;
  tokens: { total: number; mean: number; p50: number; p90: number; max: number };
  trained_tokens: number;
  trained_share: number;
  /** Trajectories read, kept by the filters, and dropped per reason. */
  trajectories: { input: number; kept: number; dropped: Record<string, number> };
  chunking: { scheme: string; drops: Record<string, { events: number; turns: number }> };
  /** Assistant turns (actions) per kept trajectory. */
  turns: { mean: number; max: number };
  curriculum: { name: string; min: number; max: number | null; records: number }[] | null;
  /** Trained turns by what the action does. */
  actions: Record<string, number>;
  masked_turns: Record<string, number>;
  exports: { name: string; kind: string; files: string[] }[];
  checks: SftCheckRow[];
}

/** The parts of sft-formatter's dataset folder files the section reads. */
export interface SftFolderFiles {
  manifest: { format: string; tokenizer: { dir: string }; chat_template: { source: string | null }; max_tokens: number; records: number; tokens: { total: number; max: number; trained: number }; chunking: string; curriculum?: { buckets: { name: string; min: number; max: number | null; records: number }[] }; exports: Record<string, { kind: string; files: string[] }> };
  stats: { records: number; tokens: { total: number; mean: number; p50: number; p90: number; max: number }; trainedTokens: number; trainedShare: number; turns: { mean: number; max: number }; actions: Record<string, number> };
  report: { filter: { input: number; kept: number; counts: Record<string, number> }; build: { chunkDrops: Record<string, { events: number; turns: number }>; maskedTurns: Record<string, number> } };
}

/** The section's figures from a dataset folder's files and the check results. */
export function sftFigures(dir: string, f: SftFolderFiles, checks: SftCheckRow[]): SftFigures {
  const m = f.manifest;
  return {
    dir,
    format: m.format,
    tokenizer: m.tokenizer.dir,
    chat_template: m.chat_template.source ?? 'the tokenizer folder',
    max_tokens: m.max_tokens,
    records: m.records,
    tokens: { total: f.stats.tokens.total, mean: f.stats.tokens.mean, p50: f.stats.tokens.p50, p90: f.stats.tokens.p90, max: f.stats.tokens.max },
    trained_tokens: f.stats.trainedTokens,
    trained_share: f.stats.trainedShare,
    trajectories: { input: f.report.filter.input, kept: f.report.filter.kept, dropped: f.report.filter.counts },
    chunking: { scheme: m.chunking, drops: f.report.build.chunkDrops },
    turns: { mean: f.stats.turns.mean, max: f.stats.turns.max },
    curriculum: m.curriculum?.buckets ?? null,
    actions: f.stats.actions,
    masked_turns: f.report.build.maskedTurns,
    exports: Object.entries(m.exports).map(([name, e]) => ({ name, kind: e.kind, files: e.files })),
    checks,
  };
}

const kv = (o: Record<string, number>): string => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';

/** The section as HTML. */
export function sftHtml(f: SftFigures): string {
  const actionTotal = Object.values(f.actions).reduce((a, b) => a + b, 0);
  const actionRows = Object.entries(f.actions)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td class="n" data-action="${esc(k)}">${v}</td><td class="n">${pct(actionTotal ? v / actionTotal : 0)}</td></tr>`)
    .join('');
  const buckets = f.curriculum
    ? `<table><thead><tr><th>curriculum bucket</th><th class="n">turns</th><th class="n">records</th></tr></thead><tbody>${f.curriculum.map((b) => `<tr><td>${esc(b.name)}</td><td class="n">${b.min}–${b.max ?? '∞'}</td><td class="n" data-bucket="${esc(b.name)}">${b.records}</td></tr>`).join('')}</tbody></table>`
    : '<p class="sub">No curriculum.</p>';
  const checks = f.checks
    .map((c) => `<tr data-check="${esc(c.id)}"><td>${esc(c.id)}</td><td>${badge(c.verdict, c.accepted)}</td><td>${esc(c.message)}${c.verdict !== 'pass' && c.fix ? `<br><span class="fix">fix: ${esc(c.fix)}</span>` : ''}${c.note ? `<div class="note warn">${esc(c.note)}</div>` : ''}</td></tr>`)
    .join('\n');
  const exports = f.exports.map((e) => `<tr><td>${esc(e.name)}</td><td>${esc(e.kind)}</td><td>${esc(e.files.join(', '))}</td></tr>`).join('');
  return `<section id="sft">
<h2>SFT dataset</h2>
<p class="sub"><code>${esc(f.dir)}</code> · format <b>${esc(f.format)}</b> · tokenizer <code>${esc(f.tokenizer)}</code> · chat template from ${esc(f.chat_template)} · token counts are exact under that template.</p>
<div class="cards">
<div class="card"><span>records</span><b data-figure="records">${f.records}</b></div>
<div class="card"><span>tokens</span><b data-figure="tokens_total">${f.tokens.total}</b></div>
<div class="card"><span>trained tokens</span><b data-figure="trained_tokens">${f.trained_tokens}</b></div>
<div class="card"><span>trained share</span><b data-figure="trained_share">${pct(f.trained_share)}</b></div>
<div class="card"><span>longest record</span><b>${f.tokens.max}</b></div>
</div>
<p>Tokens per record: mean ${fmtNum(f.tokens.mean)}, median ${f.tokens.p50}, p90 ${f.tokens.p90}, max ${f.tokens.max} (budget ${f.max_tokens}). Trajectories: ${f.trajectories.input} read, <span data-figure="kept">${f.trajectories.kept}</span> kept; dropped: ${esc(kv(f.trajectories.dropped))}. Turns (actions) per kept trajectory: mean ${fmtNum(f.turns.mean)}, max ${f.turns.max}. Chunking: <b>${esc(f.chunking.scheme)}</b> (every record starts with the system message and the issue), chunk drops: ${esc(Object.entries(f.chunking.drops).map(([k, v]) => `${k} ${v.events}`).join(', ') || 'none')}. Masked turns (in context, not trained): ${esc(kv(f.masked_turns))}.</p>
<div class="charts"><div class="chart"><table><thead><tr><th>trained action</th><th class="n">turns</th><th class="n">share</th></tr></thead><tbody>${actionRows}</tbody></table></div>
<div class="chart">${buckets}</div></div>
<h3>Tokenizer and chat-template checks</h3>
<table class="checks"><thead><tr><th>check</th><th>verdict</th><th>finding</th></tr></thead><tbody>
${checks}
</tbody></table>
<details><summary>exports</summary><table><thead><tr><th>export</th><th>kind</th><th>files</th></tr></thead><tbody>${exports}</tbody></table></details>
</section>`;
}

/** The section as Markdown. */
export function sftMarkdown(f: SftFigures): string {
  return [
    '## SFT dataset',
    '',
    `\`${f.dir}\` · format **${f.format}** · tokenizer \`${f.tokenizer}\` · chat template from ${f.chat_template}`,
    '',
    `${f.records} records, ${f.tokens.total} tokens (mean ${fmtNum(f.tokens.mean)}, max ${f.tokens.max}, budget ${f.max_tokens}), ${f.trained_tokens} trained (${pct(f.trained_share)}). Trajectories: ${f.trajectories.input} read, ${f.trajectories.kept} kept; dropped: ${kv(f.trajectories.dropped)}. Chunking: ${f.chunking.scheme}. Masked turns: ${kv(f.masked_turns)}.`,
    '',
    `Trained actions: ${kv(f.actions)}. Curriculum: ${f.curriculum ? f.curriculum.map((b) => `${b.name} ${b.records}`).join(', ') : 'none'}.`,
    '',
    '| check | verdict | finding |',
    '|---|---|---|',
    ...f.checks.map((c) => `| ${c.id} | ${c.verdict.toUpperCase()}${c.accepted ? ' (accepted)' : ''} | ${c.message.replace(/\|/g, '\\|')}${c.note ? ` — ${c.note.replace(/\|/g, '\\|')}` : ''} |`),
    '',
    `Exports: ${f.exports.map((e) => `${e.name} (${e.kind})`).join(', ')}.`,
    '',
  ].join('\n');
}

/** The SFT section. */
export const sftSection = (f: SftFigures): Section => ({ html: sftHtml(f), md: sftMarkdown(f) });
