/**
 * buildEnvironment: detect → scrub → venv → install (with bounded repair) → collection repair →
 * baseline (twice, flaky tests marked) → cached EnvSpec. Every step and its outcome go to build.log.
 */
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runShell } from '@swe-forge/core/proc';
import { contentHash, repoSlug } from '@swe-forge/core/ids';
import { parseTestLog, stripAnsi, summarize } from '@swe-forge/core/testlog';
import { EnvSpecSchema, type EnvSpec, type TestStatus } from '@swe-forge/core/schema';
import {
  OPTION_PLUGINS,
  detectSync,
  loosen,
  normalizeName,
  pipFlags,
  renderStep,
  requirementName,
  shq,
  type Detection,
  type InstallStep,
} from '../detect/index.js';
import { markerAllows, parseRequirementsText } from '../detect/requirements.js';
import { readText, writeText } from '../sandbox/local.js';
import { scrubRepository } from '../scrub.js';
import { layoutOf, loadSpec, makeSandbox, type BuiltEnvironment, type EnvLayout } from '../environment.js';
import { distributionFor, wheelhouseIndex } from './modmap.js';

/** Options of {@link buildEnvironment}. */
export interface BuildOptions {
  /** Where environments are cached (default: `$SWE_FORGE_HOME/envs`, SWE_FORGE_HOME defaults to ~/.cache/swe-forge). */
  cacheDir?: string;
  /** Backend recorded in the spec and used for the baseline run (default `venv`). */
  backend?: 'venv' | 'bwrap';
  /** Wheelhouse folders for pip (`--find-links`). */
  findLinks?: string[];
  /** Never contact a package index (`--no-index`). */
  noIndex?: boolean;
  /** Package index URL passed to pip. */
  indexUrl?: string;
  /** Interpreter to use (default: the detected version if installed, else python3). */
  python?: string;
  /** Extra distributions to install (e.g. `coverage` for coverage-based test selection). */
  extraPackages?: string[];
  /** Fraction of collected (run) tests that must pass at baseline (default 0.8). */
  minPassRate?: number;
  /** Ignore a cached environment and build again. */
  rebuild?: boolean;
  /** Receives each build-log line as it is written. */
  log?: (line: string) => void;
  /** Repair rounds after the install (collection/baseline driven; default 6). */
  maxRepairRounds?: number;
  /** Timeout of one baseline run in ms (default 30 min). */
  baselineTimeoutMs?: number;
  /** Baseline runs (default 2; tests whose status differs are flaky). */
  baselineRuns?: number;
  /** Shared pip cache (default: `<cacheDir>/.pip-cache`). */
  pipCacheDir?: string;
  /** Parent folder of the working copies used during the build (default `$TMPDIR/swe-forge-work`). */
  workDir?: string;
}

/** A build that did not produce an accepted environment: the reason, the log, and the last meaningful output. */
export class BuildError extends Error {
  override name = 'BuildError';
  constructor(message: string, readonly logPath: string, readonly tail: string[] = []) {
    super(message);
  }
}

/** Default cache folder: `$SWE_FORGE_HOME/envs` (SWE_FORGE_HOME defaults to ~/.cache/swe-forge). */
export function defaultCacheDir(): string {
  return join(process.env.SWE_FORGE_HOME ?? join(homedir(), '.cache', 'swe-forge'), 'envs');
}

const FIXTURE_PLUGINS: Record<string, string> = {
  mocker: 'pytest-mock',
  class_mocker: 'pytest-mock',
  benchmark: 'pytest-benchmark',
  httpserver: 'pytest-httpserver',
  freezer: 'pytest-freezer',
  event_loop: 'pytest-asyncio',
  snapshot: 'syrupy',
  requests_mock: 'requests-mock',
  datadir: 'pytest-datadir',
  shared_datadir: 'pytest-datadir',
  subtests: 'pytest-subtests',
  faker: 'Faker',
  aioresponses: 'aioresponses',
  respx_mock: 'respx',
  httpx_mock: 'pytest-httpx',
  lazy_fixture: 'pytest-lazy-fixture',
};
const MARKER_PLUGINS: Record<string, string> = {
  asyncio: 'pytest-asyncio',
  timeout: 'pytest-timeout',
  benchmark: 'pytest-benchmark',
  django_db: 'pytest-django',
  flaky: 'flaky',
  freeze_time: 'pytest-freezer',
  mpl_image_compare: 'pytest-mpl',
  order: 'pytest-order',
  trio: 'pytest-trio',
  anyio: 'anyio',
};

interface Ctx {
  opts: BuildOptions;
  logPath: string;
  log: (line: string) => void;
  venv: string;
  template: string;
  pipEnv: NodeJS.ProcessEnv;
  det: Detection;
  python: string;
  started: number;
  tried: Set<string>;
  cacheDir: string;
  /** `major.minor` of the venv's interpreter. */
  pyVersion: string;
  /** Repairs that could not be applied (reported when the baseline is rejected). */
  unresolved: string[];
  /** Offline only: what the wheelhouse holds (null when an index may be used). */
  listing: Map<string, Set<string>> | null;
}

