/**
 * Steps of an imported trajectory: one per assistant action, with the error and hygiene flags
 * error masking and cheating filters need, derived from the messages (and whatever metadata
 * the source scaffold recorded). Shared by the mini-swe-agent and SWE-agent importers; rollout
 * records its steps itself.
 */
import type { ChatMessage, TrajectoryStep } from '../schema/index.js';
import { commandWritesTests, isTestPath, readsGitHistory } from './flags.js';

/** Markers that end a run when printed first by a command (mini-swe-agent v2 and v1). */
export const SUBMIT_MARKERS: readonly string[] = ['COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT', 'MINI_SWE_AGENT_FINAL_OUTPUT'];

/** Fence labels of an action block: mini-swe-agent v2 (`mswea_bash_command`), v1 (`bash`), others (`sh`, `shell`, none). */
export const DEFAULT_FENCES: readonly string[] = ['mswea_bash_command', 'bash', 'sh', 'shell', ''];

const fenceCache = new Map<string, RegExp>();
function fenceRegex(labels: readonly string[]): RegExp {
  const key = labels.join('|');
  let r = fenceCache.get(key);
  if (!r) {
    const alt = labels.map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
    r = new RegExp('```(?:' + alt + ')[ \\t]*\\n([\\s\\S]*?)\\n```', 'g');
    fenceCache.set(key, r);
  }
  return r;
}

/**
 * The commands in fenced blocks of a text-mode answer whose label is one of `fences`
 * (default {@link DEFAULT_FENCES}), trimmed, in order. Exactly one means a well-formed action.
 */
export function parseBashBlocks(content: string, fences: readonly string[] = DEFAULT_FENCES): string[] {
  return [...content.matchAll(fenceRegex(fences))].map((m) => m[1]!.trim());
}

/** What an observation tells about the action before it. */
export interface ObservationFacts {
  /** The answer was rejected as malformed (the observation is a format-error message). */
  format_error: boolean;
  /** The tool refused the call or the command raised before it could run normally. */
  tool_error: boolean;
  exit_code: number | null;
  timed_out: boolean;
  truncated: boolean;
}

const FORMAT_ERROR_TEXT = [
  /^Format error:/,
  /^Tool call error:/,
  /Please always provide EXACTLY ONE action/,
  /Your output was not formatted correctly/,
  /Your last output did not use any tool calls/,
];
const TIMEOUT_TEXT = [
  /timed out after \d+(\.\d+)? seconds/,
  /^The last command <command>[\s\S]*<\/command> timed out and has been killed/,
  /was cancelled because it took more than \d+(\.\d+)? seconds/,
];
const TRUNCATED_TEXT = [/<output_head>/, /"output_head":/, /<elided_chars>/, /<response clipped>/, /Observations should not exceeded/];
// SWE-agent tool refusals (str_replace_editor, windowed edit tools, the command blocklist)
const TOOL_ERROR_TEXT = [
  /^No replacement was performed/,
  /did not appear verbatim in/,
  /^Invalid `\w+` parameter/,
  /^Usage: /,
  /^Interactive operation '.*' is not supported/,
  /^The command '.*' is not supported/,
];

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) ? v : null;
}

/**
 * Read an observation's facts from its text (mini-swe-agent's `<returncode>` / JSON
 * `"returncode"` templates, timeout and truncation templates, SWE-agent's tool messages) and
 * from mini-swe-agent v2's `extra` (`returncode`, `exception_type`, `interrupt_type`).
 */
