/**
 * The warm runner's Python modules (the package's `python/` folder) and where they go in a
 * working copy: `.git/swe-forge-warm/`, which `git clean` (a sandbox reset) leaves alone, so a
 * worker keeps its socket and files while candidates come and go.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Sandbox } from '@swe-forge/env-builder';

/** Folder (relative to the working copy root) of the warm runner's files. */
export const WARM_DIR = '.git/swe-forge-warm';

/** Python module names of the warm runner (`-p swe_forge_warm`; it imports swe_forge_swap). */
export const WARM_MODULES = ['swe_forge_warm', 'swe_forge_swap'] as const;

const require = createRequire(import.meta.url);
let sources: Map<string, string> | null = null;

/** The text of each warm runner module, read once from the installed package. */
export function warmSources(): Map<string, string> {
  if (sources) return sources;
  const out = new Map<string, string>();
  for (const m of WARM_MODULES) {
    // the package's own export (`./python/*`): the same file from src/ and from dist/
    const file = require.resolve(`@swe-forge/validator/python/${m}.py`);
    out.set(m, readFileSync(file, 'utf8'));
  }
  sources = out;
  return out;
}

/** Write the warm runner's modules into the sandbox's working copy. */
export async function installWarm(sb: Sandbox): Promise<void> {
  for (const [m, text] of warmSources()) await sb.writeFile(`${WARM_DIR}/${m}.py`, text);
}
