import { defineConfig, type Options } from 'tsup';

/**
 * The one tsup configuration every package shares: ESM + .d.ts, Node 20, dependencies
 * kept external (tsup's default). Packages override only `entry` and `external`.
 */
export function packageConfig(entry: Record<string, string>, overrides: Pick<Options, 'external'> = {}) {
  return defineConfig({
    entry,
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: { compilerOptions: { customConditions: [] } },
    sourcemap: true,
    clean: true,
    splitting: true,
    treeshake: true,
    ...overrides,
  });
}
