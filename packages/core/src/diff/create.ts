import { diffLines } from './myers.js';
import { quotePath } from './paths.js';

/** One file's change for {@link createPatch}; `null` content means the file does not exist on that side. */
export interface FileChange {
  /** Repository-relative path with forward slashes, e.g. 'src/pkg/mod.py'. */
  path: string;
  /** Content before; `null` = the file is created by the patch ('' = an existing empty file). */
  before: string | null;
  /** Content after; `null` = the file is deleted by the patch ('' = emptied but kept). */
  after: string | null;
}

/** Options for {@link createFilePatch} and {@link createPatch}. */
export interface CreatePatchOptions {
  /** Unchanged lines around each change (default 3, like git). */
  context?: number;
}

const NO_EOL = '\\ No newline at end of file';

/**
 * Splits text into lines for diffing. Only '\n' ends a line, so a CRLF file keeps its '\r' as
 * part of each line's content (byte-exact round trips). Every line but a final unterminated one
 * carries its '\n', which makes "x" and "x\n" different lines, as they must be.
 */
function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl === -1) {
      if (start < text.length) lines.push(text.slice(start));
      return lines;
    }
    lines.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
}

function emit(out: string[], prefix: string, line: string): void {
  if (line.endsWith('\n')) out.push(prefix + line.slice(0, -1));
  else out.push(prefix + line, NO_EOL);
}

/**
 * git's default hunk heading: the nearest old line at or above `from` that starts with a letter,
 * '_' or '$' (for Python: the enclosing top-level `def`/`class`), trimmed to 80 bytes.
 */
function funcHeading(a: string[], from: number): string {
  for (let i = from; i >= 0; i--) {
    const c = a[i].charCodeAt(0);
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36) {
      let line = a[i].replace(/\s+$/, '');
      if (Buffer.byteLength(line) > 80) {
        line = Buffer.from(line).subarray(0, 80).toString('utf8').replace(/\uFFFD+$/, '');
      }
      return line.replace(/\s+$/, '');
    }
  }
  return '';
}

function range(start: number, count: number): string {
  // git's format: the count is omitted when it is 1; an empty range names the line before it.
  return count === 1 ? `${start}` : `${start},${count}`;
}

/** The hunks (each '@@' header plus lines) of a before→after diff, joined with '\n'; '' when equal. */
function formatHunks(before: string, after: string, context: number): string {
  const a = splitLines(before);
  const b = splitLines(after);
  const { deleted, inserted } = diffLines(a, b);
  // ops: a flat walk of the alignment; 0 = equal, 1 = delete, 2 = insert. Deletions first in a change run.
  const opKind: number[] = [];
  const opA: number[] = [];
  const opB: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && deleted[i]) {
      opKind.push(1);
      opA.push(i++);
      opB.push(j);
    } else if (j < b.length && inserted[j]) {
      opKind.push(2);
      opA.push(i);
      opB.push(j++);
    } else {
      opKind.push(0);
      opA.push(i++);
      opB.push(j++);
    }
  }
  const out: string[] = [];
  let k = 0;
  const n = opKind.length;
  while (k < n) {
    while (k < n && opKind[k] === 0) k++;
    if (k >= n) break;
    const start = Math.max(0, k - context);
    // Extend the hunk while the next change is within 2*context equal lines (contexts touch or overlap).
    let end = k;
    for (;;) {
      while (end < n && opKind[end] !== 0) end++;
      let next = end;
      while (next < n && opKind[next] === 0) next++;
      if (next < n && next - end <= 2 * context) {
        end = next;
        continue;
      }
      end = Math.min(n, end + context);
      break;
    }
    let oldLines = 0;
    let newLines = 0;
    const body: string[] = [];
    for (let t = start; t < end; t++) {
      const kind = opKind[t];
      if (kind === 0) {
        emit(body, ' ', a[opA[t]]);
        oldLines++;
        newLines++;
      } else if (kind === 1) {
        emit(body, '-', a[opA[t]]);
        oldLines++;
      } else {
        emit(body, '+', b[opB[t]]);
        newLines++;
      }
    }
    const oldStart = oldLines === 0 ? opA[start] : opA[start] + 1;
    const newStart = newLines === 0 ? opB[start] : opB[start] + 1;
    const heading = funcHeading(a, opA[start] - 1);
    out.push(`@@ -${range(oldStart, oldLines)} +${range(newStart, newLines)} @@${heading ? ` ${heading}` : ''}`, ...body);
    k = end;
  }
  return out.join('\n');
}

function fileHeader(path: string, before: string | null, after: string | null): string[] {
  const aName = quotePath(`a/${path}`);
  const bName = quotePath(`b/${path}`);
  // git appends a tab to ---/+++ names containing a space so trailing spaces stay unambiguous.
  const tab = (name: string): string => (name.includes(' ') ? `${name}\t` : name);
  const lines = [`diff --git ${aName} ${bName}`];
  if (before === null) lines.push('new file mode 100644');
  if (after === null) lines.push('deleted file mode 100644');
  lines.push(`--- ${before === null ? '/dev/null' : tab(aName)}`, `+++ ${after === null ? '/dev/null' : tab(bName)}`);
  return lines;
}

/**
 * A git-style unified diff of one file (`diff --git a/P b/P`, `--- a/P`, `+++ b/P`, hunks with
 * `context` lines), or '' when nothing changes. `before: null` creates the file (`--- /dev/null`,
 * `new file mode`); `after: null` deletes it. Line endings (CRLF) and a missing final newline
 * (`\ No newline at end of file`) are preserved byte for byte.
 */
export function createFilePatch(path: string, before: string | null, after: string | null, opts: CreatePatchOptions = {}): string {
  const context = Math.max(0, Math.floor(opts.context ?? 3));
  if (before === null && after === null) return '';
  if (before === after) return '';
  if (path === '' || path.startsWith('/')) {
    throw new Error(`createFilePatch: path '${path}' must be relative to the repository root (e.g. 'src/mod.py')`);
  }
  const header = fileHeader(path, before, after);
  const hunks = formatHunks(before ?? '', after ?? '', context);
  if (hunks === '') {
    // A created or deleted empty file: git writes only the extended header.
    return `${header.slice(0, 2).join('\n')}\n`;
  }
  return `${header.join('\n')}\n${hunks}\n`;
}

/** Concatenated {@link createFilePatch} of several files, sorted by path; '' when nothing changes. */
export function createPatch(files: FileChange[], opts: CreatePatchOptions = {}): string {
  const sorted = [...files].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  const seen = new Set<string>();
  for (const f of sorted) {
    if (seen.has(f.path)) throw new Error(`createPatch: path '${f.path}' is listed twice; merge its changes into one entry`);
    seen.add(f.path);
  }
  return sorted.map((f) => createFilePatch(f.path, f.before, f.after, opts)).join('');
}
