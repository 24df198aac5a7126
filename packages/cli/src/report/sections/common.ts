/** Shared pieces of the recipe sections of the report. */

/** One report section in both output forms. */
export interface Section {
  html: string;
  md: string;
}

/** A share as a percentage with one decimal (`0.375` → `37.5%`). */
export const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** An integer as is, anything else with one decimal. */
export const fmtNum = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(1));

/** A check verdict as a badge (`pass`, `warn`, `fail`, `skip`; `accepted` marks a failure the config accepts). */
export function badge(verdict: string, accepted = false): string {
  const cls = accepted ? 'fail accepted' : verdict;
  return `<span class="badge ${cls}" data-verdict="${verdict}">${verdict.toUpperCase()}${accepted ? ' (accepted)' : ''}</span>`;
}
