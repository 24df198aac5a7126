import type { RecipeFigures } from './sections/index.js';

/**
 * The figures a dataset report shows, computed from a pipeline's records: per-strategy
 * yield (the SWE-smith paper's Table 1 shape), distributions, bug coverage, stage times.
 */

/** One row of the per-strategy table. */
export interface StrategyRow {
  strategy: string;
  /** `procedural`, `combine`, `lm`, `pr_mirror`: the row's family. */
  family: string;
  candidates: number;
  valid: number;
  /** valid / candidates × 100 (0 when no candidates). */
  yield_pct: number;
  median_f2p: number | null;
  median_lines: number | null;
  /** USD spent generating the row's candidates (LM answers, rejected ones included; 0 for procedural and combine). */
  cost_usd: number;
  /** cost_usd / candidates (null without candidates). */
  cost_per_candidate_usd: number | null;
  /** cost_usd / valid instances (null without valid instances). */
  cost_per_instance_usd: number | null;
}

/** One instance, reduced to what the charts need. */
export interface InstancePoint {
  instance_id: string;
  strategy: string;
  f2p: number;
  lines_changed: number;
}

/** Wall time and output count of one pipeline stage. */
export interface StageTiming {
  stage: string;
  duration_s: number;
  records?: number;
  /** `done`, `resumed` (finished by an earlier run), or `skipped`. */
  status: string;
  /** Why a stage was skipped. */
  note?: string;
}

/** Issue-writer counters per strategy. */
export interface IssueRow {
  strategy: string;
  written: number;
  skipped: number;
  rejections: number;
  cost_usd: number;
}

/** Everything the HTML and Markdown reports render. */
export interface ReportData {
  title: string;
  repo: string;
  base_commit: string;
  generated_at: string;
  rows: StrategyRow[];
  /** Rows aggregated per family plus an `all` row. */
  family_rows: StrategyRow[];
  instances: InstancePoint[];
  /** Validation outcome counts (valid, no_f2p, …). */
  statuses: Record<string, number>;
  coverage: { broken: number; total: number; pct: number };
  stages: StageTiming[];
  issues: IssueRow[];
  /** Trajectories, SFT dataset, training plan and best-of-K figures (stages that ran). */
  recipe?: RecipeFigures;
}

/** Minimal shapes the report reads (structurally compatible with core's contracts). */
export interface ReportInput {
  title?: string;
  repo: string;
  base_commit: string;
  candidates: { strategy: string }[];
  results: { status: string; candidate: { strategy: string; patch: string }; FAIL_TO_PASS: string[]; PASS_TO_PASS: string[] }[];
  instances: { instance_id: string; strategy: string; patch: string; FAIL_TO_PASS: string[] }[];
  /** USD spent per strategy to generate its candidates (absent strategies cost 0). */
  costs?: Record<string, number>;
  /** Number of tests passing at baseline (coverage denominator); defaults to the union of F2P and P2P seen. */
  baselinePassed?: number;
  stages?: StageTiming[];
  issues?: IssueRow[];
  recipe?: RecipeFigures;
  generatedAt?: string;
}

/** Median of a list (mean of the middle two for even lengths); null for an empty list. */
export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Lines added plus removed by a unified diff (file headers excluded). */
export function linesChanged(patch: string): number {
  let n = 0;
  for (const line of patch.split('\n')) {
    if ((line.startsWith('+') && !line.startsWith('+++ ')) || (line.startsWith('-') && !line.startsWith('--- '))) n++;
  }
  return n;
}

/** The family of a strategy: `procedural/x` → procedural, `combine_file` → combine. */
export function familyOf(strategy: string): string {
  if (strategy.startsWith('procedural/')) return 'procedural';
  if (strategy.startsWith('combine_')) return 'combine';
  if (strategy.startsWith('lm_')) return 'lm';
  return strategy;
}

