import { buildEnvironment } from '@swe-forge/env-builder';
for (const f of process.argv.slice(2)) {
  const t = Date.now();
  try {
    const b = await buildEnvironment(f.startsWith("/") ? f : `packages/env-builder/fixtures/${f}`, { cacheDir: '/tmp/eb-cache', findLinks: ['/opt/pypi/files'], noIndex: true, rebuild: true });
    console.log(f, 'OK', b.spec.baseline.passed, b.spec.test_cmd, b.spec.install, ((Date.now() - t) / 1000).toFixed(1));
  } catch (e) {
    console.log(f, 'FAIL', (e as Error).message, (e as any).tail, ((Date.now() - t) / 1000).toFixed(1));
  }
}
