/**
 * The data contracts every swe-forge stage reads and writes. Each record type has a zod
 * schema (runtime validation), a TypeScript type, and a `schema_version`: readers accept
 * any record whose major version matches, writers always stamp the current one.
 */
import { z } from 'zod';

/** Current schema version stamped on every record swe-forge writes (semver major.minor). */
export const SCHEMA_VERSION = '1.1';

const schemaVersion = z.string().regex(/^1\.\d+$/, 'schema_version must be 1.x').default(SCHEMA_VERSION);

/** Status of one test in one run. */
export const TestStatusSchema = z.enum(['PASSED', 'FAILED', 'ERROR', 'SKIPPED', 'XFAIL']);
/** Status of one test in one run. */
export type TestStatus = z.infer<typeof TestStatusSchema>;

/** Counts of a baseline test run, stored in the EnvSpec. */
export const BaselineSchema = z.object({
  passed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  duration_s: z.number().nonnegative(),
  /** Test ids whose status differed between two baseline runs; never used as F2P/P2P. */
  flaky: z.array(z.string()).default([]),
});
/** Counts of a baseline test run, stored in the EnvSpec. */
export type Baseline = z.infer<typeof BaselineSchema>;

/** Sandbox backends an environment can run in. */
export const BackendSchema = z.enum(['venv', 'bwrap', 'docker', 'podman', 'apptainer']);
/** Sandbox backends an environment can run in. */
export type Backend = z.infer<typeof BackendSchema>;

/** Test-log parsers known to core's `testlog` module. */
export const LogParserSchema = z.enum(['pytest', 'junit', 'unittest']);
/** Test-log parsers known to core's `testlog` module. */
export type LogParserName = z.infer<typeof LogParserSchema>;

/** A reproducible test environment for one repo@commit. */
export const EnvSpecSchema = z.object({
  schema_version: schemaVersion,
  /** Stable id: `<owner>__<repo>.<commit8>` plus a spec hash suffix. */
  id: z.string().min(1),
  /** `owner/name` (or a local name for repositories without a remote). */
  repo: z.string().min(1),
  /** Full commit sha (or tree hash for a non-git directory). */
  commit: z.string().min(1),
  /** Python version, e.g. `3.11`. */
  python: z.string().min(1),
  /** Shell commands run in order inside the environment to install the project. */
  install: z.array(z.string()),
  /** The test command; validators append test ids to it. */
  test_cmd: z.string().min(1),
  test_framework: z.enum(['pytest', 'unittest']),
  log_parser: LogParserSchema,
  backend: BackendSchema,
  offline: z.object({ find_links: z.array(z.string()), no_index: z.boolean() }).optional(),
  baseline: BaselineSchema,
  /** Free-form extras: detection reasons, build log path, environment path, … */
  meta: z.record(z.string(), z.unknown()).default({}),
});
/** A reproducible test environment for one repo@commit. */
export type EnvSpec = z.infer<typeof EnvSpecSchema>;

/** The strategies that produce bug candidates. `procedural/<modifier>` names a modifier. */
export const StrategySchema = z
  .string()
  .regex(/^(procedural\/[a-z0-9_]+|lm_modify|lm_rewrite|pr_mirror|combine_file|combine_module)$/, 'unknown strategy');
/** The strategies that produce bug candidates. */
export type Strategy = z.infer<typeof StrategySchema>;

/** A code entity (function, method or class) a bug touches. */
export const EntityRefSchema = z.object({
  file: z.string(),
  name: z.string(),
  kind: z.enum(['function', 'method', 'class', 'module']),
  line_start: z.number().int().positive(),
  line_end: z.number().int().positive(),
});
/** A code entity (function, method or class) a bug touches. */
export type EntityRef = z.infer<typeof EntityRefSchema>;

/** A proposed bug: a unified diff against the clean repo, with provenance. */
export const BugCandidateSchema = z.object({
  schema_version: schemaVersion,
  id: z.string().min(1),
  repo: z.string().min(1),
  env_id: z.string(),
  strategy: StrategySchema,
  /** git-apply compatible unified diff that introduces the bug. */
  patch: z.string().min(1),
  files: z.array(z.string()).min(1),
  entities: z.array(EntityRefSchema),
  meta: z.record(z.string(), z.unknown()).default({}),
});
/** A proposed bug: a unified diff against the clean repo, with provenance. */
export type BugCandidate = z.infer<typeof BugCandidateSchema>;

