/**
 * One file, start to finish: read, parse once, extract entities, run every eligible
 * (entity, modifier) pair with a PRNG seeded by (seed, file, entity, modifier), check each
 * mutation in memory (differs beyond whitespace, re-parses without ERROR), and diff it.
 * Runs in worker threads or inline; the result depends only on the inputs.
 */
import { sha256 } from '@swe-forge/core/ids';
import type { Entity, EntityNode } from './entities.js';
import { extractFileEntities, lineEndIncl, lineStart, matchesFilter } from './entities.js';
import { EditSet, applyEdits, sameIgnoringWhitespace } from './edits.js';
import type { Modifier } from './modifiers.js';
import { ALL_MODIFIERS } from './modifiers.js';
import type { PythonParser } from './parser.js';
import { field } from './parser.js';
import { readPythonFile } from './files.js';
import { Rng } from './rng.js';
import { LineCounter, windowedFilePatch } from './patch.js';

/** Options that shape generation for one file (plain data: crosses the worker boundary). */
export interface FileGenOptions {
  /** Modifier names to run; empty = extract entities only. */
  modifiers: string[];
  /** Overrides every modifier's default likelihood. */
  likelihood?: number;
  seed: number;
  maxFileBytes: number;
  /** SWE-smith retries a modifier this many times until the code changes. */
  attempts: number;
  /** Also return the mutated entity source (for SWE-smith's metadata files). */
  withRewrite: boolean;
}

/** A mutation that passed the in-memory checks. */
export interface RawCandidate {
  file: string;
  modifier: string;
  entity: Entity;
  patch: string;
  /** Mutated source of the entity (only with `withRewrite`). */
  rewrite?: string;
  /** Which attempt (0-based) produced it. */
  attempt: number;
}

/** Everything learned from one file. */
export interface FileResult {
  file: string;
  skipped?: string;
  /** sha256 of the file bytes (non-git repositories hash these into a tree id). */
  sha?: string;
  lines: number;
  entities: Entity[];
  /** Definitions skipped because they contain a syntax error. */
  broken: { name: string; line: number }[];
  /** The file has at least one syntax error (its intact entities are still used). */
  parseError: boolean;
  candidates: RawCandidate[];
  rejected: { unchanged: number; reparse: number; errors: number };
  /** First internal error message, if any (the run goes on). */
  firstError?: string;
  /** Per modifier: eligible entities. */
  eligible: Record<string, number>;
}

function isolatedChunk(text: string, start: number, end: number): string {
  const chunk = text.slice(start, end);
  // An indented definition parses on its own under an `if 1:` header, whatever its indent width.
  return start < text.length && (text[start] === ' ' || text[start] === '\t') ? `if 1:\n${chunk}` : chunk;
}

