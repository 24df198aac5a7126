/** @swe-forge/procedural-bugs: tree-sitter Python entity extraction and procedural bug modifiers. */
export { extractEntities, generateProceduralBugs, ProceduralBugsError, DEFAULT_MAX_FILE_BYTES } from './generate.js';
export type { GenerateOptions, ScanOptions } from './generate.js';
export { MODIFIERS, ALL_MODIFIERS, resolveModifiers } from './modifiers.js';
export type { Modifier, ModifierContext, ModifierFamily } from './modifiers.js';
export { TAGS, computeComplexity, computeTags, extractFileEntities, matchesFilter } from './entities.js';
export type { Entity, EntityFilter, Tag } from './entities.js';
export { loadParser, nativeAvailable } from './parser.js';
export type { ParserKind, PythonParser, PNode } from './parser.js';
export { listPythonFiles, isTestPath } from './files.js';
export type { FileSelection, SkippedFile } from './files.js';
export { mutateEntity } from './process-file.js';
export { gitApplyCheckMany } from './gitcheck.js';
