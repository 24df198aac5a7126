import { PatchParseError } from './errors.js';
import { parseHeaderPath, stripPrefix, unquoteAt } from './paths.js';

/** One hunk; `lines` keep their ' ', '+', '-' or '\\' (no-newline marker) prefix and no '\n'. */
export interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** The full '@@ -a,b +c,d @@ section' line. */
  header: string;
  lines: string[];
}

/** One file of a patch. Paths have the `a/` / `b/` prefix stripped; null on the missing side. */
export interface FilePatch {
  oldPath: string | null;
  newPath: string | null;
  hunks: Hunk[];
  isNew: boolean;
  isDeleted: boolean;
  /** Raw header lines before the first hunk ('diff --git', 'index', '---', '+++', ...). */
  header: string[];
}

const HUNK_RE = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$/;

/** Splits the text after 'diff --git ' into its two raw (possibly quoted) names. */
export function splitGitNames(rest: string): [string, string] | null {
  let first: string;
  let after: number;
  if (rest.startsWith('"')) {
    const q = unquoteAt(rest, 0);
    if (!q || rest[q.end] !== ' ') return null;
    first = rest.slice(0, q.end);
    after = q.end + 1;
    return [first, rest.slice(after)];
  }
  if (rest.endsWith('"')) {
    const open = rest.lastIndexOf(' "');
    if (open !== -1) return [rest.slice(0, open), rest.slice(open + 1)];
  }
  // Unquoted names may contain spaces: prefer the split where both names agree after -p1.
  if ((rest.length - 1) % 2 === 0) {
    const half = (rest.length - 1) / 2;
    if (rest[half] === ' ' && stripPrefix(rest.slice(0, half)) === stripPrefix(rest.slice(half + 1))) {
      return [rest.slice(0, half), rest.slice(half + 1)];
    }
  }
  const b = rest.indexOf(' b/');
  if (b !== -1) return [rest.slice(0, b), rest.slice(b + 1)];
  const sp = rest.indexOf(' ');
  return sp === -1 ? null : [rest.slice(0, sp), rest.slice(sp + 1)];
}

function headerName(raw: string): string | null {
  const name = parseHeaderPath(raw);
  return name === null ? null : stripPrefix(name);
}

function plainName(raw: string): string {
  // 'rename from X' names carry no a/ b/ prefix
  return raw.startsWith('"') ? (unquoteAt(raw, 0)?.name ?? raw) : raw;
}

/**
 * Parses a unified diff (git-style or plain `diff -u`, several files, new/deleted files, renames,
 * mode changes) into files and hunks. Text outside file sections (mail headers, commit messages)
 * is ignored. Throws {@link PatchParseError} on a malformed or truncated hunk.
 */
