/**
 * bench/validate: full suite vs coverage selection vs the warm forking runner, on the same
 * candidates of one repository, in one run. For each mode it prints seconds per candidate,
 * candidates per minute, the share decided by the fast path and the verify-sample agreement,
 * with the machine's load average next to each figure (the machine may be shared).
 *
 *   node --conditions=@swe-forge/source --import tsx bench/validate/run.ts <repo-dir> \
 *     [--n 40] [--sample 10] [--verify 10] [--modes full,coverage,warm] [--workers 1] [--timeout 300]
 *     [--seed 0] [--work DIR] [--candidates FILE] [--compare-bounds]
 *
 * - coverage and warm validate all N candidates (seeded sample of procedural bugs, or --candidates);
 *   full validates --sample of them (seeded), which gives the full-suite seconds per candidate and
 *   the F2P agreement of both fast modes with the full suite.
 * - warm runs with --verify-sample (--verify): forked vs isolated on that many warm-decided
 *   candidates; the bench also compares warm with coverage (isolated) on every candidate.
 * - per-candidate wall of the warm path: each forked run against 1.5 × the baseline seconds of its
 *   selected tests + 0.2 s (the issue's target), and the whole candidate (confirmation included).
 * - --compare-bounds: coverage mode first with --timeout only, then bounded; prints the timed-out
 *   share before/after and whether both give the same valid instances.
 *
 * The environment is built (and cached) with the offline wheelhouse plus coverage.py. Results are
 * resumable under --work (one results file per mode; the baseline is taken once and shared).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readJsonlAll } from '@swe-forge/core/jsonl';
import type { BugCandidate, ValidationResult } from '@swe-forge/core/schema';
import { buildEnvironment, openEnvironment } from '@swe-forge/env-builder';
import { generateProceduralBugs } from '@swe-forge/procedural-bugs';
import { seededShuffle } from '@swe-forge/core/ids';
import { selectByCoverage, timedOutShare, validateCandidates, validationPaths, type BaselineRecord, type CoverageMap, type WarmMeta } from '@swe-forge/validator';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    n: { type: 'string', default: '40' },
    sample: { type: 'string', default: '10' },
    verify: { type: 'string', default: '10' },
    modes: { type: 'string', default: 'full,coverage,warm' },
    workers: { type: 'string', default: '1' },
    timeout: { type: 'string', default: '300' },
    seed: { type: 'string', default: '0' },
    work: { type: 'string' },
    candidates: { type: 'string' },
    'compare-bounds': { type: 'boolean', default: false },
    'find-links': { type: 'string', default: '/opt/pypi/files' },
  },
});
const repoArg = positionals[0];
if (!repoArg) {
  console.error('usage: bench/validate/run.ts <repo-dir> [--n 40] [--sample 10] [--verify 10] [--modes full,coverage,warm] [--workers 1] [--timeout 300] [--seed 0] [--work DIR] [--candidates FILE] [--compare-bounds]');
  process.exit(2);
}
const repoDir = resolve(repoArg);
const n = Number(values.n);
const sample = Number(values.sample);
const workers = Number(values.workers);
const seed = Number(values.seed);
const timeoutS = Number(values.timeout);
const modes = new Set(String(values.modes).split(','));
const work = resolve(values.work ?? join(tmpdir(), `swe-forge-bench-validate-${repoDir.split('/').pop()}`));
mkdirSync(work, { recursive: true });
const log = (s: string): void => console.error(`[bench] ${s}`);
const load = (): string => loadavg().map((x) => x.toFixed(1)).join(' ');

const t0 = Date.now();
const built = await buildEnvironment(repoDir, { findLinks: [values['find-links'] as string], noIndex: true, extraPackages: ['coverage'], log: (l) => log(`env: ${l}`) });
log(`environment ${built.spec.id} (${built.cached ? 'cached' : `built in ${(built.durationMs / 1000).toFixed(0)} s`}); baseline ${built.spec.baseline.passed} passed in ${built.spec.baseline.duration_s.toFixed(1)} s`);
const env = await openEnvironment(built);

let candidates: BugCandidate[];
if (values.candidates) candidates = await readJsonlAll<BugCandidate>(values.candidates, { schema: 'BugCandidate' });
else {
  const gen = await generateProceduralBugs(repoDir, { seed: 24, maxBugsPerModifier: Math.max(5, Math.ceil(n / 2)), envId: built.spec.id });
  candidates = gen.candidates;
  log(`procedural-bugs generated ${candidates.length} candidate(s)`);
}
candidates = seededShuffle(candidates, seed).slice(0, n);
const fullSample = seededShuffle(candidates, seed + 1).slice(0, Math.min(sample, candidates.length));

/** One mode's run: its results for the bench's candidates, stats, and the load average around it. */
interface ModeRun {
  results: ValidationResult[];
  stats: Record<string, unknown>;
  loadBefore: string;
  loadAfter: string;
  wallS: number;
}

