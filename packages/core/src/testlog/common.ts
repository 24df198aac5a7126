import type { TestStatus } from '../schema/index.js';

// CSI sequences (colours, cursor moves), OSC sequences (hyperlinks, titles) and lone
// two-byte escapes — everything pytest/rich/colorama emit with --color=yes.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]/g;

/** Remove ANSI escape sequences (colours, cursor moves, OSC links) from terminal output. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

// Higher wins when one id is reported twice (a test that passed its call but errored
// in teardown is listed as PASSED and as ERROR by pytest).
const RANK: Record<TestStatus, number> = { PASSED: 0, SKIPPED: 1, XFAIL: 1, ERROR: 2, FAILED: 3 };

/** Record `status` for `id`, keeping the worse of an existing and the new status. */
export function mergeStatus(into: Record<string, TestStatus>, id: string, status: TestStatus): void {
  const prev = into[id];
  if (prev === undefined || RANK[status] >= RANK[prev]) into[id] = status;
}