export function parsePatch(patch: string): FilePatch[] {
  const lines = patch.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const files: FilePatch[] = [];
  type Building = FilePatch & { git: boolean; sawPaths: boolean; binary: boolean };
  let cur: Building | null = null;
  const start = (git: boolean): Building => {
    const f: Building = { oldPath: null, newPath: null, hunks: [], isNew: false, isDeleted: false, header: [], git, sawPaths: false, binary: false };
    files.push(f);
    return f;
  };
  let i = 0;
  while (i < lines.length) {
    const raw = lines[i];
    // Header lines may carry a '\r' when the patch file itself was saved with CRLF.
    const line = raw.endsWith('\r') && !raw.startsWith('@@') ? raw.slice(0, -1) : raw;
    if (line.startsWith('diff --git ')) {
      cur = start(true);
      cur.header.push(line);
      const names = splitGitNames(line.slice(11));
      if (names) {
        cur.oldPath = headerName(names[0]);
        cur.newPath = headerName(names[1]);
      }
      i++;
      continue;
    }
    if (line.startsWith('--- ') && i + 1 < lines.length && lines[i + 1].startsWith('+++ ')) {
      if (!cur || cur.hunks.length > 0 || cur.sawPaths || cur.binary) cur = start(false);
      const plus = lines[i + 1].endsWith('\r') ? lines[i + 1].slice(0, -1) : lines[i + 1];
      cur.header.push(line, plus);
      cur.sawPaths = true;
      cur.oldPath = headerName(line.slice(4));
      cur.newPath = headerName(plus.slice(4));
      if (cur.oldPath === null) cur.isNew = true;
      if (cur.newPath === null) cur.isDeleted = true;
      i += 2;
      continue;
    }
    if (line.startsWith('@@')) {
      if (!cur || cur.binary) throw new PatchParseError("hunk '@@' without a file header ('diff --git' or '---'/'+++')", i + 1);
      const m = HUNK_RE.exec(line);
      if (!m) throw new PatchParseError(`malformed hunk header '${line}': expected '@@ -a,b +c,d @@'`, i + 1);
      const hunk: Hunk = {
        oldStart: Number(m[1]),
        oldLines: m[2] === undefined ? 1 : Number(m[2]),
        newStart: Number(m[3]),
        newLines: m[4] === undefined ? 1 : Number(m[4]),
        header: line,
        lines: [],
      };
      const headerLine = i + 1;
      let remOld = hunk.oldLines;
      let remNew = hunk.newLines;
      i++;
      while (remOld > 0 || remNew > 0) {
        if (i >= lines.length) {
          throw new PatchParseError(`hunk '${line}' is truncated: ${remOld} old and ${remNew} new lines missing (was the patch cut or its whitespace stripped?)`, headerLine);
        }
        const l = lines[i];
        const c = l === '' ? ' ' : l[0];
        if (c === ' ') {
          remOld--;
          remNew--;
        } else if (c === '-') remOld--;
        else if (c === '+') remNew--;
        else if (c !== '\\') {
          throw new PatchParseError(`unexpected line in hunk '${line}': ${JSON.stringify(l.slice(0, 60))} (expected ' ', '+', '-' or '\\'; line counts in the header may be wrong)`, i + 1);
        }
        if (remOld < 0 || remNew < 0) {
          throw new PatchParseError(`hunk '${line}' has more lines than its header counts`, i + 1);
        }
        hunk.lines.push(l === '' ? ' ' : l);
        i++;
      }
      if (i < lines.length && lines[i].startsWith('\\')) hunk.lines.push(lines[i++]);
      if (i < lines.length) {
        // A '+'/'-' line right after a complete hunk means the header's counts are wrong; taking
        // it for junk would silently drop part of the change. ('-- ' is a mail signature.)
        const next = lines[i];
        const isHeader = next.startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ ');
        if ((next[0] === '+' || next[0] === '-') && !isHeader && next !== '-- ' && next !== '--') {
          throw new PatchParseError(`hunk '${line}' has more lines than its header counts (fix the counts or regenerate the patch)`, i + 1);
        }
      }
      cur.hunks.push(hunk);
      continue;
    }
    if (cur && cur.git && cur.hunks.length === 0 && !cur.sawPaths) {
      // Extended git header lines.
      if (cur.binary) {
        cur.header.push(line);
        i++;
        continue;
      }
      let handled = true;
      if (line.startsWith('new file mode ')) {
        cur.isNew = true;
        cur.oldPath = null;
      } else if (line.startsWith('deleted file mode ')) {
        cur.isDeleted = true;
        cur.newPath = null;
      } else if (line.startsWith('rename from ') || line.startsWith('copy from ')) {
        cur.oldPath = plainName(line.slice(line.indexOf(' from ') + 6));
      } else if (line.startsWith('rename to ') || line.startsWith('copy to ')) {
        cur.newPath = plainName(line.slice(line.indexOf(' to ') + 4));
      } else if (line === 'GIT binary patch' || (line.startsWith('Binary files ') && line.endsWith(' differ'))) {
        cur.binary = true;
      } else if (
        !/^(old mode|new mode|index|similarity index|dissimilarity index|rename old|rename new) /.test(line)
      ) {
        handled = false;
      }
      if (handled) {
        cur.header.push(line);
        i++;
        continue;
      }
    }
    // Anything else (commit message, mail signature, 'Only in ...') sits between files: skip it.
    i++;
  }
  return files.map(({ oldPath, newPath, hunks, isNew, isDeleted, header }) => ({
    oldPath: isNew ? null : oldPath,
    newPath: isDeleted ? null : newPath,
    hunks,
    isNew,
    isDeleted,
    header,
  }));
}

/** Serializes parsed files back to patch text (the inverse of {@link parsePatch} for well-formed input). */
export function formatPatch(files: FilePatch[]): string {
  let out = '';
  for (const f of files) {
    for (const h of f.header) out += `${h}\n`;
    for (const hunk of f.hunks) {
      out += `${hunk.header}\n`;
      for (const l of hunk.lines) out += `${l}\n`;
    }
  }
  return out;
}

function swapSide(raw: string): string {
  const q = raw.startsWith('"') ? '"' : '';
  const body = raw.slice(q.length);
  if (body.startsWith('a/')) return `${q}b/${body.slice(2)}`;
  if (body.startsWith('b/')) return `${q}a/${body.slice(2)}`;
  return raw;
}

function reverseHeader(header: string[]): string[] {
  const out = [...header];
  for (let k = 0; k < out.length; k++) {
    const line = out[k];
    if (line.startsWith('diff --git ')) {
      const names = splitGitNames(line.slice(11));
      if (names) out[k] = `diff --git ${swapSide(names[1])} ${swapSide(names[0])}`;
    } else if (line.startsWith('--- ') && out[k + 1]?.startsWith('+++ ')) {
      const minus = out[k + 1].slice(4);
      const plus = line.slice(4);
      out[k] = `--- ${swapSide(minus)}`;
      out[k + 1] = `+++ ${swapSide(plus)}`;
      k++;
    } else if (line.startsWith('new file mode ')) out[k] = `deleted file mode ${line.slice(14)}`;
    else if (line.startsWith('deleted file mode ')) out[k] = `new file mode ${line.slice(18)}`;
    else if (line.startsWith('index ')) {
      const m = /^index ([0-9a-fA-F]+)\.\.([0-9a-fA-F]+)(.*)$/.exec(line);
      if (m) out[k] = `index ${m[2]}..${m[1]}${m[3]}`;
    } else if (line === 'GIT binary patch' || (line.startsWith('Binary files ') && line.endsWith(' differ'))) {
      throw new PatchParseError('cannot reverse a binary patch as text; apply it with applyPatch(dir, patch, { reverse: true }) instead');
    }
  }
  // Paired lines: swap their values but keep their order.
  const swapPair = (a: string, b: string): void => {
    const ia = out.findIndex((l) => l.startsWith(a));
    const ib = out.findIndex((l) => l.startsWith(b));
    if (ia !== -1 && ib !== -1) {
      const va = out[ia].slice(a.length);
      out[ia] = a + out[ib].slice(b.length);
      out[ib] = b + va;
    }
  };
  swapPair('old mode ', 'new mode ');
  swapPair('rename from ', 'rename to ');
  swapPair('copy from ', 'copy to ');
  return out;
}

