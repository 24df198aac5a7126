import { changedCodeLines } from './patchinfo.js';
import { parseNodeId } from './testsrc.js';

/** Why an issue text was rejected. */
export interface Leak {
  kind: 'quoted_patch_line' | 'named_test' | 'empty_reply';
  /** The offending patch line or test name. */
  detail: string;
}

const TRIVIAL = new Set(['return', 'pass', 'break', 'continue', 'else:', 'try:', 'finally:', 'except:', 'return None', 'return True', 'return False', 'None', 'True', 'False', 'self']);

/** Collapse whitespace so re-indented or re-wrapped quotes still match. */
export function normalizeCode(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * Whether a patch line is too generic to count as a leak when quoted: very short lines,
 * bare keywords, lone brackets/punctuation, comments-only lines.
 */
export function isTrivialLine(line: string): boolean {
  const n = normalizeCode(line);
  if (n.length < 12) return true;
  if (TRIVIAL.has(n)) return true;
  if (/^[\s)\]}(,:;.[{]*$/.test(n)) return true;
  if (n.startsWith('#')) return true;
  // a line with fewer than two identifier-ish tokens says nothing specific
  return (n.match(/[A-Za-z_]\w*/g) ?? []).length < 2;
}

/**
 * Find leaks in an issue text: a non-trivial added or removed patch line quoted verbatim
 * (whitespace-normalized), or a FAIL_TO_PASS test named by id or bare function name.
 */
export function findLeaks(text: string, opts: { patch: string; failToPass: string[] }): Leak[] {
  const leaks: Leak[] = [];
  const hay = normalizeCode(text);
  const { added, removed } = changedCodeLines(opts.patch);
  const seen = new Set<string>();
  for (const line of [...added, ...removed]) {
    const n = normalizeCode(line);
    if (seen.has(n) || isTrivialLine(n)) continue;
    seen.add(n);
    if (hay.includes(n)) leaks.push({ kind: 'quoted_patch_line', detail: n });
  }
  const names = new Set<string>();
  for (const id of opts.failToPass) {
    if (text.includes(id)) {
      leaks.push({ kind: 'named_test', detail: id });
      continue;
    }
    const node = parseNodeId(id);
    if (node.func && !names.has(node.func)) {
      names.add(node.func);
      if (new RegExp(`(^|[^\\w])${node.func.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^\\w]|$)`).test(text)) leaks.push({ kind: 'named_test', detail: node.func });
    }
  }
  return leaks;
}