function row(strategy: string, family: string, candidates: number, valid: InstancePoint[], cost: number): StrategyRow {
  const per = (n: number): number | null => (n > 0 ? Math.round((1e6 * cost) / n) / 1e6 : null);
  return {
    strategy,
    family,
    candidates,
    valid: valid.length,
    yield_pct: candidates ? Math.round((1000 * valid.length) / candidates) / 10 : 0,
    median_f2p: median(valid.map((v) => v.f2p)),
    median_lines: median(valid.map((v) => v.lines_changed)),
    cost_usd: Math.round(cost * 1e6) / 1e6,
    cost_per_candidate_usd: per(candidates),
    cost_per_instance_usd: per(valid.length),
  };
}

/** Compute the report's figures from a run's candidates, validation results and instances. */
export function buildReportData(input: ReportInput): ReportData {
  const instances: InstancePoint[] = input.instances.map((i) => ({ instance_id: i.instance_id, strategy: i.strategy, f2p: i.FAIL_TO_PASS.length, lines_changed: linesChanged(i.patch) }));
  const candCount = new Map<string, number>();
  for (const c of input.candidates) candCount.set(c.strategy, (candCount.get(c.strategy) ?? 0) + 1);
  for (const i of instances) if (!candCount.has(i.strategy)) candCount.set(i.strategy, 0);
  const byStrategy = new Map<string, InstancePoint[]>();
  for (const i of instances) byStrategy.set(i.strategy, [...(byStrategy.get(i.strategy) ?? []), i]);
  const order = (a: string, b: string): number => familyOf(a).localeCompare(familyOf(b)) || a.localeCompare(b);
  const costs = input.costs ?? {};
  for (const s of Object.keys(costs)) if (!candCount.has(s) && costs[s] > 0) candCount.set(s, 0);
  const costOf = (s: string): number => costs[s] ?? 0;
  const rows = [...candCount.keys()].sort(order).map((s) => row(s, familyOf(s), candCount.get(s) ?? 0, byStrategy.get(s) ?? [], costOf(s)));
  const families = [...new Set(rows.map((r) => r.family))].sort();
  const family_rows = families.map((f) => {
    const strategies = rows.filter((r) => r.family === f).map((r) => r.strategy);
    return row(f, f, strategies.reduce((a, s) => a + (candCount.get(s) ?? 0), 0), instances.filter((i) => familyOf(i.strategy) === f), strategies.reduce((a, s) => a + costOf(s), 0));
  });
  family_rows.push(row('all', 'all', input.candidates.length, instances, rows.reduce((a, r) => a + r.cost_usd, 0)));
  const statuses: Record<string, number> = {};
  for (const r of input.results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const broken = new Set<string>();
  for (const i of input.instances) for (const t of i.FAIL_TO_PASS) broken.add(t);
  let total = input.baselinePassed ?? 0;
  if (!total) {
    const seen = new Set<string>();
    for (const r of input.results) for (const t of [...r.FAIL_TO_PASS, ...r.PASS_TO_PASS]) seen.add(t);
    total = seen.size;
  }
  return {
    title: input.title ?? `swe-forge dataset report: ${input.repo}`,
    repo: input.repo,
    base_commit: input.base_commit,
    generated_at: input.generatedAt ?? new Date().toISOString(),
    rows,
    family_rows,
    instances,
    statuses,
    coverage: { broken: broken.size, total, pct: total ? Math.round((1000 * broken.size) / total) / 10 : 0 },
    stages: input.stages ?? [],
    issues: input.issues ?? [],
    ...(input.recipe ? { recipe: input.recipe } : {}),
  };
}

/** Histogram bins over integer values: one bin per value up to `maxBins`, else equal-width ranges. */
export function histogram(values: number[], maxBins = 12): { label: string; value: number }[] {
  if (values.length === 0) return [];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo + 1;
  const width = Math.max(1, Math.ceil(span / maxBins));
  const bins: { label: string; value: number }[] = [];
  for (let start = lo; start <= hi; start += width) {
    const end = start + width - 1;
    bins.push({ label: width === 1 ? String(start) : `${start}–${end}`, value: values.filter((v) => v >= start && v <= end).length });
  }
  return bins;
}
