import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, resolveConfig } from './config.js';
import { pipelinePaths, runPipeline } from './run.js';

describe('pipeline config', () => {
  it('loads the shipped example, resolving paths against the file', async () => {
    const path = fileURLToPath(new URL('../../../../examples/pipeline.yaml', import.meta.url));
    const cfg = await loadConfig(path);
    expect(cfg.repo).toBe(fileURLToPath(new URL('../../../../examples/demo-repo', import.meta.url)));
    expect(cfg.validate).toEqual({ tests: 'full', timeoutS: 90 });
    expect(cfg.combine.module).toMatchObject({ depth: 1, maxCombos: 20, limitPerGroup: 4 });
    expect(cfg.issues.strategies).toEqual(['template', 'tests']);
    expect(cfg.bugs.maxBugsPerModifier).toBe(4);
  });

  it('fills defaults and accepts camelCase keys', () => {
    const cfg = resolveConfig({ repo: 'r', bugs: { maxBugsPerModifier: 2 } }, '/base');
    expect(cfg).toMatchObject({ repo: '/base/r', out: '/base/swe-forge-out', seed: 0, workers: 2, validate: { tests: 'full', timeoutS: 90 }, issues: { strategies: ['template'] } });
    expect(cfg.bugs.maxBugsPerModifier).toBe(2);
    expect(cfg.combine).toEqual({ file: undefined, module: undefined });
  });

  it('rejects typos and bad values with the field name', () => {
    expect(() => resolveConfig({ repo: 'r', valdate: {} }, '/')).toThrow(/unknown key "valdate"/);
    expect(() => resolveConfig({}, '/')).toThrow(/repo is required/);
    expect(() => resolveConfig({ repo: 'r', validate: { tests: 'some' } }, '/')).toThrow(/validate.tests must be full, files or coverage/);
    expect(() => resolveConfig({ repo: 'r', issues: { strategies: ['lm'] } }, '/')).toThrow(/issues.lm \(url, model\) is missing/);
    expect(() => resolveConfig({ repo: 'r', workers: 'two' }, '/')).toThrow(ConfigError);
  });

  it('rejects an unknown modifier before any stage runs or the run is pinned to the config', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pipeline-mod-'));
    try {
      const demo = fileURLToPath(new URL('../../../../examples/demo-repo', import.meta.url));
      const cfg = resolveConfig({ repo: demo, out, bugs: { modifiers: ['func_pm_op_swap', 'bogus'] } }, '/');
      await expect(runPipeline(cfg)).rejects.toThrow(/unknown modifier\(s\) in bugs.modifiers: bogus: choose from .*func_pm_op_swap/);
      // nothing was pinned: fixing the config and rerunning must not hit "different config"
      expect(existsSync(pipelinePaths(out).config)).toBe(false);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