function since(t: number): string {
  return `${((Date.now() - t) / 1000).toFixed(1)}s`;
}

/** A count from pytest's final summary line (`== 3 passed, 2 skipped in 0.1s ==`); skips carry no test id in `-rA`. */
export function summaryCount(out: string, what: string): number {
  const lines = stripAnsi(out)
    .split('\n')
    .filter((l) => /^=+ .* in [\d.]+s/.test(l.trim()));
  const m = new RegExp(`(\\d+) ${what}`).exec(lines.at(-1) ?? '');
  return m ? Number(m[1]) : 0;
}

/** The last meaningful lines of a test or pip output (no blanks, no rulers). */
export function meaningfulTail(text: string, n = 15): string[] {
  return stripAnsi(text)
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(
      (l, i, all) =>
        l.trim() &&
        !/^[=_-]{5,}\s*$/.test(l.trim()) &&
        !/^\s*warnings\.warn/.test(l) &&
        !(i < all.length - 1 && /^={3,} [A-Za-z ]+ ={3,}$/.test(l.trim()))
    )
    .slice(-n);
}

const probes = new Map<string, Promise<{ version: string; exe: string } | null>>();

/** `major.minor` and real executable of an interpreter (memoized: pyenv shims cost a second each). */
function probe(py: string): Promise<{ version: string; exe: string } | null> {
  let p = probes.get(py);
  if (!p) {
    p = run([py, '-c', 'import sys;print("%d.%d" % sys.version_info[:2]);print(sys.executable)'], { timeoutMs: 30_000 }).then(
      (r) => {
        const [version, exe] = r.stdout.trim().split('\n');
        return r.exitCode === 0 && version && exe ? { version, exe } : null;
      },
      () => null
    );
    probes.set(py, p);
  }
  return p;
}

async function probePython(py: string): Promise<string | null> {
  return (await probe(py))?.version ?? null;
}

/** Find an interpreter for `version` (python3.X on PATH, then pyenv), else fall back to python3. */
async function findPython(version: string, log: (l: string) => void): Promise<{ exe: string; version: string }> {
  const host = await probe('python3');
  if (host?.version === version) return { exe: host.exe, version };
  const cands = [`python${version}`];
  const pyenv = join(process.env.PYENV_ROOT ?? join(homedir(), '.pyenv'), 'versions');
  if (existsSync(pyenv))
    for (const d of readdirSync(pyenv).sort().reverse())
      if (d.startsWith(`${version}.`)) cands.push(join(pyenv, d, 'bin', `python${version}`));
  for (const c of cands) {
    const p = await probe(c);
    if (p?.version === version) return { exe: p.exe, version };
  }
  log(`python ${version} is not installed; using python3 (${host?.version ?? 'unknown'})`);
  return { exe: host?.exe ?? 'python3', version: host?.version ?? version };
}

async function hostPythonVersion(): Promise<string> {
  return (await probePython('python3')) ?? '3.11';
}

/**
 * Create a venv quickly: `venv --without-pip`, then copy pip/setuptools from a seed venv made once per
 * interpreter (ensurepip costs seconds per build; a copy costs milliseconds).
 */
