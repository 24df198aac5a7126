import { defineConfig } from 'vitest/config';

// Tests run against package sources: the "@swe-forge/source" export condition maps each
// package's public entry points to src/, so `npm test` needs no build first.
export default defineConfig({
  resolve: { conditions: ['@swe-forge/source', 'module', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['@swe-forge/source', 'module', 'node', 'import', 'default'], externalConditions: ['@swe-forge/source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'tools/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/*.slow.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
    coverage: { provider: 'v8', include: ['packages/*/src/**'] },
  },
});