/** The parsed outcome of one test run. */
export const TestReportSchema = z.object({
  tests: z.record(z.string(), TestStatusSchema),
  exit_code: z.number().int().nullable(),
  timed_out: z.boolean(),
  duration_s: z.number().nonnegative(),
  log_path: z.string().optional(),
});
/** The parsed outcome of one test run. */
export type TestReport = z.infer<typeof TestReportSchema>;

/** Why a candidate did (not) become a task. */
export const ValidationStatusSchema = z.enum([
  'valid', // >=1 FAIL_TO_PASS and >=1 PASS_TO_PASS
  'no_f2p', // the bug broke no test that passed before
  'no_p2p', // the bug broke every test
  'timeout', // the test run hit the per-candidate timeout
  'apply_failed', // the patch did not apply
  'untrustworthy', // e.g. non-zero exit with no failure, or nothing collected
  'error', // infrastructure error (see `error`)
]);
/** Why a candidate did (not) become a task. */
export type ValidationStatus = z.infer<typeof ValidationStatusSchema>;

/** The validator's verdict on one BugCandidate. */
export const ValidationResultSchema = z.object({
  schema_version: schemaVersion,
  candidate_id: z.string().min(1),
  env_id: z.string(),
  status: ValidationStatusSchema,
  FAIL_TO_PASS: z.array(z.string()),
  PASS_TO_PASS: z.array(z.string()),
  FAIL_TO_FAIL: z.array(z.string()),
  PASS_TO_FAIL: z.array(z.string()),
  /** Which tests were run: `full`, `files` or `coverage` selection. */
  test_selection: z.enum(['full', 'files', 'coverage']),
  report: TestReportSchema.omit({ tests: true }).extend({ n_tests: z.number().int().nonnegative() }),
  error: z.string().optional(),
  /** The candidate itself, so `gather` needs no second input. */
  candidate: BugCandidateSchema,
  duration_s: z.number().nonnegative(),
  meta: z.record(z.string(), z.unknown()).default({}),
});
/** The validator's verdict on one BugCandidate. */
export type ValidationResult = z.infer<typeof ValidationResultSchema>;

/** A SWE-bench-shaped task instance. The fix is the reverse of `patch`. */
export const TaskInstanceSchema = z.object({
  schema_version: schemaVersion,
  instance_id: z.string().min(1),
  repo: z.string().min(1),
  base_commit: z.string().min(1),
  env_id: z.string(),
  image_name: z.string().optional(),
  /** The bug: applied to `base_commit` it produces the broken tree the agent starts from. */
  patch: z.string().min(1),
  problem_statement: z.string(),
  FAIL_TO_PASS: z.array(z.string()).min(1),
  PASS_TO_PASS: z.array(z.string()),
  created_at: z.string(),
  strategy: StrategySchema,
  meta: z.record(z.string(), z.unknown()).default({}),
});
/** A SWE-bench-shaped task instance. The fix is the reverse of `patch`. */
export type TaskInstance = z.infer<typeof TaskInstanceSchema>;

/** One tool call of an assistant message, in OpenAI's `tool_calls` shape (`arguments` is a JSON string). */
export const ToolCallSchema = z.object({
  id: z.string(),
  type: z.literal('function').default('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
});
/** One tool call of an assistant message, in OpenAI's `tool_calls` shape (`arguments` is a JSON string). */
export type ToolCall = z.infer<typeof ToolCallSchema>;

/** One chat message of a trajectory (OpenAI chat shape). */
export const ChatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string(),
  /** Native tool calls of an assistant message (tools mode with `tool_format: native`). */
  tool_calls: z.array(ToolCallSchema).optional(),
  /** The call a `tool` message answers. */
  tool_call_id: z.string().optional(),
  name: z.string().optional(),
  /** Hidden reasoning the server returned separately (e.g. vLLM's `reasoning_content`). */
  reasoning_content: z.string().optional(),
});
/** One chat message of a trajectory (OpenAI chat shape). */
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

/**
 * How the prompt of each model call was built from the full history. `full`: every message
 * as recorded. `last_n_observations`: only the `n` most recent observations are shown in full,
 * older ones are replaced by `placeholder` (SWE-agent's and SWE-smith's "last 5 observations").
 * `{lines}` in a placeholder is replaced by the number of lines of the hidden observation.
 */
export const HistoryProcessorSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('full') }),
  z.object({
    type: z.literal('last_n_observations'),
    n: z.number().int().nonnegative(),
    placeholder: z.string().default('Old environment output: ({lines} lines omitted)'),
  }),
]);
/** How the prompt of each model call was built from the full history. */
export type HistoryProcessor = z.infer<typeof HistoryProcessorSchema>;

