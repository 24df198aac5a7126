/**
 * Patches for single-region edits without diffing the whole file: core's `createFilePatch`
 * runs on a window around the change (wide enough for the same context lines), hunk line
 * numbers are shifted back, and a `@@ … @@ def heading` that lies above the window is looked
 * up in the whole file. The result is byte-identical to diffing the whole file (tests check
 * it), at a fraction of the cost on long files.
 */
import { createFilePatch } from '@swe-forge/core/diff';
import { lineEndIncl, lineStart } from './entities.js';

const CONTEXT = 3;

/** Counts newlines in `text` before `end`, using a cached table per text. */
export class LineCounter {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }
  /** Offset of the first character of 0-based line `line`. */
  startOf(line: number): number {
    return this.starts[line];
  }
  /** 0-based line number of the line starting at or containing `offset`. */
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/**
 * The git-style patch of `before` → `after` where every difference lies in
 * `before[changeStart, changeEnd)` (and `after[changeStart, changeEnd + after.length - before.length)`).
 */
export function windowedFilePatch(file: string, before: string, after: string, changeStart: number, changeEnd: number, lines: LineCounter): string {
  const delta = after.length - before.length;
  // The exact differing region, as the diff's common prefix/suffix trimming will find it: a
  // deleted line next to an identical one may "slide", so grow greedily from the edits.
  let p = changeStart;
  const n = Math.min(before.length, after.length);
  while (p < n && before.charCodeAt(p) === after.charCodeAt(p)) p++;
  let q = changeEnd;
  while (q > p && q + delta > p && before.charCodeAt(q - 1) === after.charCodeAt(q - 1 + delta)) q--;
  // Start: CONTEXT + 1 lines above the change; hunk headings found above the window are filled in below.
  let ws = lineStart(before, p);
  for (let i = 0; i <= CONTEXT && ws > 0; i++) ws = lineStart(before, ws - 1);
  // End: CONTEXT (+1 spare) lines below the change.
  let we = lineEndIncl(before, Math.max(p, q - 1));
  for (let i = 0; i <= CONTEXT && we < before.length; i++) we = lineEndIncl(before, we);
  const patch = createFilePatch(file, before.slice(ws, we), after.slice(ws, we + delta));
  const shift = lines.lineOf(ws);
  if (shift === 0 || patch === '') return patch;
  return patch.replace(/^@@ -(\d+)((?:,(\d+))?) \+(\d+)((?:,\d+)?) @@(.*)$/gm, (_m, a: string, b: string, bn: string | undefined, c: string, d: string, heading: string) => {
    const oldStart = Number(a) + shift;
    // git's heading: nearest line at or above the hunk's first line - 1 that starts with a letter, '_' or '$'.
    const first = bn === '0' ? oldStart : oldStart - 1; // 0-based index of the hunk's first old line
    const h = heading !== '' ? heading : ` ${funcHeading(before, lines, first - 1)}`.replace(/^ $/, '');
    return `@@ -${oldStart}${b} +${Number(c) + shift}${d} @@${h}`;
  });
}

/** Same rule as core's diff: the nearest line at or above 0-based line `from` starting with [A-Za-z_$], trimmed, ≤ 80 bytes. */
function funcHeading(text: string, lines: LineCounter, from: number): string {
  for (let i = from; i >= 0; i--) {
    const start = lines.startOf(i);
    const c = text.charCodeAt(start);
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36) {
      let line = text.slice(start, lineEndIncl(text, start)).replace(/\s+$/, '');
      if (Buffer.byteLength(line) > 80) line = Buffer.from(line).subarray(0, 80).toString('utf8').replace(/\uFFFD+$/, '');
      return line.replace(/\s+$/, '');
    }
  }
  return '';
}