/** Runs one modifier on one entity; null when no valid mutation came out of the attempts. */
export function mutateEntity(
  parser: PythonParser,
  text: string,
  fileHasError: boolean,
  en: EntityNode,
  mod: Modifier,
  opts: Pick<FileGenOptions, 'likelihood' | 'seed' | 'attempts'>,
  rejected: Pick<FileResult['rejected'], 'unchanged' | 'reparse'>,
): { after: string; rewrite: string; attempt: number; changeStart: number; changeEnd: number } | null {
  const e = en.entity;
  const rng = new Rng(`${opts.seed}\0${e.file}\0${e.qualified_name}\0${e.line_start}\0${mod.name}`);
  const likelihood = opts.likelihood ?? mod.likelihood;
  const chunkStart = lineStart(text, en.outer.start);
  const chunkEnd = lineEndIncl(text, en.node.end);
  const before = text.slice(chunkStart, chunkEnd);
  for (let attempt = 0; attempt < opts.attempts; attempt++) {
    const edits = new EditSet(text);
    mod.apply({ text, node: en.node, rng, edits, flip: () => rng.random() < likelihood });
    if (edits.edits.length === 0) continue;
    const inChunk = edits.edits.filter((x) => x.start >= chunkStart && x.end <= chunkEnd);
    if (inChunk.length !== edits.edits.length) continue; // never edit outside the entity
    const delta = inChunk.reduce((a, x) => a + x.text.length - (x.end - x.start), 0);
    const after = applyEdits(text, inChunk);
    const rewrite = after.slice(chunkStart, chunkEnd + delta);
    if (sameIgnoringWhitespace(before, rewrite)) {
      rejected.unchanged++;
      continue;
    }
    // Header-only edits (bases, defaults): the header with a stub body is all that must re-parse.
    const body = field(en.node, 'body');
    const headerOnly = !!body && body.startRow > en.node.startRow && inChunk.every((x) => x.end <= body.start);
    let ok = headerOnly
      ? !parser.hasError(isolatedChunk(after.slice(0, body.start + delta) + 'pass\n', chunkStart, body.start + delta + 5))
      : !parser.hasError(isolatedChunk(after, chunkStart, chunkEnd + delta));
    if (!ok && parser.hasError(isolatedChunk(text, chunkStart, chunkEnd))) {
      // The entity does not parse on its own (rare): check the whole file instead.
      ok = !fileHasError && !parser.hasError(after);
    }
    if (!ok) {
      rejected.reparse++;
      continue;
    }
    const changeStart = Math.min(...inChunk.map((x) => x.start));
    const changeEnd = Math.max(...inChunk.map((x) => x.end));
    return { after, rewrite, attempt, changeStart, changeEnd };
  }
  return null;
}

/** Processes one file: entities, and candidates for the requested modifiers. */
export async function processFile(parser: PythonParser, file: string, abs: string, opts: FileGenOptions): Promise<FileResult> {
  const result: FileResult = {
    file,
    lines: 0,
    entities: [],
    broken: [],
    parseError: false,
    candidates: [],
    rejected: { unchanged: 0, reparse: 0, errors: 0 },
    eligible: {},
  };
  const read = await readPythonFile(abs, opts.maxFileBytes);
  if (!read.ok) {
    result.skipped = read.reason;
    return result;
  }
  const { text } = read;
  result.sha = sha256(read.bytes);
  result.lines = text.length === 0 ? 0 : text.split('\n').length;
  if (!/\b(def|class)\b/.test(text)) return result; // no definitions: nothing to parse
  let root;
  try {
    const tree = parser.parseTree(text);
    root = tree.root;
    result.parseError = tree.hasError;
  } catch (err) {
    result.skipped = `parser failed (${(err as Error).message})`;
    return result;
  }
  const { entities, broken } = extractFileEntities(root, text, file);
  result.entities = entities.map((x) => x.entity);
  result.broken = broken;
  const mods = ALL_MODIFIERS.filter((m) => opts.modifiers.includes(m.name));
  let lines: LineCounter | undefined;
  for (const en of entities) {
    for (const mod of mods) {
      if (!matchesFilter(en.entity, { tags: mod.conditions, minComplexity: mod.minComplexity, maxComplexity: mod.maxComplexity })) continue;
      result.eligible[mod.name] = (result.eligible[mod.name] ?? 0) + 1;
      let out;
      let patch;
      try {
        out = mutateEntity(parser, text, result.parseError, en, mod, opts, result.rejected);
        if (!out) continue;
        patch = windowedFilePatch(file, text, out.after, out.changeStart, out.changeEnd, (lines ??= new LineCounter(text)));
      } catch (err) {
        // A modifier bug on one odd construct must not cost the whole run: count it, go on.
        result.rejected.errors++;
        result.firstError ??= `${mod.name} on ${file}:${en.entity.line_start}: ${(err as Error).message}`;
        continue;
      }
      if (!patch) continue;
      result.candidates.push({
        file,
        modifier: mod.name,
        entity: en.entity,
        patch,
        attempt: out.attempt,
        ...(opts.withRewrite ? { rewrite: out.rewrite } : {}),
      });
    }
  }
  return result;
}
