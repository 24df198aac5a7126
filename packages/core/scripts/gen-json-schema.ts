/**
 * Writes one JSON Schema file per contract to packages/core/schemas/<Name>.schema.json,
 * generated from the zod schemas in src/schema. Run after changing a contract:
 *   node --conditions=@swe-forge/source --import tsx packages/core/scripts/gen-json-schema.ts [--check]
 * With --check it writes nothing and exits 1 if a committed file is stale (the test suite
 * checks the same thing, see src/json-schema-files.test.ts).
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCHEMAS, jsonSchemaFor } from '../src/schema/index.js';
import type { SchemaName } from '../src/schema/index.js';

/** Directory holding the generated files (packages/core/schemas). */
export const SCHEMAS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../schemas');

/** The expected content of every generated file: file name -> text. */
export function renderJsonSchemas(): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of Object.keys(SCHEMAS).sort() as SchemaName[]) {
    const { $schema, ...rest } = jsonSchemaFor(name);
    const schema = { $schema, title: name, ...rest };
    files.set(`${name}.schema.json`, `${JSON.stringify(schema, null, 2)}\n`);
  }
  return files;
}

/** Names of files in `dir` that are missing, stale or extra compared with the generator. */
export async function staleJsonSchemas(dir = SCHEMAS_DIR): Promise<string[]> {
  const want = renderJsonSchemas();
  const have = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.schema.json'));
  const stale: string[] = [];
  for (const [file, text] of want) {
    const current = await readFile(join(dir, file), 'utf8').catch(() => null);
    if (current !== text) stale.push(file);
  }
  for (const file of have) if (!want.has(file)) stale.push(file);
  return stale.sort();
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--check')) {
    const stale = await staleJsonSchemas();
    if (stale.length) {
      process.stderr.write(`error: stale JSON Schema files in ${SCHEMAS_DIR}: ${stale.join(', ')}: run packages/core/scripts/gen-json-schema.ts\n`);
      return 1;
    }
    return 0;
  }
  await mkdir(SCHEMAS_DIR, { recursive: true });
  const want = renderJsonSchemas();
  for (const file of await readdir(SCHEMAS_DIR)) {
    if (file.endsWith('.schema.json') && !want.has(file)) await rm(join(SCHEMAS_DIR, file));
  }
  for (const [file, text] of want) await writeFile(join(SCHEMAS_DIR, file), text);
  process.stdout.write(`wrote ${want.size} JSON Schema files to ${SCHEMAS_DIR}\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
