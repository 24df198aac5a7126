/**
 * Procedural-bugs benchmark over a repository given by path. Bundles the package (as a user
 * would run the built one: no TypeScript compile at startup), then runs the generator once
 * per parser (wasm, and native when the binding loads) and modifier set (SWE-smith's 13,
 * then all), each in a fresh process so peak RSS is per run.
 *
 *   node --import tsx bench/procedural/run.ts /path/to/repo [--workers 2]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { build } from 'esbuild';

const args = process.argv.slice(2);
const repo = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--workers');
if (!repo) {
  process.stderr.write('usage: node --import tsx bench/procedural/run.ts <repo> [--workers N]\n');
  process.exit(2);
}
const wi = args.indexOf('--workers');
const workers = wi >= 0 ? args[wi + 1] : '2';
const here = fileURLToPath(new URL('.', import.meta.url));
const outdir = join(here, 'dist');
await build({
  entryPoints: { single: join(here, 'single.ts'), worker: join(here, '../../packages/procedural-bugs/src/worker.ts') },
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  conditions: ['@swe-forge/source'],
  external: ['web-tree-sitter', 'tree-sitter', 'tree-sitter-python', 'picomatch', 'commander', 'zod'],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'error',
});

const { ALL_MODIFIERS, nativeAvailable } = await import('@swe-forge/procedural-bugs');
const parsers = nativeAvailable() ? ['wasm', 'native'] : ['wasm'];
console.log(`repo ${repo}, ${workers} workers, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} (figures shrink when other work shares the cores)`);
console.log('parser  modifiers       files  lines    entities  candidates  seconds  entities/s  candidates/s  CPU s  candidates/CPU-s  peak RSS');
for (const parser of parsers) {
  for (const set of ['swesmith', 'all']) {
    const r = spawnSync(process.execPath, [join(outdir, 'single.js'), repo, parser, set, workers], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) {
      process.stderr.write(r.stderr);
      process.exit(1);
    }
    const s = JSON.parse(r.stdout.trim().split('\n').pop() as string);
    const label = set === 'swesmith' ? '13 (SWE-smith)' : `${ALL_MODIFIERS.length} (all)`;
    console.log(
      `${s.parser.padEnd(7)} ${label.padEnd(15)} ${String(s.files).padEnd(6)} ${String(s.lines).padEnd(8)} ${String(s.entities).padEnd(9)} ${String(s.candidates).padEnd(11)} ${s.seconds.toFixed(1).padEnd(8)} ${s.entities_per_s.toFixed(0).padEnd(11)} ${s.candidates_per_s.toFixed(0).padEnd(13)} ${s.cpu_s.toFixed(1).padEnd(6)} ${s.candidates_per_cpu_s.toFixed(0).padEnd(16)} ${s.peak_rss_mib.toFixed(0)} MiB`,
    );
  }
}
