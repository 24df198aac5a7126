/** One benchmark run (spawned by run.ts from a bundled build): prints one JSON line. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_MODIFIERS, generateProceduralBugs } from '@swe-forge/procedural-bugs';

const [repo, parser, set, workers] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'bench-procedural-'));
const modifiers = set === 'swesmith' ? ALL_MODIFIERS.filter((m) => m.swesmith).map((m) => m.name) : undefined;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const { stats } = await generateProceduralBugs(repo, {
  out: join(dir, 'bugs.jsonl'),
  parser: parser as 'wasm' | 'native',
  modifiers,
  workers: Number(workers),
  progress: false,
});
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  JSON.stringify({
    parser: stats.parser,
    files: stats.files,
    lines: stats.lines,
    entities: stats.entities,
    candidates: stats.candidates,
    seconds,
    scan_s: stats.scan_s,
    entities_per_s: (stats.entities as number) / seconds,
    candidates_per_s: (stats.candidates as number) / seconds,
    cpu_s: cpuSeconds,
    candidates_per_cpu_s: (stats.candidates as number) / cpuSeconds,
    peak_rss_mib: process.resourceUsage().maxRSS / 1024,
  }) + '\n',
);
