import { packageConfig } from '../../tsup.base';

// vitest comes from the test runner that loads testkit; never bundle it
export default packageConfig({
  "index": "src/index.ts"
}, { external: ['vitest'] });