/**
 * Context condensation (SWE-Star): when a prompt would pass `max_prompt_tokens`, the oldest
 * observations still shown are masked with `placeholder` until the prompt is at most
 * `target_ratio` × `max_prompt_tokens`; masks are never lifted. The system prompt and the
 * task (first user message) are never masked.
 */
export const CondenserSchema = z.object({
  type: z.literal('mask_oldest_observations'),
  max_prompt_tokens: z.number().int().positive(),
  target_ratio: z.number().gt(0).lte(1).default(0.75),
  placeholder: z.string().default('Old environment output: ({lines} lines omitted)'),
});
/** Context condensation settings of a run. */
export type Condenser = z.infer<typeof CondenserSchema>;

/** History handling of a run: what sft-formatter needs to train on the context the model saw. */
export const HistoryConfigSchema = z.object({
  processor: HistoryProcessorSchema.default({ type: 'full' }),
  condenser: CondenserSchema.nullable().default(null),
});
/** History handling of a run. */
export type HistoryConfig = z.infer<typeof HistoryConfigSchema>;

/**
 * One agent action (a "turn" is one assistant action throughout swe-forge) with what error
 * masking and cheating filters need.
 */
export const TrajectoryStepSchema = z.object({
  /** 0-based action index. */
  index: z.number().int().nonnegative(),
  /** Index in `messages` of the assistant message that took the action. */
  message_index: z.number().int().nonnegative(),
  /** Indices in `messages` of the observation(s) answering it (user messages in text modes, tool messages in native mode). */
  observation_indices: z.array(z.number().int().nonnegative()).default([]),
  /** The tool used (`bash` in bash mode; `execute_bash`, `str_replace_editor`, `think`, `submit` in tools mode); null on a format error. */
  tool: z.string().nullable(),
  /** The command (bash) or the tool's arguments as given by the model; null on a format error. */
  action: z.union([z.string(), z.record(z.string(), z.unknown())]).nullable(),
  /** The answer could not be parsed into exactly one action (the format-error template answered). */
  format_error: z.boolean().default(false),
  /** The tool refused the call (bad arguments, str_replace without a match, unknown tool, …). */
  tool_error: z.boolean().default(false),
  /** Exit code of a command (null when no command ran or it was killed). */
  exit_code: z.number().int().nullable().default(null),
  /** The command hit the per-command timeout and its process group was killed. */
  timed_out: z.boolean().default(false),
  /** The observation was cut (head + tail kept). */
  truncated: z.boolean().default(false),
  /** The action edited a test file of the instance (cheating for training purposes). */
  touched_tests: z.boolean().default(false),
  /** The action read git history (`git log`, `git show`, reflog, …). */
  read_git_history: z.boolean().default(false),
  /** The action submitted the run. */
  submitted: z.boolean().default(false),
  /** Observation message indices hidden (placeholder) in the prompt of this step's model call. */
  masked_observations: z.array(z.number().int().nonnegative()).default([]),
  /** Cost in USD of this step's model call (0 for unpriced models). */
  cost: z.number().nonnegative().optional(),
  /** Tokens of this step's model call, as the server reported them. */
  usage: z.object({ prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative() }).optional(),
  /** Seconds waiting for the model and running the action. */
  lm_s: z.number().nonnegative().optional(),
  exec_s: z.number().nonnegative().optional(),
});
/** One agent action with its error and hygiene flags. */
export type TrajectoryStep = z.infer<typeof TrajectoryStepSchema>;

/** A step with every flag at its default (false / null / empty), then `fields`: for code that records steps. */
export function trajectoryStep(index: number, messageIndex: number, fields: Partial<TrajectoryStep> = {}): TrajectoryStep {
  return {
    index,
    message_index: messageIndex,
    observation_indices: [],
    tool: null,
    action: null,
    format_error: false,
    tool_error: false,
    exit_code: null,
    timed_out: false,
    truncated: false,
    touched_tests: false,
    read_git_history: false,
    submitted: false,
    masked_observations: [],
    ...fields,
  };
}

