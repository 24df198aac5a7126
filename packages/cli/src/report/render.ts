import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { histogram, type ReportData, type StrategyRow } from './data.js';
import { RECIPE_CSS, recipeSections } from './sections/index.js';
import { barChart, columnChart, esc } from './svg.js';

const FAMILY_COLORS: Record<string, string> = { procedural: '#10b981', combine: '#f59e0b', lm: '#8b5cf6', pr_mirror: '#ef4444' };
const fmt = (x: number | null): string => (x === null ? '–' : Number.isInteger(x) ? String(x) : x.toFixed(1));
/** USD as dollars with 4 decimals; per-unit costs in cents (SWE-smith's Table 1 unit). */
const usd = (x: number): string => `$${x.toFixed(4)}`;
const cents = (x: number | null): string => (x === null ? '–' : `${(100 * x).toFixed(2)}¢`);
const secs = (s: number): string => (s >= 60 ? `${Math.floor(s / 60)}m ${Math.round(s % 60)}s` : `${s.toFixed(1)}s`);

function tableRows(rows: StrategyRow[], strong = false): string {
  return rows
    .map(
      (r) =>
        `<tr${strong ? ' class="sum"' : ''}><td>${esc(r.strategy)}</td><td class="n">${r.candidates}</td><td class="n">${r.valid}</td><td class="n">${r.yield_pct.toFixed(1)}%</td><td class="n">${fmt(r.median_f2p)}</td><td class="n">${fmt(r.median_lines)}</td><td class="n">${usd(r.cost_usd)}</td><td class="n">${cents(r.cost_per_candidate_usd)}</td><td class="n">${cents(r.cost_per_instance_usd)}</td></tr>`,
    )
    .join('\n');
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2937;margin:0;background:#f8fafc}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
.sub{color:#6b7280;margin:0 0 16px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px 16px;min-width:150px}
.card b{display:block;font-size:22px}.card span{color:#6b7280;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
table{border-collapse:collapse;background:#fff;border:1px solid #e5e7eb;margin:6px 0}
th,td{padding:5px 10px;border-bottom:1px solid #eef0f3;text-align:left}th{background:#f3f4f6;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}tr.sum td{font-weight:600;background:#f9fafb}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:8px}
svg .ct{font-size:14px;font-weight:600;fill:#111827}svg .tick{font-size:11px;fill:#4b5563}svg .val{font-size:10px;fill:#374151}
svg .al{font-size:12px;fill:#374151}svg .grid{stroke:#e5e7eb}svg .axis{stroke:#9ca3af}
.bar{height:12px;background:#e5e7eb;border-radius:6px;overflow:hidden;width:320px;display:inline-block;vertical-align:middle}
.bar i{display:block;height:100%;background:#3b82f6}
footer{color:#9ca3af;font-size:12px;margin-top:32px}
`;

/** Render the self-contained HTML report (inline CSS and SVG; no scripts, no external assets). */
export function renderReportHtml(d: ReportData): string {
  const all = d.family_rows.find((r) => r.strategy === 'all');
  const perModifier = d.rows
    .filter((r) => r.valid > 0 || r.candidates > 0)
    .map((r) => ({ label: r.strategy.replace(/^procedural\//, ''), value: r.valid, color: FAMILY_COLORS[r.family] ?? '#6b7280' }));
  const f2pChart = columnChart({ title: 'FAIL_TO_PASS tests per instance', xLabel: 'F2P tests', yLabel: 'instances', bars: histogram(d.instances.map((i) => i.f2p)) });
  const linesChart = columnChart({ title: 'Lines changed per instance', xLabel: 'lines added + removed', yLabel: 'instances', bars: histogram(d.instances.map((i) => i.lines_changed)), color: '#f59e0b' });
  const modChart = barChart({ title: 'Valid instances per strategy', xLabel: 'instances', bars: perModifier });
  const statusRows = Object.entries(d.statuses)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td class="n">${v}</td></tr>`)
    .join('');
  const stageTotal = d.stages.reduce((a, s) => a + s.duration_s, 0);
  const stageRows = d.stages
    .map((s) => `<tr data-stage="${esc(s.stage)}"><td>${esc(s.stage)}</td><td class="n">${secs(s.duration_s)}</td><td class="n">${s.records ?? '–'}</td><td>${esc(s.status)}${s.note ? ` (${esc(s.note)})` : ''}</td></tr>`)
    .join('');
  const recipe = recipeSections(d.recipe);
  const traj = d.recipe?.trajectories?.all;
  const issueRows = d.issues
    .map((i) => `<tr><td>${esc(i.strategy)}</td><td class="n">${i.written}</td><td class="n">${i.skipped}</td><td class="n">${i.rejections}</td><td class="n">$${i.cost_usd.toFixed(4)}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(d.title)}</title><style>${CSS}${RECIPE_CSS}</style></head>
<body><main>
<h1>${esc(d.title)}</h1>
<p class="sub">${esc(d.repo)} @ <code>${esc(d.base_commit.slice(0, 12))}</code> · generated ${esc(d.generated_at)}</p>
<div class="cards">
<div class="card"><span>candidates</span><b>${all?.candidates ?? 0}</b></div>
<div class="card"><span>valid instances</span><b>${all?.valid ?? 0}</b></div>
<div class="card"><span>yield</span><b>${(all?.yield_pct ?? 0).toFixed(1)}%</b></div>
<div class="card"><span>bug coverage</span><b>${d.coverage.pct.toFixed(1)}%</b></div>
${traj ? `<div class="card"><span>trajectories resolved</span><b>${traj.resolved}/${traj.evaluated}</b></div>` : ''}
${d.recipe?.sft ? `<div class="card"><span>SFT records</span><b>${d.recipe.sft.records}</b></div>` : ''}
<div class="card"><span>wall time</span><b>${secs(stageTotal)}</b></div>
</div>
<h2>Yield per strategy</h2>
<p class="sub">Candidates proposed, instances validated (≥1 FAIL_TO_PASS and ≥1 PASS_TO_PASS), yield, medians over valid instances, and what generating the candidates cost (LM answers, rejected ones included; procedural bugs are free) — the shape of the SWE-smith paper's Table 1.</p>
<table><thead><tr><th>strategy</th><th class="n">candidates</th><th class="n">valid</th><th class="n">yield</th><th class="n">median F2P</th><th class="n">median lines</th><th class="n">cost</th><th class="n">per candidate</th><th class="n">per instance</th></tr></thead>
<tbody>
${tableRows(d.family_rows.filter((r) => r.strategy !== 'all'))}
${tableRows(d.family_rows.filter((r) => r.strategy === 'all'), true)}
</tbody></table>
<details open><summary>per modifier</summary>
<table><thead><tr><th>strategy</th><th class="n">candidates</th><th class="n">valid</th><th class="n">yield</th><th class="n">median F2P</th><th class="n">median lines</th><th class="n">cost</th><th class="n">per candidate</th><th class="n">per instance</th></tr></thead>
<tbody>${tableRows(d.rows)}</tbody></table></details>
<h2>Distributions</h2>
<div class="charts"><div class="chart">${f2pChart}</div><div class="chart">${linesChart}</div><div class="chart">${modChart}</div></div>
<h2>Bug coverage</h2>
<p>${d.coverage.broken} of ${d.coverage.total} tests that pass on the clean repository are broken by at least one instance:
<span class="bar"><i style="width:${Math.min(100, d.coverage.pct)}%"></i></span> <b>${d.coverage.pct.toFixed(1)}%</b></p>
<h2>Validation outcomes</h2>
<table><thead><tr><th>status</th><th class="n">candidates</th></tr></thead><tbody>${statusRows}</tbody></table>
${d.issues.length ? `<h2>Problem statements</h2><table><thead><tr><th>issue strategy</th><th class="n">written</th><th class="n">skipped</th><th class="n">LM drafts rejected</th><th class="n">cost</th></tr></thead><tbody>${issueRows}</tbody></table>` : ''}
${recipe.html}
<h2>Wall time per stage</h2>
<table><thead><tr><th>stage</th><th class="n">wall time</th><th class="n">records</th><th>status</th></tr></thead><tbody>${stageRows}
<tr class="sum"><td>total</td><td class="n">${secs(stageTotal)}</td><td></td><td></td></tr></tbody></table>
<footer>swe-forge · ${d.instances.length} instances</footer>
</main></body></html>
`;
}

/** Render the Markdown report (the same figures, tables only, plus ASCII distributions). */
export function renderReportMarkdown(d: ReportData): string {
  const md = (rows: StrategyRow[]): string =>
    rows.map((r) => `| ${r.strategy} | ${r.candidates} | ${r.valid} | ${r.yield_pct.toFixed(1)}% | ${fmt(r.median_f2p)} | ${fmt(r.median_lines)} | ${usd(r.cost_usd)} | ${cents(r.cost_per_candidate_usd)} | ${cents(r.cost_per_instance_usd)} |`).join('\n');
  const head = '| strategy | candidates | valid | yield | median F2P | median lines | cost | per candidate | per instance |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|';
  const hist = (title: string, bins: { label: string; value: number }[]): string => {
    const max = Math.max(1, ...bins.map((b) => b.value));
    const w = Math.max(1, ...bins.map((b) => b.label.length));
    return `**${title}**\n\n\`\`\`\n${bins.map((b) => `${b.label.padStart(w)} | ${'#'.repeat(Math.round((30 * b.value) / max))} ${b.value}`).join('\n')}\n\`\`\``;
  };
  const stageTotal = d.stages.reduce((a, s) => a + s.duration_s, 0);
  const out = [
    `# ${d.title}`,
    '',
    `${d.repo} @ \`${d.base_commit.slice(0, 12)}\` · generated ${d.generated_at}`,
    '',
    '## Yield per strategy',
    '',
    head,
    md(d.family_rows),
    '',
    '<details><summary>per modifier</summary>',
    '',
    head,
    md(d.rows),
    '',
    '</details>',
    '',
    '## Distributions',
    '',
    hist('FAIL_TO_PASS tests per instance', histogram(d.instances.map((i) => i.f2p))),
    '',
    hist('Lines changed per instance', histogram(d.instances.map((i) => i.lines_changed))),
    '',
    hist('Valid instances per strategy', d.rows.map((r) => ({ label: r.strategy.replace(/^procedural\//, ''), value: r.valid }))),
    '',
    '## Bug coverage',
    '',
    `${d.coverage.broken} of ${d.coverage.total} baseline-passing tests are broken by at least one instance (**${d.coverage.pct.toFixed(1)}%**).`,
    '',
    '## Validation outcomes',
    '',
    '| status | candidates |\n|---|---:|',
    ...Object.entries(d.statuses).sort((a, b) => b[1] - a[1]).map(([k, v]) => `| ${k} | ${v} |`),
    '',
  ];
  if (d.issues.length) {
    out.push('## Problem statements', '', '| issue strategy | written | skipped | LM drafts rejected | cost |\n|---|---:|---:|---:|---:|');
    for (const i of d.issues) out.push(`| ${i.strategy} | ${i.written} | ${i.skipped} | ${i.rejections} | $${i.cost_usd.toFixed(4)} |`);
    out.push('');
  }
  const recipe = recipeSections(d.recipe).md;
  if (recipe) out.push(recipe);
  out.push('## Wall time per stage', '', '| stage | wall time | records | status |\n|---|---:|---:|---|');
  for (const s of d.stages) out.push(`| ${s.stage} | ${secs(s.duration_s)} | ${s.records ?? '–'} | ${s.status}${s.note ? ` (${s.note})` : ''} |`);
  out.push(`| **total** | **${secs(stageTotal)}** | | |`, '');
  return out.join('\n');
}

/** Write `report.html` and `report.md` into `dir` (each atomically); returns their paths. */
export async function writeReport(dir: string, d: ReportData): Promise<{ html: string; md: string }> {
  await mkdir(dir, { recursive: true });
  const html = join(dir, 'report.html');
  const md = join(dir, 'report.md');
  for (const [path, text] of [
    [html, renderReportHtml(d)],
    [md, renderReportMarkdown(d)],
  ] as const) {
    await writeFile(`${path}.tmp`, text);
    await rename(`${path}.tmp`, path);
  }
  return { html, md };
}