// The baseline (and coverage map) is taken once, by the first mode, and copied to the others.
let baselineFrom: string | null = null;
async function runMode(name: string, cands: BugCandidate[], opts: Partial<Parameters<typeof validateCandidates>[2]>): Promise<ModeRun> {
  const out = join(work, `${name}.jsonl`);
  const p = validationPaths(out);
  if (baselineFrom && !existsSync(p.baseline)) {
    const from = validationPaths(baselineFrom);
    copyFileSync(from.baseline, p.baseline);
    if (existsSync(from.coverage)) copyFileSync(from.coverage, p.coverage);
  }
  log(`${name}: ${cands.length} candidate(s), load ${load()}`);
  const loadBefore = load();
  const t = Date.now();
  const r = await validateCandidates(env, cands, { out, workers, timeoutS, seed, log, progress: true, ...opts });
  if (!baselineFrom && existsSync(validationPaths(out).coverage)) baselineFrom = out;
  const ids = new Set(cands.map((c) => c.id));
  return { results: r.results.filter((x) => ids.has(x.candidate_id)), stats: r.stats, loadBefore, loadAfter: load(), wallS: (Date.now() - t) / 1000 };
}

let unbounded: ModeRun | null = null;
if (values['compare-bounds']) unbounded = await runMode('coverage-unbounded', candidates, { tests: 'coverage', bounds: false });
const cov = modes.has('coverage') ? await runMode('coverage', candidates, { tests: 'coverage' }) : null;
const warm = modes.has('warm') ? await runMode('warm', candidates, { tests: 'coverage', runner: 'warm', verifySample: Number(values.verify) }) : null;
const full = modes.has('full') && fullSample.length ? await runMode('full', fullSample, { tests: 'full' }) : null;
await env.dispose();

const finished = (rs: ValidationResult[]): ValidationResult[] => rs.filter((r) => r.status !== 'timeout');
const perCandidate = (rs: ValidationResult[]): number => {
  const f = finished(rs);
  return f.reduce((s, r) => s + r.duration_s, 0) / Math.max(1, f.length);
};
const selKind = (r: ValidationResult): string | undefined => (r.meta.selection as { kind?: string } | undefined)?.kind;
const f2pSame = (a: ValidationResult, b: ValidationResult): boolean => a.FAIL_TO_PASS.length === b.FAIL_TO_PASS.length && a.FAIL_TO_PASS.every((x) => b.FAIL_TO_PASS.includes(x));
const comparable = (r: ValidationResult): boolean => ['valid', 'no_f2p', 'no_p2p'].includes(r.status);
function agreement(a: ValidationResult[], b: ValidationResult[]): { same: number; compared: number; differ: string[] } {
  const byId = new Map(b.map((r) => [r.candidate_id, r]));
  let same = 0;
  let compared = 0;
  const differ: string[] = [];
  for (const r of a) {
    const o = byId.get(r.candidate_id);
    if (!o || !comparable(r) || !comparable(o)) continue;
    compared++;
    if (f2pSame(r, o)) same++;
    else differ.push(r.candidate_id);
  }
  return { same, compared, differ };
}
const pct = (x: number, total: number): string => `${x}/${total}${total ? ` (${((x / total) * 100).toFixed(0)}%)` : ''}`;

