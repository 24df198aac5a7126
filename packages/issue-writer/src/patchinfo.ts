import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parsePatch, patchFiles, touchedLines } from '@swe-forge/core/diff';
import type { TaskInstance } from '@swe-forge/core/schema';

/** Files a bug patch touches (the "gold files" an agent has to fix). */
export function goldFiles(patch: string): string[] {
  return patchFiles(patch);
}

const defRe = /^(\s*)(?:async\s+)?(def|class)\s+([A-Za-z_]\w*)/;

/**
 * Qualified name (`Class.method`) of the innermost def/class enclosing 1-based `line`.
 * Scanning upwards, every line indented less than everything below it is an enclosing
 * block header (in valid Python); the def/class headers among them form the name.
 */
export function enclosingEntity(lines: string[], line: number): string | null {
  const names: string[] = [];
  const at = Math.min(line, lines.length) - 1;
  if (at < 0) return null;
  let limit = Infinity;
  const self = defRe.exec(lines[at] ?? '');
  if (self) {
    names.unshift(self[3]);
    limit = self[1].length;
  } else if (lines[at].trim() !== '') {
    limit = lines[at].length - lines[at].trimStart().length;
  }
  for (let i = at - 1; i >= 0 && limit > 0; i--) {
    const text = lines[i];
    if (text.trim() === '' || text.trimStart().startsWith('#')) continue;
    const ind = text.length - text.trimStart().length;
    if (ind >= limit) continue;
    const m = defRe.exec(text);
    if (m) names.unshift(m[3]);
    limit = ind;
  }
  return names.length ? names.join('.') : null;
}

/**
 * Functions/methods the bug patch changes, as qualified names. Reads the clean files from
 * `repoDir` when given (precise), else uses the entity list in `meta.entities` and the
 * hunk section headers.
 */
export async function changedFunctions(instance: Pick<TaskInstance, 'patch' | 'meta'>, repoDir?: string): Promise<string[]> {
  const found = new Set<string>();
  if (repoDir) {
    for (const [file, lineNos] of touchedLines(instance.patch)) {
      let text: string;
      try {
        text = await readFile(join(repoDir, file), 'utf8');
      } catch {
        continue;
      }
      const lines = text.split(/\r?\n/);
      for (const n of lineNos) {
        const name = enclosingEntity(lines, n);
        if (name) found.add(name);
      }
    }
  }
  if (found.size === 0) {
    const entities = instance.meta?.entities;
    if (Array.isArray(entities)) {
      for (const e of entities) if (e && typeof e === 'object' && typeof (e as { name?: unknown }).name === 'string') found.add((e as { name: string }).name);
    }
  }
  if (found.size === 0) {
    for (const fp of parsePatch(instance.patch)) {
      for (const h of fp.hunks) {
        const m = /(?:def|class)\s+([A-Za-z_]\w*)/.exec(h.header ?? '');
        if (m) found.add(m[1]);
      }
    }
  }
  return [...found].sort();
}

/** Added and removed code lines of a patch (prefix stripped), in patch order. */
export function changedCodeLines(patch: string): { added: string[]; removed: string[] } {
  const added: string[] = [];
  const removed: string[] = [];
  for (const fp of parsePatch(patch)) {
    for (const h of fp.hunks) {
      for (const l of h.lines) {
        if (l.startsWith('+')) added.push(l.slice(1));
        else if (l.startsWith('-')) removed.push(l.slice(1));
      }
    }
  }
  return { added, removed };
}
