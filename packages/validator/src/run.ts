/** Running the test command (optionally a selection of tests, optionally traced) in a sandbox. */
import { parseTestLog } from '@swe-forge/core/testlog';
import type { EnvSpec, TestStatus } from '@swe-forge/core/schema';
import type { Sandbox } from '@swe-forge/env-builder';
import { testFile } from './compare.js';
import { installPlugin, PLUGIN_DIR, PLUGIN_MODULE, pluginEnvPrefix } from './plugin.js';

/** One parsed test run. */
export interface TestRun {
  tests: Record<string, TestStatus>;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** The shell command that ran. */
  command: string;
  /** stdout then stderr of the run. */
  log: string;
  /** Seconds per test (setup + call + teardown), when `durations` was asked for and the plugin ran. */
  durations?: Record<string, number>;
  /** Tests that exceeded their per-test timeout (`testTimeouts`); the run stopped at the first. */
  testTimeouts?: string[];
}

/** Options of {@link runTests}. */
export interface RunTestsOptions {
  /** Run only these test ids (pytest node ids); null/undefined runs the whole suite. */
  select?: readonly string[] | null;
  /** Write per-test coverage to this path (relative to the working copy root). */
  coverageOut?: string;
  timeoutMs: number;
  /** Test files or folders appended to the command when nothing is selected (a runner standing in for another). */
  paths?: readonly string[];
  /** Record each test's seconds (returned in `durations`; pytest environments). */
  durations?: boolean;
  /** Per-test timeouts in seconds by node id (`*`: the default), applied through pytest-timeout when the environment has it. */
  testTimeouts?: Record<string, number>;
  /** Extra pytest options put before the test files (e.g. `--tb=no` for a run whose statuses alone matter). */
  extraArgs?: readonly string[];
}