function reverseHunk(h: Hunk): Hunk {
  const m = /^@@ -(\S+) \+(\S+) @@(.*)$/.exec(h.header)!;
  const header = `@@ -${m[2]} +${m[1]} @@${m[3]}`;
  // Within each run of changed lines, removals come before additions (git's canonical order);
  // a '\' marker stays glued to the line it follows.
  const lines: string[] = [];
  let minus: string[] = [];
  let plus: string[] = [];
  let last: string[] | null = null;
  const flush = (): void => {
    lines.push(...minus, ...plus);
    minus = [];
    plus = [];
  };
  for (const l of h.lines) {
    const c = l[0];
    if (c === '\\') {
      if (last === null) lines.push(l);
      else last.push(l);
      continue;
    }
    if (c === '+') {
      minus.push(`-${l.slice(1)}`);
      last = minus;
    } else if (c === '-') {
      plus.push(`+${l.slice(1)}`);
      last = plus;
    } else {
      flush();
      lines.push(l);
      last = lines;
    }
  }
  flush();
  return { oldStart: h.newStart, oldLines: h.newLines, newStart: h.oldStart, newLines: h.oldLines, header, lines };
}

/** The inverse patch: '+' and '-' swapped, ranges and paths swapped, new ↔ deleted files. */
export function reversePatch(patch: string): string {
  const files = parsePatch(patch).map((f) => ({
    oldPath: f.newPath,
    newPath: f.oldPath,
    isNew: f.isDeleted,
    isDeleted: f.isNew,
    header: reverseHeader(f.header),
    hunks: f.hunks.map(reverseHunk),
  }));
  return formatPatch(files);
}

/** Paths a patch touches (new-side path; the old path for deletions), in patch order, unique. */
export function patchFiles(patch: string): string[] {
  const seen = new Set<string>();
  for (const f of parsePatch(patch)) {
    const p = f.newPath ?? f.oldPath;
    if (p !== null) seen.add(p);
  }
  return [...seen];
}

/** Number of files and of added / removed lines. */
export function patchStats(patch: string): { files: number; added: number; removed: number } {
  let added = 0;
  let removed = 0;
  const files = parsePatch(patch);
  for (const f of files) {
    for (const h of f.hunks) {
      for (const l of h.lines) {
        if (l[0] === '+') added++;
        else if (l[0] === '-') removed++;
      }
    }
  }
  return { files: files.length, added, removed };
}

/**
 * Lines of the ORIGINAL (old-side) files that a patch touches, for coverage-based test selection:
 * a test "covers" the patch when it executes one of these lines of the unpatched code.
 * Per old-side path (files the patch creates are absent): sorted 1-based line numbers of
 * - every removed or modified line ('-' lines), and
 * - for a pure insertion (a run of '+' lines with no '-' in it), the old line just before the
 *   insertion point, or line 1 when inserting at the top of a file (only known when the hunk
 *   shows old lines: a `@@ -0,0` hunk adds nothing).
 * Context lines are not included.
 */
export function touchedLines(patch: string): Map<string, number[]> {
  const result = new Map<string, number[]>();
  for (const f of parsePatch(patch)) {
    if (f.oldPath === null) continue;
    const set = new Set<number>(result.get(f.oldPath) ?? []);
    for (const h of f.hunks) {
      // With an empty old range, oldStart names the line before the hunk.
      let oldLine = h.oldLines === 0 ? h.oldStart + 1 : h.oldStart;
      let runHasMinus = false;
      let runHasPlus = false;
      let runStart = oldLine;
      const endRun = (): void => {
        if (runHasPlus && !runHasMinus) {
          if (runStart - 1 >= 1) set.add(runStart - 1);
          else if (h.oldLines > 0) set.add(1);
        }
        runHasMinus = false;
        runHasPlus = false;
      };
      for (const l of h.lines) {
        const c = l[0];
        if (c === '\\') continue;
        if (c === ' ') {
          endRun();
          oldLine++;
          runStart = oldLine;
        } else if (c === '-') {
          set.add(oldLine);
          runHasMinus = true;
          oldLine++;
        } else if (c === '+') {
          runHasPlus = true;
        }
      }
      endRun();
    }
    result.set(f.oldPath, [...set].sort((x, y) => x - y));
  }
  return result;
}
