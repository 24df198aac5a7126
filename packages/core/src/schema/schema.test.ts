import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, SchemaError, TaskInstanceSchema, jsonSchemaFor, parseRecord, SCHEMAS } from './index.js';

const instance = {
  instance_id: 'acme__widgets.0123abcd.func_pm_op_swap__deadbeef',
  repo: 'acme/widgets',
  base_commit: '0123abcd0123abcd0123abcd0123abcd0123abcd',
  env_id: 'acme__widgets.0123abcd',
  patch: 'diff --git a/x.py b/x.py\n',
  problem_statement: 'Adding two widgets gives the wrong total.',
  FAIL_TO_PASS: ['tests/test_x.py::test_add'],
  PASS_TO_PASS: ['tests/test_x.py::test_sub'],
  created_at: '2026-11-21T00:00:00Z',
  strategy: 'procedural/func_pm_op_swap',
};

describe('schema', () => {
  it('stamps the current schema version and keeps SWE-bench field names', () => {
    const parsed = parseRecord('TaskInstance', instance);
    expect(parsed.schema_version).toBe(SCHEMA_VERSION);
    expect(parsed.meta).toEqual({});
    expect(Object.keys(parsed)).toEqual(expect.arrayContaining(['instance_id', 'base_commit', 'FAIL_TO_PASS', 'PASS_TO_PASS', 'problem_statement']));
  });

  it('rejects records of another major version and unknown strategies with a readable error', () => {
    expect(() => parseRecord('TaskInstance', { ...instance, schema_version: '2.0' }, 'instances.jsonl:7')).toThrow(
      /invalid TaskInstance at instances.jsonl:7: schema_version: schema_version must be 1.x/,
    );
    expect(() => parseRecord('TaskInstance', { ...instance, strategy: 'magic' })).toThrow(SchemaError);
    expect(TaskInstanceSchema.safeParse({ ...instance, FAIL_TO_PASS: [] }).success).toBe(false);
  });

  it('accepts every strategy family of the architecture', () => {
    for (const strategy of ['procedural/func_pm_remove_loop', 'lm_modify', 'lm_rewrite', 'pr_mirror', 'combine_file', 'combine_module']) {
      expect(parseRecord('TaskInstance', { ...instance, strategy }).strategy).toBe(strategy);
    }
  });

  it('generates a JSON Schema for every contract', () => {
    for (const name of Object.keys(SCHEMAS) as (keyof typeof SCHEMAS)[]) {
      const js = jsonSchemaFor(name);
      expect(js.type).toBe('object');
      // every record type written to disk on its own carries a schema version
      if (name !== 'TestReport') expect(Object.keys(js.properties as object)).toContain('schema_version');
    }
    expect((jsonSchemaFor('TaskInstance').required as string[])).toEqual(expect.arrayContaining(['instance_id', 'FAIL_TO_PASS', 'patch']));
  });
});
