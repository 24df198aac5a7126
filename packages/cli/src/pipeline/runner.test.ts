import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StageRunner, type StageExecutor } from './runner.js';

const dir = mkdtempSync(join(tmpdir(), 'stage-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('StageRunner', () => {
  it('runs a stage once, resumes it from its marker, and runs it again only when its declared inputs change', async () => {
    let runs = 0;
    const work = async () => ({ value: ++runs, records: 3, stats: { n: runs } });
    const load = async () => -1;
    const a = new StageRunner(dir);
    expect(await a.stage('rollout:x', work, load, { inputs: { limit: 5 } })).toBe(1);
    const b = new StageRunner(dir);
    expect(await b.stage('rollout:x', work, load, { inputs: { limit: 5 } })).toBe(-1);
    expect(b.timings).toEqual([{ stage: 'rollout:x', duration_s: expect.any(Number), records: 3, status: 'resumed' }]);
    const lines: string[] = [];
    const c = new StageRunner(dir, { log: (l) => lines.push(l) });
    expect(await c.stage('rollout:x', work, load, { inputs: { limit: 6 } })).toBe(2);
    expect(lines[0]).toBe('rollout:x: its inputs changed since the earlier run; running again (finished work is kept)');
    expect(await c.stats('rollout:x')).toEqual({ n: 2 });
    c.skip('sft', 'no tokenizer');
    expect(c.timings.at(-1)).toEqual({ stage: 'sft', duration_s: 0, status: 'skipped', note: 'no tokenizer' });
  });

  it('hands each stage to the executor chosen for it, and records which one ran it', async () => {
    const seen: string[] = [];
    const elsewhere: StageExecutor = { name: 'elsewhere', execute: async (w) => (seen.push(w.name), w.run()) };
    const r = new StageRunner(dir, { executorFor: (s) => (s === 'verify' ? elsewhere : { name: 'local', execute: (w) => w.run() }) });
    await r.stage('verify', async () => ({ value: 1, records: 1 }), async () => 0);
    await r.stage('train', async () => ({ value: 1, records: 1 }), async () => 0);
    expect(seen).toEqual(['verify']);
    expect((await r.marker('verify'))?.executor).toBe('elsewhere');
    expect((await r.marker('train'))?.executor).toBe('local');
  });
});
