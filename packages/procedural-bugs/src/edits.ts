/**
 * Text edits on the original file: every mutation is a set of range replacements on the
 * source string, so bytes outside the mutated nodes (line endings, comments, indentation of
 * multi-line strings) are never touched.
 */
import type { PNode } from './parser.js';
import { namedKids } from './parser.js';
import { lineEndIncl, lineStart } from './entities.js';

/** Replace `text[start, end)` with `text`. */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Applies non-overlapping edits to a text. */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  let out = '';
  let pos = 0;
  for (const e of sorted) {
    out += text.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  return out + text.slice(pos);
}

/**
 * Edits collected while a modifier walks an entity bottom-up. A later (outer) edit may
 * contain earlier ones: it is built from `render`, which already includes them, and absorbs
 * them. Partial overlaps are refused.
 */
export class EditSet {
  readonly edits: Edit[] = [];
  constructor(readonly text: string) {}

  /** The original text of `[start, end)` with the edits inside it applied. */
  render(start: number, end: number): string {
    const inside = this.edits.filter((e) => e.start >= start && e.end <= end);
    if (inside.length === 0) return this.text.slice(start, end);
    return applyEdits(this.text.slice(0, end), inside).slice(start);
  }

  /** Text of a node with inner edits applied. */
  node(n: PNode): string {
    return this.render(n.start, n.end);
  }

  /** Adds edits atomically; false (and nothing added) when one partially overlaps or falls inside an existing edit. */
  replace(next: Edit[]): boolean {
    for (const n of next) {
      for (const e of this.edits) {
        const inside = e.start >= n.start && e.end <= n.end;
        const disjoint = e.end <= n.start || e.start >= n.end;
        if (!inside && !disjoint) return false;
      }
    }
    for (const n of next) {
      for (let i = this.edits.length - 1; i >= 0; i--) {
        const e = this.edits[i];
        if (e.start >= n.start && e.end <= n.end) {
          this.edits.splice(i, 1);
        }
      }
      this.edits.push(n);
    }
    return true;
  }
}

function restOfLine(text: string, index: number): string {
  const nl = text.indexOf('\n', index);
  return text.slice(index, nl < 0 ? text.length : nl);
}

/** True when a statement sits alone on its lines (only whitespace before, only `;`/comment after). */
export function statementIsolated(text: string, stmt: PNode, siblings: PNode[]): boolean {
  if (text.slice(lineStart(text, stmt.start), stmt.start).trim() !== '') return false;
  if (!/^[ \t]*;?[ \t]*(#.*)?\r?$/.test(restOfLine(text, stmt.end))) return false;
  const i = siblings.indexOf(stmt);
  if (i > 0 && siblings[i - 1].endRow >= stmt.startRow) return false;
  if (i >= 0 && i + 1 < siblings.length && siblings[i + 1].startRow <= stmt.endRow) return false;
  return true;
}

/** Start of the deletion for a statement: its first line, plus the blank lines separating it from what precedes it in the block. */
function blankLinesBefore(text: string, stmt: PNode, block: PNode): number {
  const start = lineStart(text, stmt.start);
  const kids = block.children.filter((c) => c.named);
  const i = kids.indexOf(stmt);
  if (i <= 0) return start;
  const from = lineEndIncl(text, kids[i - 1].end);
  return from <= start && text.slice(from, start).trim() === '' ? from : start;
}

/**
 * Edits removing statements from their blocks: whole lines are deleted; a block that would
 * become empty keeps a `pass` in place of its first removed statement. Statements that share
 * a line with another statement are left alone (unless alone in their block).
 */
export function planStatementRemovals(text: string, stmts: PNode[]): Edit[] {
  const chosen = stmts.filter((s) => !stmts.some((o) => o !== s && o.start <= s.start && o.end >= s.end && (o.start !== s.start || o.end !== s.end)));
  const byBlock = new Map<PNode, PNode[]>();
  for (const s of chosen) {
    const block = s.parent as PNode;
    const list = byBlock.get(block) ?? [];
    if (!list.includes(s)) list.push(s);
    byBlock.set(block, list);
  }
  const edits: Edit[] = [];
  for (const [block, removed] of byBlock) {
    const all = namedKids(block);
    const feasible = removed
      .filter((s) => all.length === 1 || statementIsolated(text, s, all))
      .sort((a, b) => a.start - b.start);
    if (feasible.length === 0) continue;
    const emptied = feasible.length === all.length;
    feasible.forEach((s, i) => {
      if (emptied && i === 0) edits.push({ start: s.start, end: s.end, text: 'pass' });
      else edits.push({ start: blankLinesBefore(text, s, block), end: lineEndIncl(text, s.end), text: '' });
    });
  }
  return edits;
}

/** True when two texts differ only in whitespace. */
export function sameIgnoringWhitespace(a: string, b: string): boolean {
  return a.replace(/\s+/g, '') === b.replace(/\s+/g, '');
}
