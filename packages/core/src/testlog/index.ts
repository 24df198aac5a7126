import type { LogParserName, TestStatus } from '../schema/index.js';
import { parseJUnitXml } from './junit.js';
import { parsePytestLog } from './pytest.js';
import { parseUnittestLog } from './unittest.js';

export { stripAnsi } from './common.js';
export { parsePytestLog, splitIdAndMessage } from './pytest.js';
export { parseJUnitXml, junitNodeId, JUnitParseError } from './junit.js';
export { parseUnittestLog } from './unittest.js';

/** Parse a test log with the named parser (`EnvSpec.log_parser`) into `{ test id: status }`. */
export function parseTestLog(parser: LogParserName, text: string): Record<string, TestStatus> {
  switch (parser) {
    case 'pytest':
      return parsePytestLog(text);
    case 'junit':
      return parseJUnitXml(text);
    case 'unittest':
      return parseUnittestLog(text);
    default:
      throw new Error(`unknown test log parser "${String(parser)}": use one of pytest, junit, unittest`);
  }
}

/** Counts per status of a parsed test run (`total` counts every id). */
export function summarize(tests: Record<string, TestStatus>): {
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  xfail: number;
  total: number;
} {
  const s = { passed: 0, failed: 0, errors: 0, skipped: 0, xfail: 0, total: 0 };
  for (const status of Object.values(tests)) {
    s.total++;
    if (status === 'PASSED') s.passed++;
    else if (status === 'FAILED') s.failed++;
    else if (status === 'ERROR') s.errors++;
    else if (status === 'SKIPPED') s.skipped++;
    else if (status === 'XFAIL') s.xfail++;
  }
  return s;
}
