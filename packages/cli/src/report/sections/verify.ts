/**
 * The report's best-of-K section: the verifier's own section (pass@k / best@k curves as SVG,
 * tables, run analysis; `verifierReportSection` of @swe-forge/verifier), framed with the run
 * it selects from and the pass@k figures as data attributes.
 */
import { esc } from '../svg.js';
import { pct, type Section } from './common.js';

/** The best-of-K section. */
export interface VerifyFigures {
  /** The rollout run the attempts come from. */
  run: string;
  dir: string;
  instances: number;
  attempts: number;
  ks: number[];
  pass_at_k: Record<string, number>;
  best_at_k: Record<string, Record<string, number>>;
  /** The verifier package's HTML section for these figures. */
  html: string;
}

/** The section as HTML. */
export function verifyHtml(f: VerifyFigures): string {
  const data = f.ks.map((k) => `<li data-k="${k}" data-pass="${f.pass_at_k[k] ?? 0}">pass@${k} ${pct(f.pass_at_k[k] ?? 0)}; ${Object.entries(f.best_at_k).map(([v, byK]) => `best@${k} ${esc(v)} ${pct(byK[k] ?? 0)}`).join(', ')}</li>`).join('');
  return `<section id="verify">
<h2>Best of K: pass@k and best@k</h2>
<p class="sub">K attempts per instance from rollout run <b>${esc(f.run)}</b> (${f.instances} instances, ${f.attempts} attempts), selected by each verifier; files in <code>${esc(f.dir)}</code>.</p>
${f.html.replace('<h2>Test-time selection</h2>', '')}
<details><summary>figures</summary><ul class="figures">${data}</ul></details>
</section>`;
}

/** The section as Markdown. */
export function verifyMarkdown(f: VerifyFigures): string {
  const head = `| | ${f.ks.map((k) => `k=${k}`).join(' | ')} |\n|---|${f.ks.map(() => '---:').join('|')}|`;
  const row = (name: string, byK: Record<string, number>) => `| ${name} | ${f.ks.map((k) => pct(byK[k] ?? 0)).join(' | ')} |`;
  return ['## Best of K', '', `Rollout run ${f.run}: ${f.instances} instances, ${f.attempts} attempts.`, '', head, row('pass@k (oracle, unbiased)', f.pass_at_k), ...Object.entries(f.best_at_k).map(([v, byK]) => row(`best@k ${v}`, byK)), ''].join('\n');
}

/** The best-of-K section. */
export const verifySection = (f: VerifyFigures): Section => ({ html: verifyHtml(f), md: verifyMarkdown(f) });