export function observationFacts(content: string, extra: Record<string, unknown> = {}): ObservationFacts {
  let exit_code = num(extra.returncode);
  if (exit_code === null) {
    const m = /<returncode>(-?\d+)<\/returncode>/.exec(content) ?? /^\s*\{\s*"returncode":\s*(-?\d+)/.exec(content);
    if (m) exit_code = Number(m[1]);
  }
  const exceptionType = typeof extra.exception_type === 'string' ? extra.exception_type : '';
  const exceptionInfo = typeof extra.exception_info === 'string' ? extra.exception_info : '';
  // mini-swe-agent v2: returncode -1, exception_info "… Command '…' timed out after N seconds", exception_type TimeoutExpired
  const timed_out = /Timeout/i.test(exceptionType) || TIMEOUT_TEXT.some((r) => r.test(content) || r.test(exceptionInfo));
  const format_error = extra.interrupt_type === 'FormatError' || FORMAT_ERROR_TEXT.some((r) => r.test(content));
  const exceptionShown = /^<exception>/.test(content) || exceptionInfo !== '';
  const tool_error = !timed_out && !format_error && (exceptionShown || TOOL_ERROR_TEXT.some((r) => r.test(content.trimStart())));
  const truncated = TRUNCATED_TEXT.some((r) => r.test(content));
  // a killed command has no meaningful exit code (mini-swe-agent reports -1)
  return { format_error, tool_error, exit_code: timed_out ? null : exit_code, timed_out, truncated };
}

/** Per assistant message, what the source scaffold recorded beside the text. */
export interface StepHint {
  /** The action as the scaffold parsed it (a command), when recorded. */
  action?: string | null;
  /** File the action edits implicitly (SWE-agent's `edit`/`insert` edit the open file). */
  editPath?: string | null;
}

/** Options of {@link deriveSteps}. */
export interface DeriveStepsOptions {
  /** `bash`: one fenced command per answer; `tools`: native tool calls. */
  mode: 'bash' | 'tools';
  /** Test files of the instance (from FAIL_TO_PASS / PASS_TO_PASS), besides the path rule. */
  testFiles?: Iterable<string>;
  /** Hints per message index (assistant messages only). */
  hints?: ReadonlyMap<number, StepHint>;
  /** Extra fields of each message (mini-swe-agent v2's `extra`), by message index. */
  extras?: ReadonlyMap<number, Record<string, unknown>>;
  /** Tool names of scaffold commands besides bash (SWE-agent: open, edit, submit, ...). */
  scaffoldTools?: ReadonlySet<string>;
  /** Fence labels of an action block in text mode (default {@link DEFAULT_FENCES}). */
  fences?: readonly string[];
}

/** SWE-agent's own commands (tool bundles), used as the step's tool name in text mode. */
export const SWE_AGENT_COMMANDS: ReadonlySet<string> = new Set([
  'open', 'goto', 'scroll_up', 'scroll_down', 'create', 'edit', 'insert', 'append', 'find_file', 'search_dir', 'search_file',
  'submit', 'str_replace_editor', 'filemap', 'exit_forfeit',
]);
// scaffold commands that write the file named by their first argument (or `path`)
const EDIT_COMMANDS = new Set(['create', 'edit', 'insert', 'append', 'str_replace_editor']);
const SHELL_TOOLS = new Set(['bash', 'execute_bash', 'shell', 'run_shell_command']);

function parseArgs(raw: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(raw);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The path a scaffold edit command writes, if any. */
function editedPath(tool: string, args: Record<string, unknown> | string, editPath?: string | null): string | null {
  if (!EDIT_COMMANDS.has(tool)) return null;
  if (typeof args !== 'string') {
    if (tool === 'str_replace_editor' && args.command === 'view') return null;
    const p = args.path ?? args.filename ?? args.file_name;
    return typeof p === 'string' ? p : (editPath ?? null);
  }
  const words = args.trim().split(/\s+/);
  if (tool === 'str_replace_editor') return words[1] === 'view' ? null : (words[2] ?? null);
  if (tool === 'create') return words[1] ?? null;
  return editPath ?? null;
}

function stripRepoRoot(path: string): string {
  // `/testbed/tests/x.py`, `/repo__name/tests/x.py` -> `tests/x.py`
  return path.replace(/^\/+[^/]+\//, '').replace(/^\.\//, '');
}

/**
 * One step per assistant message: its action (one fenced command, or the native tool calls),
 * the observations that answer it (the user/tool messages up to the next assistant message),
 * and flags read from them. A text answer without exactly one command, or a tools answer
 * without a call, is a format error.
 */
export function deriveSteps(messages: readonly ChatMessage[], opts: DeriveStepsOptions): TrajectoryStep[] {
  const steps: TrajectoryStep[] = [];
  const testFiles = [...(opts.testFiles ?? [])];
  const scaffold = opts.scaffoldTools ?? new Set<string>();
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.role !== 'assistant') continue;
    const observation_indices: number[] = [];
    for (let j = i + 1; j < messages.length && messages[j]!.role !== 'assistant'; j++) {
      if (messages[j]!.role === 'user' || messages[j]!.role === 'tool') observation_indices.push(j);
    }
    const facts = observation_indices.map((j) => observationFacts(messages[j]!.content, opts.extras?.get(j)));
    const hint = opts.hints?.get(i);

    let tool: string | null = null;
    let action: string | Record<string, unknown> | null = null;
    let format_error = false;
    const commands: { tool: string; args: Record<string, unknown> | string }[] = [];
    if (opts.mode === 'tools' || (m.tool_calls && m.tool_calls.length)) {
      const calls = m.tool_calls ?? [];
      if (!calls.length) format_error = true;
      for (const c of calls) {
        const args = parseArgs(c.function.arguments);
        if (!args) format_error = true;
        const command = args && SHELL_TOOLS.has(c.function.name) && typeof args.command === 'string' ? args.command : null;
        commands.push({ tool: c.function.name, args: command ?? args ?? c.function.arguments });
      }
      if (calls.length === 1) {
        tool = calls[0]!.function.name;
        action = commands[0]!.args;
      } else if (calls.length > 1) {
        tool = calls.map((c) => c.function.name).join(',');
        action = { calls: commands.map((c) => ({ tool: c.tool, args: c.args })) };
      }
    } else {
      const blocks = hint?.action != null ? [hint.action.trim()] : parseBashBlocks(m.content, opts.fences);
      if (blocks.length !== 1) format_error = true;
      else {
        const command = blocks[0]!;
        const first = command.split(/\s+/)[0] ?? '';
        tool = scaffold.has(first) ? first : 'bash';
        action = command;
        commands.push({ tool, args: command });
      }
    }
    // only the direct answer can reject this action: a later format-error message answers an
    // answer the scaffold did not record (mini-swe-agent v2 drops malformed tool calls)
    if (facts[0]?.format_error) format_error = true;
    if (format_error) {
      tool = null;
      action = null;
    }

    let touched_tests = false;
    let read_git_history = false;
    let submitted = false;
    for (const c of format_error ? [] : commands) {
      const command = c.args;
      if (typeof command === 'string' && (c.tool === 'bash' || SHELL_TOOLS.has(c.tool))) {
        if (commandWritesTests(command, testFiles)) touched_tests = true;
        if (readsGitHistory(command)) read_git_history = true;
        if (SUBMIT_MARKERS.some((k) => command.includes(k))) submitted = true;
      } else {
        const path = editedPath(c.tool, c.args, hint?.editPath);
        if (path && (isTestPath(stripRepoRoot(path)) || testFiles.includes(stripRepoRoot(path)))) touched_tests = true;
        if (c.tool === 'submit' || (typeof c.args === 'string' && c.args.trim() === 'submit')) submitted = true;
      }
    }
    const codes = facts.map((f) => f.exit_code).filter((c): c is number => c !== null);
    steps.push({
      index: steps.length,
      message_index: i,
      observation_indices,
      tool,
      action,
      format_error,
      tool_error: !format_error && facts.some((f) => f.tool_error),
      // a run ends on the submit sentinel only when its command exited 0 (mini-swe-agent's rule); no observation follows it
      exit_code: codes.length ? (codes.find((c) => c !== 0) ?? 0) : submitted && observation_indices.length === 0 && !format_error ? 0 : null,
      timed_out: facts.some((f) => f.timed_out),
      truncated: facts.some((f) => f.truncated),
      touched_tests,
      read_git_history,
      submitted,
      masked_observations: [],
    });
  }
  return steps;
}
