import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A pytest node id split into its parts. */
export interface TestNodeId {
  /** Test file path relative to the repository root (may be '' for non-file ids). */
  file: string;
  /** Enclosing classes, outermost first. */
  classes: string[];
  /** The test function name without parameters. */
  func: string;
  /** The parametrization suffix including brackets, or ''. */
  params: string;
}

/**
 * Split a pytest node id such as `tests/test_x.py::TestC::test_y[a::b]` into file, classes,
 * function and params. Parameters may contain `::`, so they are cut off first.
 */
export function parseNodeId(id: string): TestNodeId {
  const sep = id.indexOf('::');
  if (sep < 0) {
    // unittest style `test_x (module.Class)` or a bare name
    const m = /^(\w+)\s+\(([\w.]+)\)/.exec(id);
    if (m) {
      const parts = m[2].split('.');
      return { file: '', classes: parts.length > 1 ? [parts[parts.length - 1]] : [], func: m[1], params: '' };
    }
    return { file: '', classes: [], func: id.split(/[\s[]/)[0], params: '' };
  }
  const file = id.slice(0, sep);
  let rest = id.slice(sep + 2);
  let params = '';
  const br = rest.indexOf('[');
  if (br >= 0) {
    params = rest.slice(br);
    rest = rest.slice(0, br);
  }
  const parts = rest.split('::').filter(Boolean);
  const func = parts.pop() ?? '';
  return { file, classes: parts, func, params };
}

const indentOf = (line: string): number => line.length - line.trimStart().length;
const isBlank = (line: string): boolean => line.trim() === '' || line.trimStart().startsWith('#');

/** Whether a line leaves a triple-quoted string open (toggling the state it starts in). */
function tripleQuoteState(line: string, open: string | null): string | null {
  let state = open;
  const re = /"""|\'\'\'/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    if (state === null) state = m[0];
    else if (state === m[0]) state = null;
  }
  return state;
}

/**
 * Index of the line after the block opened by the header line at `i`: the block ends at the
 * first non-blank line indented no deeper than the header, outside triple-quoted strings
 * (whose lines may sit at any indentation).
 */
function blockEnd(lines: string[], i: number): number {
  const base = indentOf(lines[i]);
  let j = i + 1;
  // a header may continue over several lines (long signatures): skip until the line ending with ':'
  while (j < lines.length && !/:\s*(#.*)?$/.test(lines[j - 1]) && j - i < 20) j++;
  let last = j - 1;
  let inString: string | null = null;
  for (; j < lines.length; j++) {
    if (inString === null) {
      if (isBlank(lines[j])) continue;
      if (indentOf(lines[j]) <= base) break;
    }
    inString = tripleQuoteState(lines[j], inString);
    last = j;
  }
  return last + 1;
}

function findDef(lines: string[], from: number, to: number, kind: 'class' | 'def', name: string, minIndent: number): number {
  const re = kind === 'class' ? new RegExp(`^\\s*class\\s+${name}\\b`) : new RegExp(`^\\s*(async\\s+)?def\\s+${name}\\s*\\(`);
  for (let i = from; i < to; i++) if (re.test(lines[i]) && indentOf(lines[i]) >= minIndent) return i;
  return -1;
}

/**
 * The source text (decorators included) of the function a node id names, from file text.
 * Looks inside the named classes first, then anywhere in the file (inherited tests).
 * Returns null when the function is not found.
 */
export function extractTestSource(text: string, node: TestNodeId): string | null {
  const lines = text.split(/\r?\n/);
  let from = 0;
  let to = lines.length;
  let minIndent = 0;
  let scoped = true;
  for (const cls of node.classes) {
    const at = findDef(lines, from, to, 'class', cls, minIndent);
    if (at < 0) {
      scoped = false;
      break;
    }
    from = at + 1;
    to = blockEnd(lines, at);
    minIndent = indentOf(lines[at]) + 1;
  }
  let at = scoped ? findDef(lines, from, to, 'def', node.func, node.classes.length ? minIndent : 0) : -1;
  if (at < 0) at = findDef(lines, 0, lines.length, 'def', node.func, 0);
  if (at < 0) return null;
  let start = at;
  const ind = indentOf(lines[at]);
  while (start > 0 && lines[start - 1].trimStart().startsWith('@') && indentOf(lines[start - 1]) === ind) start--;
  const end = blockEnd(lines, at);
  const body = lines.slice(start, end);
  // dedent to the def's indentation so methods read like functions; shallower lines can only
  // be inside multi-line strings and are kept byte for byte
  return body.map((l) => (l.slice(0, ind).trim() === '' ? l.slice(ind) : l)).join('\n').trimEnd();
}

/** Read a test's source from a repository checkout; null when the file or function is missing. */
export async function readTestSource(repoDir: string, id: string): Promise<string | null> {
  const node = parseNodeId(id);
  if (!node.file) return null;
  let text: string;
  try {
    text = await readFile(join(repoDir, node.file), 'utf8');
  } catch {
    return null;
  }
  return extractTestSource(text, node);
}

/**
 * The failure section of one test from a pytest `-rA` log: the `____ name ____` block under
 * FAILURES/ERRORS, plus its short-summary line. Null when the log has no section for it.
 */
export function extractFailureSection(log: string, id: string): string | null {
  const node = parseNodeId(id);
  const lines = log.split(/\r?\n/);
  // pytest titles a failure `Class.func[params]` (classes joined by '.'), or `func[params]`.
  const title = [...node.classes, node.func].join('.') + node.params;
  const headerRe = /^_{3,} (.+?) _{3,}$/;
  let start = -1;
  for (let i = 0; i < lines.length; i++) {
    const m = headerRe.exec(lines[i]);
    if (m && (m[1] === title || m[1] === `ERROR at setup of ${title}` || m[1] === `ERROR at call of ${title}`)) {
      start = i;
      break;
    }
  }
  const summary = lines.find((l) => /^(FAILED|ERROR) /.test(l) && l.includes(id));
  if (start < 0) return summary ?? null;
  // the section runs to the next test's header or the next `=== ... ===` banner; captured
  // output blocks (`--- Captured stdout call ---`) belong to it
  let end = start + 1;
  while (end < lines.length && !headerRe.test(lines[end]) && !/^={3,} .* ={3,}$/.test(lines[end])) end++;
  const section = lines.slice(start, end).join('\n').trimEnd();
  return summary ? `${section}\n${summary}` : section;
}