const anyRun = cov ?? warm ?? full;
const base = anyRun?.stats.baseline as { full_duration_s: number; tests: number; flaky: number; seconds: number } | undefined;
console.log(`repository            ${repoDir}`);
console.log(`runner                ${anyRun?.stats.runner === 'pytest-for-unittest' ? 'pytest standing in for the unittest runner (F2P/P2P in unittest ids)' : anyRun?.stats.runner === 'native' ? "the environment's pytest" : 'none: every candidate ran the full suite'}`);
if (base) console.log(`tests in baseline     ${base.tests} stable, ${base.flaky} flaky; one full run ${base.full_duration_s.toFixed(1)} s`);
console.log(`candidates            ${candidates.length} (full suite on ${fullSample.length} of them); workers ${workers}; machine load (1/5/15 min) at start of each mode in brackets`);
const row = (name: string, m: ModeRun | null, share: string, agree: string): void => {
  if (!m) return;
  const per = perCandidate(m.results);
  const to = m.results.length - finished(m.results).length;
  console.log(`${name.padEnd(9)} ${per.toFixed(2).padStart(7)} s/candidate ${(60 / Math.max(per, 1e-9)).toFixed(1).padStart(7)} candidates/min/worker   [load ${m.loadBefore} → ${m.loadAfter}]`);
  console.log(`          fast path: ${share}`);
  console.log(`          agreement: ${agree}${to ? `; ${to} timed out (excluded from timings)` : ''}`);
};
if (full) row('full', full, 'none (every test runs)', 'the reference');
if (cov) {
  const subset = cov.results.filter((r) => selKind(r) === 'tests').length;
  const none = cov.results.filter((r) => selKind(r) === 'none').length;
  const a = full ? agreement(cov.results, full.results) : null;
  row('coverage', cov, `${pct(subset + none, cov.results.length)} decided without the full suite (${subset} ran a subset, ${none} without running)`, a ? `F2P = full on ${pct(a.same, a.compared)}${a.differ.length ? ` (differ: ${a.differ.join(', ')})` : ''}` : 'no full sample');
}
if (warm) {
  const w = warm.stats.warm as { decided_warm: number; decided_without_run: number; ran_isolated: number; fallbacks: Record<string, number>; confirm_runs: number; confirm_s: number; disagreements: number; workers: { warmup_s: number[]; restarts: number; unavailable: string[] } };
  const v = warm.stats.verify as { compared: number; identical_f2p: number; identical_status: number; mismatches: unknown[]; paired: { warm_seconds_per_candidate: number; isolated_seconds_per_candidate: number; speedup: number } | null } | undefined;
  const forked = warm.results.filter((r) => (r.meta.warm as WarmMeta | undefined)?.path === 'warm').length;
  const vsCov = cov ? agreement(warm.results, cov.results) : null;
  const vsFull = full ? agreement(warm.results, full.results) : null;
  const parts = [
    v ? `verify sample forked vs isolated: F2P ${pct(v.identical_f2p, v.compared)}, status ${pct(v.identical_status, v.compared)}` : 'no verify sample',
    vsCov ? `F2P = coverage (isolated) on ${pct(vsCov.same, vsCov.compared)}${vsCov.differ.length ? ` (differ: ${vsCov.differ.join(', ')})` : ''}` : '',
    vsFull ? `F2P = full on ${pct(vsFull.same, vsFull.compared)}${vsFull.differ.length ? ` (differ: ${vsFull.differ.join(', ')})` : ''}` : '',
  ].filter(Boolean);
  row(
    'warm',
    warm,
    `${pct(forked, warm.results.length)} decided by a forked run, ${w.decided_without_run} without running (${pct(forked + w.decided_without_run, warm.results.length)} without a fresh python), ${w.ran_isolated} isolated${Object.keys(w.fallbacks).length ? `: ${Object.entries(w.fallbacks).map(([k, c]) => `${k} ${c}`).join(', ')}` : ''}`,
    parts.join('; '),
  );
  console.log(`          confirmations: ${w.confirm_runs} isolated F2P runs, ${w.confirm_s.toFixed(1)} s in all; ${w.disagreements} disagreement(s); workers warmed in ${w.workers.warmup_s.join(', ')} s, ${w.workers.restarts} restart(s)${w.workers.unavailable.length ? `, unavailable: ${w.workers.unavailable.join('; ')}` : ''}`);
  if (v?.paired) console.log(`          verify sample timing: forked ${v.paired.warm_seconds_per_candidate.toFixed(2)} s vs isolated ${v.paired.isolated_seconds_per_candidate.toFixed(2)} s per candidate (${v.paired.speedup.toFixed(1)}x)`);
  if (v?.mismatches.length) console.log(`          mismatches: ${JSON.stringify(v.mismatches).slice(0, 2000)}`);
  wallTarget(warm);
}
const speed = (a: ModeRun | null, b: ModeRun | null, an: string, bn: string): string | null => (a && b ? `${bn} ${(perCandidate(a.results) / Math.max(perCandidate(b.results), 1e-9)).toFixed(1)}x faster than ${an}` : null);
const speeds = [speed(full, cov, 'full', 'coverage'), speed(full, warm, 'full', 'warm'), speed(cov, warm, 'coverage', 'warm')].filter(Boolean);
if (speeds.length) console.log(`speed-up per candidate ${speeds.join('; ')}`);

