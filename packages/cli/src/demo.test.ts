import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from './demo.js';

// The whole demo (~1.5–2.5 min on 2 cores). It proves a Done-when item of the demo, so it
// stays in the normal suite.
let out: string | undefined;
afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

function pythonWithDatasets(): string | null {
  for (const py of [process.env.SWE_FORGE_HF_PYTHON, 'python3'].filter(Boolean) as string[]) {
    try {
      execFileSync(py, ['-c', 'import datasets'], { stdio: 'ignore' });
      return py;
    } catch {
      // next
    }
  }
  return null;
}

describe('swe-forge demo', () => {
  it('turns the embedded repository into a dataset with every modifier family and combine, in under 5 minutes', async () => {
    out = await mkdtemp(join(tmpdir(), 'demo-'));
    const t0 = Date.now();
    const r = await runDemo({ out, progress: false });
    const wall = (Date.now() - t0) / 1000;
    expect(wall).toBeLessThan(300);
    expect(r.familiesMissing).toEqual([]);
    expect(r.families).toEqual(expect.arrayContaining(['class', 'control', 'extra', 'operator', 'remove']));
    expect(r.combined).toBeGreaterThan(0);
    const rows = (await readFile(r.dataset, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.length).toBe(r.instances);
    const keys = JSON.stringify(Object.keys(rows[0].meta));
    for (const row of rows) {
      expect(Array.isArray(row.FAIL_TO_PASS) && row.FAIL_TO_PASS.length > 0).toBe(true);
      expect(JSON.stringify(Object.keys(row.meta))).toBe(keys);
      expect(row.meta.problem_statements.template).not.toBe('');
    }
    const py = pythonWithDatasets();
    if (!py) console.log('skipping the HF datasets load check: no python with `datasets` (set SWE_FORGE_HF_PYTHON to one, e.g. a venv with: pip install --no-index --find-links /opt/pypi/files datasets)');
    else {
      const n = execFileSync(py, ['-c', `from datasets import load_dataset; print(len(load_dataset('json', data_files=${JSON.stringify(r.dataset)}, split='train')))`], { encoding: 'utf8' });
      expect(Number(n.trim().split('\n').at(-1))).toBe(rows.length);
    }
  }, 600_000);
});
