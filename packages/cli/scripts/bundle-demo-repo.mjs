// Copies examples/demo-repo into dist/demo-repo after the build, so `swe-forge demo` works
// from an npm install too (findDemoRepo prefers a checkout's examples/demo-repo).
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
const source = join(pkg, '..', '..', 'examples', 'demo-repo');
const dest = join(pkg, 'dist', 'demo-repo');
if (!existsSync(join(source, 'pyproject.toml'))) {
  console.error(`error: ${source} not found: build @swe-forge/cli from a swe-forge checkout`);
  process.exit(1);
}
rmSync(dest, { recursive: true, force: true });
cpSync(source, dest, {
  recursive: true,
  filter: (src) => !/(^|\/)(__pycache__|\.pytest_cache|\.git|\.venv|[^/]*\.egg-info)(\/|$)/.test(relative(source, src)),
});
