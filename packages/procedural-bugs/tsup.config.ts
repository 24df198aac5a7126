import { packageConfig } from '../../tsup.base';

export default packageConfig({
  "index": "src/index.ts",
  "cli": "src/cli.ts",
  "bin": "src/bin.ts",
  // worker threads load dist/worker.js next to the bundle that starts them
  "worker": "src/worker.ts"
});
