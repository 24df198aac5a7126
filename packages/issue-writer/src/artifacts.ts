import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { TaskInstance } from '@swe-forge/core/schema';

/**
 * Candidate locations of an instance's validator test log, most specific first:
 * a path recorded in meta, then `<artifactsDir>/<instance_id>/test_output.txt`, then the
 * same keyed by the candidate id.
 */
export function testOutputPaths(instance: Pick<TaskInstance, 'instance_id' | 'meta'>, artifactsDir?: string): string[] {
  const meta = (instance.meta ?? {}) as Record<string, unknown>;
  const paths: string[] = [];
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
  const nested = (meta.artifacts && typeof meta.artifacts === 'object' ? meta.artifacts : {}) as Record<string, unknown>;
  const direct = str(meta.test_output_path) ?? str(nested.test_output);
  const resolve = (p: string): string => (isAbsolute(p) || !artifactsDir ? p : join(artifactsDir, p));
  if (direct) paths.push(resolve(direct));
  const dir = str(meta.artifacts_dir) ?? str(nested.dir);
  if (dir) paths.push(join(resolve(dir), 'test_output.txt'));
  if (artifactsDir) {
    paths.push(join(artifactsDir, instance.instance_id, 'test_output.txt'));
    const cand = str(meta.candidate_id);
    if (cand) paths.push(join(artifactsDir, cand, 'test_output.txt'));
  }
  return [...new Set(paths)];
}

/** The validator's test log for an instance, or null when none of the locations exists. */
export async function readTestOutput(instance: Pick<TaskInstance, 'instance_id' | 'meta'>, artifactsDir?: string): Promise<string | null> {
  for (const p of testOutputPaths(instance, artifactsDir)) {
    try {
      return await readFile(p, 'utf8');
    } catch {
      // try the next location
    }
  }
  return null;
}