const shellQuote = (s: string): string => (/^[\w./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** True when the environment's test command can take the validator's pytest plugin. */
export function supportsPlugin(spec: EnvSpec): boolean {
  return spec.test_framework === 'pytest' && spec.log_parser === 'pytest';
}

/**
 * Extra pytest options of a candidate's run (isolated or forked): Python's own tracebacks
 * (`--tb=native`). pytest's default long tracebacks re-parse each frame's source file to find the
 * statement, which on a large test module costs ~0.15 s per failing test: a bug that breaks 26
 * tests of gpxpy's 2,700-line test module took 5.5 s with them and 0.8 s with native ones. The
 * failure sections (`____ test ____`, read by issue-writer) and the `-rA` summary are unchanged;
 * rewritten asserts keep their explanation in the exception message.
 */
export const CANDIDATE_PYTEST_ARGS: readonly string[] = ['--tb=native'];

/**
 * Run `spec.test_cmd` in the sandbox with `PYTHONHASHSEED=0` and, in a pytest environment,
 * the validator's plugin (which reseeds `random` per test module and per test). With a selection, the test files of the selected ids
 * are appended to the command (so only they are collected) and the plugin deselects every
 * other test. The sandbox kills the whole process group at `timeoutMs`.
 */
export async function runTests(sb: Sandbox, spec: EnvSpec, opts: RunTestsOptions): Promise<TestRun> {
  const exports: string[] = [];
  let args = '';
  if ((opts.select || opts.coverageOut) && !supportsPlugin(spec)) {
    throw new Error(`test selection needs a pytest environment, but ${spec.id} uses ${spec.test_framework}/${spec.log_parser}; use --tests full`);
  }
  // Repeatable runs: a fixed hash seed (set/dict-of-str order) and, in pytest, the plugin's reseeding.
  exports.push('export PYTHONHASHSEED=0');
  if (supportsPlugin(spec)) {
    await installPlugin(sb);
    exports.push(`export ${pluginEnvPrefix()}`);
    args += ` -p ${PLUGIN_MODULE}`;
  }
  if (opts.extraArgs?.length) args += ` ${opts.extraArgs.map(shellQuote).join(' ')}`;
  if (opts.select) {
    await sb.writeFile(`${PLUGIN_DIR}/select.txt`, `${opts.select.join('\n')}\n`);
    exports.push(`export SWE_FORGE_SELECT="$PWD/${PLUGIN_DIR}/select.txt"`);
    const files = [...new Set(opts.select.map(testFile))].sort();
    args += ` ${files.map(shellQuote).join(' ')}`;
  } else if (opts.paths?.length) args += ` ${opts.paths.map(shellQuote).join(' ')}`;
  if (opts.coverageOut) exports.push(`export SWE_FORGE_COV_OUT="$PWD/${opts.coverageOut}" SWE_FORGE_ROOT="$PWD"`);
  const plugin = supportsPlugin(spec);
  if (plugin && opts.durations) {
    await sb.writeFile(`${PLUGIN_DIR}/durations.json`, '');
    exports.push(`export SWE_FORGE_DURATIONS_OUT="$PWD/${PLUGIN_DIR}/durations.json"`);
  }
  if (plugin && opts.testTimeouts) {
    await sb.writeFile(`${PLUGIN_DIR}/test-timeouts.json`, JSON.stringify(opts.testTimeouts));
    await sb.writeFile(`${PLUGIN_DIR}/timeouts-hit.txt`, '');
    exports.push(`export SWE_FORGE_TEST_TIMEOUTS="$PWD/${PLUGIN_DIR}/test-timeouts.json" SWE_FORGE_TIMEOUTS_OUT="$PWD/${PLUGIN_DIR}/timeouts-hit.txt"`);
  }
  const command = [...exports, `${spec.test_cmd}${args}`].join('; ');
  const r = await sb.exec(command, { timeoutMs: opts.timeoutMs, maxOutputBytes: 64 * 1024 * 1024 });
  const log = r.stderr ? `${r.stdout}\n${r.stderr}` : r.stdout;
  const out: TestRun = {
    tests: parseTestLog(spec.log_parser, log),
    exitCode: r.exitCode,
    timedOut: r.timedOut,
    durationMs: r.durationMs,
    command,
    log,
  };
  if (plugin && opts.durations) {
    try {
      out.durations = JSON.parse(await sb.readFile(`${PLUGIN_DIR}/durations.json`)) as Record<string, number>;
    } catch {
      // killed before the end of the session: no durations
    }
  }
  if (plugin && opts.testTimeouts) {
    const hit = await sb.readFile(`${PLUGIN_DIR}/timeouts-hit.txt`).catch(() => '');
    out.testTimeouts = hit.split('\n').map((s) => s.trim()).filter(Boolean);
  }
  return out;
}

/** Python files among `paths` that do not parse after the patch (checked with the env's python). */
export async function unparsableFiles(sb: Sandbox, paths: readonly string[]): Promise<string[]> {
  const py = paths.filter((p) => p.endsWith('.py'));
  if (py.length === 0) return [];
  const script = 'import ast,sys\nfor f in sys.argv[1:]:\n  try:\n    ast.parse(open(f,"rb").read(), f)\n  except Exception:\n    print(f)\n';
  const r = await sb.exec(`python -c ${shellQuote(script)} ${py.map(shellQuote).join(' ')}`, { timeoutMs: 30_000 });
  if (r.exitCode !== 0) return py; // could not check: assume the worst
  return r.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
}

/**
 * Modules among `modules` that raise when imported (each tried in one python process, in
 * order, with the working copy root first on `sys.path`). Null when the check itself could
 * not run.
 */
export async function failingImports(sb: Sandbox, modules: readonly string[], timeoutMs = 120_000): Promise<string[] | null> {
  if (modules.length === 0) return [];
  const script = 'import importlib,sys\nsys.path.insert(0, ".")\nfor m in sys.argv[1:]:\n  try:\n    importlib.import_module(m)\n  except BaseException:\n    print("FAILED-IMPORT " + m, flush=True)\n';
  const r = await sb.exec(`PYTHONHASHSEED=0 python -c ${shellQuote(script)} ${modules.map(shellQuote).join(' ')} </dev/null`, { timeoutMs });
  if (r.timedOut) return null;
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('FAILED-IMPORT '))
    .map((l) => l.slice('FAILED-IMPORT '.length).trim());
}