/** One agent run on one task instance. */
export const TrajectorySchema = z.object({
  schema_version: schemaVersion,
  instance_id: z.string().min(1),
  /** 0-based attempt number (K attempts per instance for rejection sampling and verifiers). */
  attempt: z.number().int().nonnegative().default(0),
  model: z.string(),
  /** Who produced it, e.g. `swe-forge/bash`, `swe-forge/tools`, `mini-swe-agent`, `swe-agent`. */
  scaffold: z.string(),
  /** Agent mode: one bash block per answer, or tool calls. */
  mode: z.enum(['bash', 'tools']).default('bash'),
  /** How tool calls were written: plain bash blocks (`text`), XML in the text, or native `tool_calls`. */
  tool_format: z.enum(['text', 'xml', 'native']).default('text'),
  /** The full, unprocessed history (what the run saw before history processing). */
  messages: z.array(ChatMessageSchema).default([]),
  /** OpenAI tool definitions offered to the model (native tool format). */
  tools: z.array(z.record(z.string(), z.unknown())).optional(),
  steps: z.array(TrajectoryStepSchema).default([]),
  history: HistoryConfigSchema.default({ processor: { type: 'full' }, condenser: null }),
  /** mini-swe-agent's exit statuses: `Submitted`, `LimitsExceeded`, `TimeExceeded`, `RepeatedFormatError`, or an error name. */
  exit_status: z.string(),
  /** The submitted patch (`git diff` of the working copy); '' when none. */
  submission: z.string(),
  stats: z.object({
    steps: z.number().int().nonnegative(),
    cost: z.number().nonnegative(),
    tokens: z.number().int().nonnegative(),
    prompt_tokens: z.number().int().nonnegative().default(0),
    completion_tokens: z.number().int().nonnegative().default(0),
    wall_s: z.number().nonnegative(),
    format_errors: z.number().int().nonnegative().default(0),
    tool_errors: z.number().int().nonnegative().default(0),
  }),
  eval: z
    .object({
      resolved: z.boolean(),
      /** Edits the same files and functions as the reference fix but does not resolve (SWE-Lego keeps these for localization). */
      semi_resolved: z.boolean().default(false),
      status: z.enum(['RESOLVED_FULL', 'RESOLVED_PARTIAL', 'RESOLVED_NO']).optional(),
      report: z.record(z.string(), z.unknown()).default({}),
    })
    .optional(),
  meta: z.record(z.string(), z.unknown()).default({}),
});
/** One agent run on one task instance. */
export type Trajectory = z.infer<typeof TrajectorySchema>;

/** One message of an SFT record; `train: false` messages are context only. */
export const SftMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string(),
  train: z.boolean(),
  tool_calls: z.array(ToolCallSchema).optional(),
  tool_call_id: z.string().optional(),
  name: z.string().optional(),
});
/** One message of an SFT record. */
export type SftMessage = z.infer<typeof SftMessageSchema>;

/** One supervised fine-tuning example. `train: false` turns are context only. */
export const SftRecordSchema = z.object({
  schema_version: schemaVersion,
  messages: z.array(SftMessageSchema),
  /** OpenAI tool definitions (native format). */
  tools: z.array(z.record(z.string(), z.unknown())).optional(),
  meta: z
    .object({
      instance_id: z.string(),
      chunk: z.number().int().nonnegative(),
      /** Exact token count of the record rendered with the target model's chat template. */
      tokens: z.number().int().nonnegative(),
      /** Tokens with a label (trained). */
      trained_tokens: z.number().int().nonnegative().optional(),
      source: z.string(),
    })
    .catchall(z.unknown()),
});
/** One supervised fine-tuning example. `train: false` turns are context only. */
export type SftRecord = z.infer<typeof SftRecordSchema>;

/** Every contract by name, for JSON Schema generation and generic validation. */
export const SCHEMAS = {
  EnvSpec: EnvSpecSchema,
  BugCandidate: BugCandidateSchema,
  TestReport: TestReportSchema,
  ValidationResult: ValidationResultSchema,
  TaskInstance: TaskInstanceSchema,
  Trajectory: TrajectorySchema,
  SftRecord: SftRecordSchema,
} as const;

/** Name of a contract in {@link SCHEMAS}. */
export type SchemaName = keyof typeof SCHEMAS;

/** Thrown when a record does not match its contract; says which record and which fields. */
export class SchemaError extends Error {
  constructor(
    readonly schema: SchemaName,
    readonly issues: z.core.$ZodIssue[],
    readonly where?: string,
  ) {
    const detail = issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    super(`invalid ${schema}${where ? ` at ${where}` : ''}: ${detail}`);
    this.name = 'SchemaError';
  }
}

/** Validate `value` against a named contract; throws {@link SchemaError} with a readable message. */
export function parseRecord<N extends SchemaName>(name: N, value: unknown, where?: string): z.infer<(typeof SCHEMAS)[N]> {
  const r = SCHEMAS[name].safeParse(value);
  if (!r.success) throw new SchemaError(name, r.error.issues, where);
  return r.data as z.infer<(typeof SCHEMAS)[N]>;
}

/** JSON Schema (draft 2020-12) for a named contract, generated from its zod schema. */
export function jsonSchemaFor(name: SchemaName): Record<string, unknown> {
  return z.toJSONSchema(SCHEMAS[name], { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
