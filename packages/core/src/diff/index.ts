/**
 * Unified diffs in memory: create git-apply compatible patches from before/after text, parse,
 * reverse and inspect them, and apply them to a directory (`git apply`, `patch --fuzz` fallback).
 */
export { createFilePatch, createPatch } from './create.js';
export type { CreatePatchOptions, FileChange } from './create.js';
export { formatPatch, parsePatch, patchFiles, patchStats, reversePatch, touchedLines } from './parse.js';
export type { FilePatch, Hunk } from './parse.js';
export { applyPatch } from './apply.js';
export type { ApplyPatchOptions, ApplyPatchResult } from './apply.js';
export { PatchApplyError, PatchParseError } from './errors.js';
export type { PatchApplyErrorDetails } from './errors.js';
export { diffLines } from './myers.js';
export type { LineChanges } from './myers.js';
