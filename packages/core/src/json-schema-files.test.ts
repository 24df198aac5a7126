import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMAS_DIR, renderJsonSchemas, staleJsonSchemas } from '../scripts/gen-json-schema.js';
import { SCHEMAS } from './schema/index.js';

describe('committed JSON Schema files (packages/core/schemas)', () => {
  it('match what scripts/gen-json-schema.ts generates from the zod contracts', async () => {
    const stale = await staleJsonSchemas();
    // If this fails: node --conditions=@swe-forge/source --import tsx packages/core/scripts/gen-json-schema.ts
    expect(stale).toEqual([]);
  });

  it('exist for every contract, as draft 2020-12 object schemas titled by name', () => {
    expect([...renderJsonSchemas().keys()]).toEqual(Object.keys(SCHEMAS).sort().map((n) => `${n}.schema.json`));
    for (const name of Object.keys(SCHEMAS)) {
      const schema = JSON.parse(readFileSync(join(SCHEMAS_DIR, `${name}.schema.json`), 'utf8'));
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(schema.title).toBe(name);
      expect(schema.type).toBe('object');
    }
    const task = JSON.parse(readFileSync(join(SCHEMAS_DIR, 'TaskInstance.schema.json'), 'utf8'));
    expect(task.required).toEqual(expect.arrayContaining(['instance_id', 'repo', 'base_commit', 'patch', 'problem_statement', 'FAIL_TO_PASS', 'PASS_TO_PASS']));
  });
});
