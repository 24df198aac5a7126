/**
 * env-builder benchmark: build every repository given on the command line offline and print a table
 * (built?, baseline pass rate, seconds) plus the totals: how many build automatically, median seconds.
 *
 *   node --conditions=@swe-forge/source --import tsx bench/env/run.ts [--find-links DIR] [--cache-dir DIR] [--backend venv|bwrap] REPO...
 *
 * Defaults: --find-links /opt/pypi/files --no-index, a fresh cache folder under $TMPDIR (so every repo is
 * really built), sequential builds. Pass --json to get one JSON object per repo as well.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { BuildError, buildEnvironment } from '@swe-forge/env-builder';

const args = process.argv.slice(2);
const take = (flag: string, dflt: string): string => {
  const i = args.indexOf(flag);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const findLinks = take('--find-links', '/opt/pypi/files');
const cacheDir = take('--cache-dir', mkdtempSync(join(tmpdir(), 'swe-forge-bench-env-')));
const backend = take('--backend', 'venv') as 'venv' | 'bwrap';
const json = args.includes('--json');
const repos = args.filter((a) => !a.startsWith('--'));
if (!repos.length) {
  console.error('usage: bench/env/run.ts [--find-links DIR] [--cache-dir DIR] [--backend venv|bwrap] [--json] REPO...');
  process.exit(2);
}

interface Row {
  repo: string;
  ok: boolean;
  passed: number;
  ran: number;
  rate: number;
  seconds: number;
  repairs: number;
  note: string;
}
const rows: Row[] = [];
for (const repo of repos) {
  const t = Date.now();
  try {
    const b = await buildEnvironment(resolve(repo), {
      cacheDir,
      findLinks: [findLinks],
      noIndex: true,
      backend,
      rebuild: true,
    });
    const s = b.spec.baseline;
    const ran = s.passed + s.failed + s.errors;
    rows.push({
      repo: basename(repo),
      ok: true,
      passed: s.passed,
      ran,
      rate: ran ? s.passed / ran : 0,
      seconds: (Date.now() - t) / 1000,
      repairs: Number(b.spec.meta.repair_rounds ?? 0),
      note: `${s.flaky.length} flaky; ${b.spec.install.length} install cmds`,
    });
  } catch (e) {
    const m = /(\d+)\/(\d+) tests passed/.exec((e as Error).message);
    rows.push({
      repo: basename(repo),
      ok: false,
      passed: m ? Number(m[1]) : 0,
      ran: m ? Number(m[2]) : 0,
      rate: m ? Number(m[1]) / Number(m[2]) : 0,
      seconds: (Date.now() - t) / 1000,
      repairs: 0,
      note: (e instanceof BuildError ? e.message.replace(/ \(build log.*$/, '') : (e as Error).message).slice(0, 90),
    });
  }
  const r = rows.at(-1)!;
  if (json) console.log(JSON.stringify(r));
  else console.error(`${r.ok ? 'ok  ' : 'FAIL'} ${r.repo} ${r.seconds.toFixed(1)}s ${r.note}`);
}
const pad = (s: string, n: number): string => s.padEnd(n);
console.log(`\n${pad('repo', 34)} ${pad('built', 6)} ${pad('passed/ran', 12)} ${pad('rate', 7)} ${pad('secs', 7)} note`);
for (const r of rows)
  console.log(
    `${pad(r.repo, 34)} ${pad(r.ok ? 'yes' : 'no', 6)} ${pad(`${r.passed}/${r.ran}`, 12)} ${pad(`${(r.rate * 100).toFixed(1)}%`, 7)} ${pad(
      r.seconds.toFixed(1),
      7
    )} ${r.note}`
  );
const secs = rows.map((r) => r.seconds).sort((a, b) => a - b);
const median = secs.length % 2 ? secs[(secs.length - 1) / 2] : (secs[secs.length / 2 - 1] + secs[secs.length / 2]) / 2;
const ok = rows.filter((r) => r.ok);
const rates = ok.map((r) => r.rate).sort((a, b) => a - b);
console.log(
  `\nbuilt automatically: ${ok.length}/${rows.length}; median seconds per repo: ${median.toFixed(1)}; median baseline pass rate (built): ${
    rates.length ? (rates[Math.floor(rates.length / 2)] * 100).toFixed(1) : '-'
  }%; mean: ${rates.length ? ((rates.reduce((a, b) => a + b, 0) / rates.length) * 100).toFixed(1) : '-'}%`
);
