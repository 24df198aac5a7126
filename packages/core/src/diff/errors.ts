/** A patch text is malformed (bad hunk header, truncated hunk, stray line inside a hunk). */
export class PatchParseError extends Error {
  /** 1-based line of the patch where parsing failed, when known. */
  readonly line: number | undefined;
  /** Creates the error; the message names the line and what was expected. */
  constructor(message: string, line?: number) {
    super(line === undefined ? message : `${message} (patch line ${line})`);
    this.name = 'PatchParseError';
    this.line = line;
  }
}

/** Details of a failed {@link applyPatch}. */
export interface PatchApplyErrorDetails {
  /** Directory the patch was applied to. */
  dir: string;
  /** First file that failed, as reported by git apply / patch. */
  file?: string;
  /** Line (old side) of the failing hunk, as reported by git apply. */
  hunkLine?: number;
  /** git apply's stderr. */
  gitStderr: string;
  /** The `patch` fallback's output ('' when it did not run). */
  patchOutput: string;
  /** What to try next. */
  hint: string;
}

/** A patch could not be applied; the tree was left unchanged. */
export class PatchApplyError extends Error implements PatchApplyErrorDetails {
  readonly dir: string;
  readonly file?: string;
  readonly hunkLine?: number;
  readonly gitStderr: string;
  readonly patchOutput: string;
  readonly hint: string;
  /** Creates the error from the tools' outputs. */
  constructor(message: string, details: PatchApplyErrorDetails) {
    super(message);
    this.name = 'PatchApplyError';
    this.dir = details.dir;
    this.file = details.file;
    this.hunkLine = details.hunkLine;
    this.gitStderr = details.gitStderr;
    this.patchOutput = details.patchOutput;
    this.hint = details.hint;
  }
}