/** The issue's per-candidate target: forked wall ≤ 1.5 × baseline seconds of the selected tests + 0.2 s. */
function wallTarget(m: ModeRun): void {
  const bpath = validationPaths(join(work, 'warm.jsonl'));
  if (!existsSync(bpath.baseline) || !existsSync(bpath.coverage)) return;
  const baseline = JSON.parse(readFileSync(bpath.baseline, 'utf8')) as BaselineRecord;
  const map = JSON.parse(readFileSync(bpath.coverage, 'utf8')) as CoverageMap;
  const ids = baseline.runner ? Object.values(baseline.runner.ids) : Object.keys(baseline.tests);
  const d = baseline.durations ?? {};
  let within = 0;
  let withinTotal = 0;
  let count = 0;
  const ratios: number[] = [];
  for (const r of m.results) {
    const w = r.meta.warm as WarmMeta | undefined;
    if (w?.path !== 'warm' || w.run_s === undefined) continue;
    const sel = selectByCoverage(map, r.candidate.patch, ids);
    if (sel.kind !== 'tests') continue;
    const testsS = sel.tests.reduce((s, id) => s + (d[id] ?? 0), 0);
    const limit = 1.5 * testsS + 0.2;
    count++;
    if (w.run_s <= limit) within++;
    if (r.duration_s <= limit) withinTotal++;
    ratios.push(w.run_s / Math.max(testsS, 0.01));
  }
  ratios.sort((a, b) => a - b);
  const med = ratios.length ? ratios[ratios.length >> 1] : 0;
  console.log(`          per-candidate wall ≤ 1.5 × selected tests' baseline + 0.2 s: forked run ${pct(within, count)}, whole candidate (apply, confirmation) ${pct(withinTotal, count)}; median forked run / tests' baseline ${med.toFixed(2)}`);
}

const share = (rs: ValidationResult[]): string => {
  const to = rs.filter((r) => r.status === 'timeout');
  return `${(timedOutShare(rs) * 100).toFixed(1)}% of ${rs.reduce((s, r) => s + r.duration_s, 0).toFixed(0)} s candidate run time (${to.length} timed out, ${to.reduce((s, r) => s + r.duration_s, 0).toFixed(0)} s)`;
};
if (unbounded && cov) {
  console.log(`timed-out share       before (--timeout ${timeoutS} s only): ${share(unbounded.results)}`);
  console.log(`                      after (bounded): ${share(cov.results)}`);
  const valid = (rs: ValidationResult[]): Set<string> => new Set(rs.filter((r) => r.status === 'valid').map((r) => r.candidate_id));
  const a = valid(unbounded.results);
  const b = valid(cov.results);
  const onlyA = [...a].filter((x) => !b.has(x));
  const onlyB = [...b].filter((x) => !a.has(x));
  console.log(`valid instances       ${onlyA.length + onlyB.length === 0 ? `identical (${a.size})` : `DIFFER: ${a.size} unbounded vs ${b.size} bounded; only unbounded ${JSON.stringify(onlyA)}, only bounded ${JSON.stringify(onlyB)}`}`);
}
console.log(`wall                  ${((Date.now() - t0) / 1000).toFixed(0)} s; load at end ${load()}`);