async function createVenv(exe: string, venv: string, cacheRoot: string, env: NodeJS.ProcessEnv): Promise<{ ok: boolean; out: string }> {
  const real = await run([exe, '-c', 'import sys;print(sys.executable);print(sys.version)'], { env });
  if (real.exitCode !== 0) return { ok: false, out: real.stderr };
  const seed = join(cacheRoot, 'seed-venvs', contentHash(real.stdout).slice(0, 16));
  if (!existsSync(join(seed, '.complete'))) {
    const tmp = `${seed}.tmp-${process.pid}-${Date.now()}`;
    const r = await run([exe, '-m', 'venv', tmp], { env, timeoutMs: 300_000 });
    if (r.exitCode !== 0) return { ok: false, out: `${r.stdout}\n${r.stderr}` };
    writeFileSync(join(tmp, '.complete'), '');
    try {
      renameSync(tmp, seed);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another build made it first
    }
  }
  const r = await run([exe, '-m', 'venv', '--without-pip', venv], {
    env,
    timeoutMs: 300_000,
  });
  if (r.exitCode !== 0) return { ok: false, out: `${r.stdout}\n${r.stderr}` };
  cpSync(sitePackages(seed), sitePackages(venv), { recursive: true });
  for (const n of readdirSync(join(seed, 'bin'))) {
    if (!/^(pip|easy_install)/.test(n)) continue;
    const text = readFileSync(join(seed, 'bin', n), 'utf8');
    writeFileSync(join(venv, 'bin', n), text.replace(/^#!.*\n/, `#!${join(venv, 'bin', 'python')}\n`), { mode: 0o755 });
  }
  return { ok: true, out: '' };
}

/** Run one logged command in the template with the venv first on PATH. */
async function step(ctx: Ctx, cmd: string, label: string, timeoutMs = 900_000): Promise<{ ok: boolean; out: string }> {
  const t = Date.now();
  const r = await runShell(cmd, {
    cwd: ctx.template,
    env: ctx.pipEnv,
    timeoutMs,
  });
  const out = `${r.stdout}\n${r.stderr}`;
  const ok = r.exitCode === 0 && !r.timedOut;
  ctx.log(`[${label}] ${cmd} -> ${ok ? 'ok' : r.timedOut ? 'TIMEOUT' : `exit ${r.exitCode}`} (${since(t)})`);
  appendFileSync(
    ctx.logPath,
    `${out
      .split('\n')
      .map((l) => `    | ${l}`)
      .join('\n')}\n`
  );
  return { ok, out };
}

function pipInstall(ctx: Ctx, args: string[]): string {
  return ['python', '-m', 'pip', 'install', ...pipFlags(ctx.opts), ...args].map(shq).join(' ');
}

/** Requirement lines a pip error names as unsatisfiable. */
function unsatisfied(out: string): string[] {
  return [...out.matchAll(/No matching distribution found for ([^\s]+)/g)].map((m) => m[1]);
}

/**
 * Install requirements robustly: all at once; else with pins loosened; else one by one, skipping
 * what the wheelhouse cannot satisfy. Returns what was skipped.
 */
async function installRobust(ctx: Ctx, reqs: string[], label: string): Promise<{ skipped: string[]; commands: string[] }> {
  // Environment markers decided here: pip would skip them anyway, and loosening would drop them.
  let list = [...new Set(reqs.map((r) => r.trim()).filter((r) => r && markerAllows(r, ctx.pyVersion)))];
  if (!list.length) return { skipped: [], commands: [] };
  const skipped: string[] = [];
  // Offline, the wheelhouse listing says up front what cannot be installed and which pins to loosen.
  if (ctx.listing) {
    const keep: string[] = [];
    for (const r of list) {
      const name = requirementName(r);
      if (!name) {
        keep.push(r);
        continue;
      }
      const versions = ctx.listing.get(normalizeName(name));
      if (!versions) skipped.push(r);
      else {
        const pin = /===?\s*([A-Za-z0-9.+!_-]+)/.exec(r.split(';')[0]);
        keep.push(pin && !versions.has(pin[1]) ? loosen(r) ?? r : r);
      }
    }
    if (skipped.length) ctx.log(`[${label}] not in the wheelhouse, skipped: ${skipped.join(', ')}`);
    list = [...new Set(keep)];
    if (!list.length) return { skipped, commands: [] };
  }
  // All at once; on failure drop (or loosen) what pip names as unsatisfiable and retry, a few rounds.
  for (let round = 0; round < 4 && list.length; round++) {
    const cmd = pipInstall(ctx, list);
    const r = await step(ctx, cmd, round ? `${label}: retry ${round}` : label);
    if (r.ok) {
      if (skipped.length) ctx.log(`[${label}] skipped (not installable offline): ${skipped.join(', ')}`);
      return { skipped, commands: [cmd] };
    }
    const bad = new Set(unsatisfied(r.out).map((u) => normalizeName(requirementName(u) ?? u)));
    if (!bad.size) break;
    const next: string[] = [];
    for (const q of list) {
      const n = requirementName(q);
      if (!n || !bad.has(normalizeName(n))) next.push(q);
      else if (loosen(q) && loosen(q) !== q) next.push(loosen(q)!);
      else skipped.push(q);
    }
    if (next.join('\n') === list.join('\n')) break;
    list = next;
  }
  const loose = [...new Set(list.map((r) => loosen(r)).filter((r): r is string => !!r))];
  const looseCmd = pipInstall(ctx, loose);
  if (loose.length && loose.join() !== list.join() && (await step(ctx, looseCmd, `${label}: pins loosened`)).ok) {
    skipped.push(...list.filter((r) => !loosen(r)));
    return { skipped, commands: [looseCmd] };
  }
  const ok: string[] = [];
  if (loose.length > 1 && loose.length <= 40) {
    for (const r of loose) {
      if ((await step(ctx, pipInstall(ctx, [r]), `${label}: one by one`)).ok) ok.push(r);
      else skipped.push(r);
    }
  } else skipped.push(...loose);
  skipped.push(...list.filter((r) => !loosen(r)));
  if (skipped.length) ctx.log(`[${label}] skipped (not installable offline): ${skipped.join(', ')}`);
  return { skipped, commands: ok.length ? [pipInstall(ctx, ok)] : [] };
}

/** Distribution name → available versions of the wheels/sdists in the find-links folders. */
export function wheelhouseListing(dirs: string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const d of dirs) {
    let names: string[] = [];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names) {
      let m = /^([^-]+)-([^-]+)(-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$/.exec(n);
      if (!m) m = /^(.+)-(\d[^-]*)\.(tar\.gz|zip|tar\.bz2)$/.exec(n);
      if (!m) continue;
      const key = normalizeName(m[1]);
      if (!out.has(key)) out.set(key, new Set());
      out.get(key)!.add(m[2]);
    }
  }
  return out;
}

/** Expand a requirements file with its `-r` includes into requirement lines. */
function expandRequirements(root: string, file: string, seen = new Set<string>()): { reqs: string[]; editables: string[] } {
  if (seen.has(file)) return { reqs: [], editables: [] };
  seen.add(file);
  const text = readText(join(root, file));
  if (text === null) return { reqs: [], editables: [] };
  const p = parseRequirementsText(text);
  const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
  const out = { reqs: [...p.requirements], editables: [...p.editables] };
  for (const inc of p.includes) {
    const sub = expandRequirements(root, existsSync(join(root, dir, inc)) ? `${dir}${inc}` : inc, seen);
    out.reqs.push(...sub.reqs);
    out.editables.push(...sub.editables);
  }
  return out;
}

function sitePackages(venv: string): string {
  const lib = join(venv, 'lib');
  const py = readdirSync(lib).find((d) => d.startsWith('python'));
  return join(lib, py ?? 'python3', 'site-packages');
}

/** Path mode: a .pth file that puts the template's import roots on sys.path (working copies override via PYTHONPATH). */
function pathMode(ctx: Ctx, why: string): void {
  const pth = join(sitePackages(ctx.venv), 'swe_forge_project.pth');
  writeText(pth, `${ctx.det.importRoots.map((r) => join(ctx.template, r)).join('\n')}\n`);
  ctx.log(`[project] path mode (${why}): wrote ${pth}`);
}

async function installProject(ctx: Ctx, s: Extract<InstallStep, { kind: 'project' }>, installed: string[]): Promise<void> {
  let noIso = false;
  const tryCmd = async (
    o: { noBuildIsolation?: boolean; noDeps?: boolean },
    label: string
  ): Promise<{ ok: boolean; out: string; cmd: string }> => {
    const cmd = renderStep(s, ctx.opts, { editable: true, ...o });
    return { ...(await step(ctx, cmd, label)), cmd };
  };
  let r = await tryCmd({}, 'project');
  if (r.ok) return void installed.push(r.cmd);
  const buildNames = new Set(
    ctx.det.buildRequires
      .map((b) => requirementName(b))
      .filter(Boolean)
      .map((n) => normalizeName(n!))
  );
  const missing = unsatisfied(r.out);
  const backendPin =
    missing.some((m) => buildNames.has(normalizeName(requirementName(m) ?? m))) || /Installing build dependencies[^\n]*error/.test(r.out);
  if (backendPin) {
    ctx.log(
      `[repair] build backend requirement not satisfiable (${
        missing.join(', ') || 'build dependencies'
      }): installing the available backend and retrying with --no-build-isolation`
    );
    const backend = ctx.det.buildRequires.map((b) => loosen(b)).filter((b): b is string => !!b);
    installed.push(...(await installRobust(ctx, [...backend, 'setuptools', 'wheel'], 'repair: build backend')).commands);
    noIso = true;
    r = await tryCmd({ noBuildIsolation: true }, 'project: --no-build-isolation');
    if (r.ok) return void installed.push(r.cmd);
  }
  const runtimeMissing = unsatisfied(r.out).filter((m) => !buildNames.has(normalizeName(requirementName(m) ?? m)));
  if (runtimeMissing.length) {
    ctx.log(
      `[repair] runtime dependencies not in the wheelhouse (${runtimeMissing.join(
        ', '
      )}): installing the project with --no-deps, then its dependencies one by one`
    );
    r = await tryCmd({ noBuildIsolation: noIso, noDeps: true }, 'project: --no-deps');
    if (r.ok) {
      installed.push(r.cmd);
      installed.push(...(await installRobust(ctx, ctx.det.projectDeps, 'repair: project dependencies')).commands);
      return;
    }
  }
  if (!noIso) {
    ctx.log('[repair] the isolated build failed: retrying without build isolation with the backend installed in the venv');
    const backend = ctx.det.buildRequires.map((b) => loosen(b)).filter((b): b is string => !!b);
    installed.push(...(await installRobust(ctx, [...backend, 'setuptools', 'wheel'], 'repair: build backend')).commands);
    r = await tryCmd({ noBuildIsolation: true, noDeps: true }, 'project: --no-build-isolation --no-deps');
    if (r.ok) {
      installed.push(r.cmd);
      installed.push(...(await installRobust(ctx, ctx.det.projectDeps, 'repair: project dependencies')).commands);
      return;
    }
  }
  ctx.log('[repair] the project cannot be built: falling back to path mode');
  pathMode(ctx, 'the build failed');
  installed.push(`# path mode: ${ctx.det.importRoots.join(', ')} on sys.path via swe_forge_project.pth`);
  installed.push(...(await installRobust(ctx, ctx.det.projectDeps, 'repair: project dependencies')).commands);
}

interface Fix {
  kind: 'install' | 'addopts';
  dist?: string;
  why: string;
}

/** Read repairable problems out of a pytest collection or run output. */
async function findFixes(ctx: Ctx, out: string, testCmd: string): Promise<Fix[]> {
  const fixes: Fix[] = [];
  const text = stripAnsi(out);
  const own = new Set<string>();
  for (const r of ctx.det.importRoots) {
    try {
      for (const n of readdirSync(join(ctx.template, r))) own.add(n.replace(/\.py$/, ''));
    } catch {
      /* unreadable root */
    }
  }
  let wheelhouse: Record<string, string> | null = null;
  const mods = new Set<string>();
  for (const m of text.matchAll(/(?:ModuleNotFoundError: No module named|ImportError: No module named) '?([A-Za-z_][\w.]*)'?/g))
    mods.add(m[1]);
  for (const mod of mods) {
    const top = mod.split('.')[0];
    if (own.has(top)) continue;
    if (!wheelhouse)
      wheelhouse = ctx.opts.findLinks?.length
        ? await wheelhouseIndex(ctx.opts.findLinks, ctx.python, String(ctx.pipEnv.PIP_CACHE_DIR))
        : {};
    const { dist, source } = distributionFor(mod, wheelhouse);
    fixes.push({
      kind: 'install',
      dist,
      why: `ModuleNotFoundError '${mod}' → ${dist} (${source})`,
    });
  }
  const unknown = /error: unrecognized arguments: ([^\n]+)/.exec(text);
  if (unknown) {
    let mapped = false;
    for (const arg of unknown[1].trim().split(/\s+/)) {
      for (const [re, dist] of OPTION_PLUGINS) {
        if (re.test(arg)) {
          fixes.push({
            kind: 'install',
            dist,
            why: `pytest option ${arg} comes from ${dist}`,
          });
          mapped = true;
        }
      }
    }
    if (!mapped || fixes.every((f) => ctx.tried.has(`install:${f.dist}`)))
      fixes.push({
        kind: 'addopts',
        why: `pytest rejects ${unknown[1].trim()} from addopts and no plugin provides it: overriding addopts`,
      });
  }
  for (const m of text.matchAll(/'([\w]+)' not found in `markers` configuration option/g)) {
    const dist = MARKER_PLUGINS[m[1]];
    if (dist)
      fixes.push({
        kind: 'install',
        dist,
        why: `marker '${m[1]}' is registered by ${dist}`,
      });
  }
  for (const m of text.matchAll(/fixture '([\w]+)' not found/g)) {
    const dist = FIXTURE_PLUGINS[m[1]];
    if (dist)
      fixes.push({
        kind: 'install',
        dist,
        why: `fixture '${m[1]}' comes from ${dist}`,
      });
  }
  if (
    !testCmd.includes('addopts=') &&
    /ERROR: usage:|error: unrecognized arguments/.test(text) &&
    !fixes.some((f) => f.kind === 'addopts') &&
    fixes.every((f) => ctx.tried.has(`install:${f.dist}`))
  )
    fixes.push({
      kind: 'addopts',
      why: 'pytest rejects its configured addopts: overriding addopts',
    });
  const seen = new Set<string>();
  return fixes.filter((f) => {
    const k = f.kind === 'install' ? `install:${f.dist}` : 'addopts';
    if (seen.has(k) || ctx.tried.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Apply fixes; returns the (maybe changed) test command and whether anything changed. */
async function applyFixes(ctx: Ctx, fixes: Fix[], testCmd: string, installed: string[]): Promise<{ testCmd: string; changed: boolean }> {
  let changed = false;
  for (const f of fixes) {
    ctx.log(`[repair] ${f.why}`);
    if (f.kind === 'install') {
      ctx.tried.add(`install:${f.dist}`);
      const r = await installRobust(ctx, [f.dist!], 'repair: install');
      installed.push(...r.commands);
      if (!r.skipped.length) changed = true;
      else if (Object.values(ctx.det.plugins).includes(f.dist!) && !ctx.tried.has('addopts')) {
        ctx.tried.add('addopts');
        testCmd = `${testCmd} -o addopts=''`;
        ctx.log(`[repair] ${f.dist} is not installable: overriding addopts (-o addopts='')`);
        changed = true;
      } else ctx.unresolved.push(`${f.why} — not installable${ctx.listing ? ' (not in the wheelhouse)' : ''}`);
    } else {
      ctx.tried.add('addopts');
      testCmd = `${testCmd} -o addopts=''`;
      changed = true;
    }
  }
  return { testCmd, changed };
}

/** What the install + baseline phase produced (state.json), enough to re-judge acceptance without rebuilding. */
interface BuildState {
  installed: string[];
  testCmd: string;
  rounds: number;
  unresolved: string[];
  py: { exe: string; version: string };
  runs: RunOutcome[];
}

/** Result of one baseline run. */
interface RunOutcome {
  tests: Record<string, TestStatus>;
  out: string;
  exitCode: number | null;
  timedOut: boolean;
  durationS: number;
}

/** Build (or reuse) the environment of a repository; runs the baseline and rejects a failing one. */
export async function buildEnvironment(repoDir: string, opts: BuildOptions = {}): Promise<BuiltEnvironment> {
  const started = Date.now();
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  mkdirSync(cacheDir, { recursive: true });
  const backend = opts.backend ?? 'venv';
  const hostPy = opts.python ? (await probePython(opts.python)) ?? '3' : await hostPythonVersion();
  const det = detectSync(repoDir, {
    findLinks: opts.findLinks,
    noIndex: opts.noIndex,
    indexUrl: opts.indexUrl,
    defaultPython: hostPy,
    backend,
  });

  // Scrub first: the scrubbed tree hash is the content identity of the environment.
  const staging = join(cacheDir, `.staging-${process.pid}-${Date.now()}`);
  const scrub = await scrubRepository(repoDir, staging);
  const specHash = contentHash(
    JSON.stringify({
      plan: det.plan,
      python: opts.python ?? det.spec.python,
      test_cmd: det.spec.test_cmd,
      roots: det.importRoots,
      findLinks: opts.findLinks ?? [],
      noIndex: !!opts.noIndex,
      indexUrl: opts.indexUrl ?? '',
      extra: opts.extraPackages ?? [],
      backend,
      v: 1,
    })
  );
  const key = contentHash(scrub.tree, specHash);
  const slug = repoSlug(det.spec.repo);
  const envDir = join(cacheDir, `${slug}.${key.slice(0, 12)}`);
  const logPath = join(envDir, 'build.log');
  const release = await acquireLock(`${envDir}.lock`, opts.log);
  try {
    return await buildLocked();
  } finally {
    release();
  }

  async function buildLocked(): Promise<BuiltEnvironment> {
    if (!opts.rebuild && existsSync(join(envDir, 'spec.json'))) {
      rmSync(staging, { recursive: true, force: true });
      const spec = loadSpec(envDir);
      layoutOf(spec);
      opts.log?.(`cached environment ${spec.id} at ${envDir}`);
      return {
        spec,
        dir: envDir,
        cached: true,
        durationMs: Date.now() - started,
        logPath,
      };
    }
    /** Install, repair and run the baseline; the result is kept in state.json so a rejected build can be re-judged. */
    const prepareFresh = async (): Promise<BuildState> => {
      rmSync(envDir, { recursive: true, force: true });
      mkdirSync(envDir, { recursive: true });
      const template = join(envDir, 'repo');
      renameSync(staging, template);
      writeFileSync(logPath, '');
      log(`building ${repoDir} -> ${envDir} (tree ${scrub.tree.slice(0, 12)}, spec ${specHash.slice(0, 12)})`);
      for (const r of det.reasons) log(`detect ${r.field} = ${r.value}: ${r.why}`);

      const py = opts.python ? { exe: opts.python, version: hostPy } : await findPython(det.spec.python, log);
      const venv = join(envDir, 'venv');
      const pipCache = opts.pipCacheDir ?? join(cacheDir, '.pip-cache');
      const pipEnv: NodeJS.ProcessEnv = { ...process.env };
      for (const k of ['PYTHONPATH', 'PYTHONHOME', 'PIP_REQUIRE_VIRTUALENV', 'PIP_USER']) delete pipEnv[k];
      Object.assign(pipEnv, {
        PATH: `${join(venv, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
        VIRTUAL_ENV: venv,
        PIP_DISABLE_PIP_VERSION_CHECK: '1',
        PIP_NO_INPUT: '1',
        PIP_RETRIES: '0',
        PIP_DEFAULT_TIMEOUT: '10',
        PIP_PROGRESS_BAR: 'off',
        PIP_CACHE_DIR: pipCache,
        PYTHONDONTWRITEBYTECODE: '1',
        SETUPTOOLS_SCM_PRETEND_VERSION: '0.0.0',
      });
      if (opts.noIndex) pipEnv.PIP_NO_INDEX = '1';
      if (opts.findLinks?.length) pipEnv.PIP_FIND_LINKS = opts.findLinks.join(' ');
      if (opts.indexUrl && !opts.noIndex) pipEnv.PIP_INDEX_URL = opts.indexUrl;
      ctx = {
        opts,
        logPath,
        log,
        venv,
        template,
        pipEnv,
        det,
        python: py.exe,
        started,
        tried: new Set(),
        cacheDir,
        pyVersion: py.version,
        listing: opts.noIndex && opts.findLinks?.length ? wheelhouseListing(opts.findLinks) : null,
        unresolved: [],
      };

      const tv = Date.now();
      const mk = await createVenv(py.exe, venv, pipCache, pipEnv);
      log(`[venv] ${py.exe} -m venv ${venv} (pip from a seed venv) -> ${mk.ok ? 'ok' : 'FAILED'} (${since(tv)})`);
      if (!mk.ok) fail(`creating the venv with ${py.exe} failed`, meaningfulTail(mk.out));

      // ---- install plan -------------------------------------------------------------------
      const installed: string[] = [];
      // One pip run for the whole plan when it resolves (much faster); else step by step with repairs.
      let combined = false;
      if (det.plan.length > 1) {
        const args: string[] = [];
        for (const s of det.plan) {
          if (s.kind === 'project') args.push('-e', s.extras.length ? `.[${s.extras.join(',')}]` : '.');
          else if (s.kind === 'requirements') args.push('-r', s.file);
          else args.push(...s.packages);
        }
        const cmd = pipInstall(ctx, args);
        combined = (await step(ctx, cmd, 'install: whole plan')).ok;
        if (combined) installed.push(cmd);
      }
      for (const s of combined ? [] : det.plan) {
        if (s.kind === 'project') await installProject(ctx, s, installed);
        else if (s.kind === 'requirements') {
          const cmd = renderStep(s, opts);
          const r = await step(ctx, cmd, 'requirements');
          if (r.ok) installed.push(cmd);
          else {
            ctx.log(`[repair] ${s.file} does not install as a whole: installing its requirements robustly`);
            const { reqs } = expandRequirements(template, s.file);
            installed.push(
              ...(
                await installRobust(
                  ctx,
                  reqs.filter((q) => requirementName(q)),
                  `requirements ${s.file}`
                )
              ).commands
            );
          }
        } else {
          installed.push(...(await installRobust(ctx, s.packages, 'packages')).commands);
        }
      }
      if (!det.plan.some((s) => s.kind === 'project')) pathMode(ctx, 'no packaging metadata');
      if (opts.extraPackages?.length) {
        const r = await installRobust(ctx, opts.extraPackages, 'extra packages');
        installed.push(...r.commands);
        if (r.skipped.length) fail(`extra packages not installable: ${r.skipped.join(', ')}`);
      }

      // ---- layout + sandboxes ---------------------------------------------------------------
      const sandboxEnv: Record<string, string> = {};
      if (opts.noIndex) sandboxEnv.PIP_NO_INDEX = '1';
      if (opts.findLinks?.length) sandboxEnv.PIP_FIND_LINKS = opts.findLinks.join(' ');
      const layout: EnvLayout = {
        env_dir: envDir,
        venv,
        template,
        import_roots: det.importRoots,
        sandbox_env: sandboxEnv,
      };
      const workDir = opts.workDir ?? join(tmpdir(), 'swe-forge-work');
      let testCmd = det.spec.test_cmd;
      const maxRounds = opts.maxRepairRounds ?? 6;
      let rounds = 0;

      // ---- collection repair (pytest) --------------------------------------------------------
      if (det.spec.test_framework === 'pytest') {
        const sb = await makeSandbox(layout, backend, workDir);
        try {
          while (rounds < maxRounds) {
            const r = await sb.exec(`${testCmd} --collect-only -q`, {
              timeoutMs: 600_000,
            });
            const out = `${r.stdout}\n${r.stderr}`;
            const n = /(\d+) tests? collected|collected (\d+) items?/.exec(out);
            log(
              `[collect] round ${rounds + 1}: exit ${r.exitCode}${n ? `, ${n[1] ?? n[2]} tests` : ''} (${(r.durationMs / 1000).toFixed(
                1
              )}s)`
            );
            appendFileSync(
              logPath,
              `${meaningfulTail(out, 30)
                .map((l) => `    | ${l}`)
                .join('\n')}\n`
            );
            const fixes = await findFixes(ctx, out, testCmd);
            if (!fixes.length) break;
            rounds++;
            const a = await applyFixes(ctx, fixes, testCmd, installed);
            testCmd = a.testCmd;
            if (!a.changed) break;
          }
        } finally {
          await sb.dispose();
        }
      }

      // ---- baseline -----------------------------------------------------------------------------
      const runs: RunOutcome[] = [];
      const nRuns = Math.max(1, opts.baselineRuns ?? 2);
      const sb = await makeSandbox(layout, backend, workDir);
      try {
        while (runs.length < nRuns) {
          await sb.reset();
          const r = await sb.exec(testCmd, {
            timeoutMs: opts.baselineTimeoutMs ?? 1_800_000,
          });
          const out = det.spec.log_parser === 'unittest' ? `${r.stdout}\n${r.stderr}` : r.stdout;
          const tests = parseTestLog(det.spec.log_parser, out);
          const sum = summarize(tests);
          log(
            `[baseline] run ${runs.length + 1}: ${sum.passed} passed, ${sum.failed} failed, ${sum.errors} errors, ${
              sum.skipped
            } skipped (exit ${r.exitCode}${r.timedOut ? ', TIMEOUT' : ''}, ${(r.durationMs / 1000).toFixed(1)}s)`
          );
          const outcome: RunOutcome = {
            tests,
            out: `${r.stdout}\n${r.stderr}`,
            exitCode: r.exitCode,
            timedOut: r.timedOut,
            durationS: r.durationMs / 1000,
          };
          // A failing first run may reveal what collection did not (missing fixtures, lazy imports).
          if (
            runs.length === 0 &&
            rounds < maxRounds &&
            sum.passed < (opts.minPassRate ?? 0.8) * (sum.passed + sum.failed + sum.errors) + 1e-9 &&
            det.spec.test_framework === 'pytest'
          ) {
            const fixes = await findFixes(ctx, outcome.out, testCmd);
            if (fixes.length) {
              rounds++;
              const a = await applyFixes(ctx, fixes, testCmd, installed);
              testCmd = a.testCmd;
              if (a.changed) continue;
            }
          }
          runs.push(outcome);
        }
      } finally {
        await sb.dispose();
      }
      const state: BuildState = {
        installed,
        testCmd,
        rounds,
        unresolved: ctx.unresolved,
        py,
        runs: runs.map((r) => ({ ...r, out: r.out.slice(-20_000) })),
      };
      writeFileSync(statePath, JSON.stringify(state));
      return state;
    };

    let ctx: Ctx | null = null;
    const statePath = join(envDir, 'state.json');
    const log = (line: string): void => {
      const l = `[${since(started).padStart(7)}] ${line}`;
      appendFileSync(logPath, `${l}\n`);
      opts.log?.(l);
    };
    const fail = (msg: string, tail: string[] = []): never => {
      log(`FAILED: ${msg}`);
      for (const l of tail) log(`  > ${l}`);
      writeFileSync(join(envDir, 'failed.json'), JSON.stringify({ reason: msg, tail }, null, 2));
      throw new BuildError(`${msg} (build log: ${logPath})`, logPath, tail);
    };
    let state: BuildState | null = null;
    if (!opts.rebuild && existsSync(statePath) && existsSync(join(envDir, 'venv', 'bin', 'python'))) {
      try {
        state = JSON.parse(readFileSync(statePath, 'utf8')) as BuildState;
        rmSync(staging, { recursive: true, force: true });
        log('reusing the installed environment and baseline runs of a previous (rejected) build: only the acceptance is re-evaluated');
      } catch {
        state = null;
      }
    }
    if (!state) state = await prepareFresh();
    const { installed, testCmd, rounds, unresolved, py, runs } = state;
    const template = join(envDir, 'repo');
    const venv = join(envDir, 'venv');
    const layout: EnvLayout = {
      env_dir: envDir,
      venv,
      template,
      import_roots: det.importRoots,
      sandbox_env: {
        ...(opts.noIndex ? { PIP_NO_INDEX: '1' } : {}),
        ...(opts.findLinks?.length ? { PIP_FIND_LINKS: opts.findLinks.join(' ') } : {}),
      },
    };
    const first = runs[0];
    const sum = summarize(first.tests);
    const ran = sum.passed + sum.failed + sum.errors;
    const minRate = opts.minPassRate ?? 0.8;
    if (first.timedOut) fail(`baseline timed out after ${first.durationS.toFixed(0)}s`, meaningfulTail(first.out));
    if (ran === 0)
      fail(`baseline collected no tests (exit ${first.exitCode}): check the test command \`${testCmd}\``, meaningfulTail(first.out));
    const rate = sum.passed / ran;
    if (rate < minRate)
      fail(
        `baseline rejected: ${sum.passed}/${ran} tests passed (${(rate * 100).toFixed(1)}% < ${(minRate * 100).toFixed(0)}%), ${
          sum.failed
        } failed, ${sum.errors} errors${unresolved.length ? `; unresolved: ${unresolved.join('; ')}` : ''}`,
        meaningfulTail(first.out)
      );
    const flaky = new Set<string>();
    for (const r of runs.slice(1))
      for (const id of new Set([...Object.keys(first.tests), ...Object.keys(r.tests)])) if (first.tests[id] !== r.tests[id]) flaky.add(id);
    if (flaky.size)
      log(
        `[baseline] ${flaky.size} flaky tests (status differs between runs): ${[...flaky].slice(0, 10).join(', ')}${
          flaky.size > 10 ? ', …' : ''
        }`
      );

    const commit = scrub.commit;
    const spec: EnvSpec = EnvSpecSchema.parse({
      ...det.spec,
      id: `${slug}.${commit.slice(0, 8)}.${key.slice(0, 8)}`,
      commit,
      python: py.version,
      install: installed,
      test_cmd: testCmd,
      backend,
      baseline: {
        passed: sum.passed,
        failed: sum.failed,
        errors: sum.errors,
        skipped: Math.max(sum.skipped, summaryCount(first.out, 'skipped')),
        duration_s: Number(first.durationS.toFixed(3)),
        flaky: [...flaky].sort(),
      },
      meta: {
        ...det.spec.meta,
        ...layout,
        log_path: logPath,
        tree: scrub.tree,
        spec_hash: specHash,
        source: repoDir,
        interpreter: py.exe,
        pass_rate: Number(rate.toFixed(4)),
        baseline_tests: first.tests,
        repair_rounds: rounds,
        reasons: det.reasons,
        build_s: Number(((Date.now() - started) / 1000).toFixed(1)),
      },
    });
    // spec.json last and atomically: its presence marks a finished environment.
    writeFileSync(join(envDir, 'spec.json.tmp'), JSON.stringify(spec, null, 2));
    renameSync(join(envDir, 'spec.json.tmp'), join(envDir, 'spec.json'));
    rmSync(join(envDir, 'failed.json'), { force: true });
    log(`done: ${spec.id} in ${since(started)} (${sum.passed}/${ran} passed, ${flaky.size} flaky)`);
    return {
      spec,
      dir: envDir,
      cached: false,
      durationMs: Date.now() - started,
      logPath,
    };
  }
}

/**
 * A cross-process lock (an exclusive mkdir) so two builds of the same environment never write the
 * same folder; a lock older than 2 hours is considered stale (its builder died).
 */
async function acquireLock(lock: string, log?: (l: string) => void): Promise<() => void> {
  let warned = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'owner'), `${process.pid}\n`);
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - statSync(lock).mtimeMs > 7_200_000) {
          rmSync(lock, { recursive: true, force: true });
          continue;
        }
      } catch {
        continue;
      }
      if (!warned) log?.(`waiting for another build of the same environment (${lock})`);
      warned = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
