/**
 * The data contracts every swe-forge stage reads and writes. Each record type has a zod
 * schema (runtime validation), a TypeScript type, and a `schema_version`: readers accept
 * any record whose major version matches, writers always stamp the current one.
 */
import { z } from 'zod';

/** Current schema version stamped on every record swe-forge writes (semver major.minor). */
export const SCHEMA_VERSION = '1.0';

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

/** One chat message of a trajectory. */
export const ChatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string(),
  tool_calls: z.array(z.unknown()).optional(),
  tool_call_id: z.string().optional(),
  name: z.string().optional(),
});
/** One chat message of a trajectory. */
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

/** One agent run on one task instance. */
export const TrajectorySchema = z.object({
  schema_version: schemaVersion,
  instance_id: z.string().min(1),
  model: z.string(),
  scaffold: z.string(),
  messages: z.array(ChatMessageSchema).optional(),
  steps: z.array(z.record(z.string(), z.unknown())).optional(),
  exit_status: z.string(),
  submission: z.string(),
  stats: z.object({
    steps: z.number().int().nonnegative(),
    cost: z.number().nonnegative(),
    tokens: z.number().int().nonnegative(),
    wall_s: z.number().nonnegative(),
  }),
  eval: z.object({ resolved: z.boolean(), report: z.record(z.string(), z.unknown()) }).optional(),
});
/** One agent run on one task instance. */
export type Trajectory = z.infer<typeof TrajectorySchema>;

/** One supervised fine-tuning example. `train: false` turns are context only. */
export const SftRecordSchema = z.object({
  schema_version: schemaVersion,
  messages: z.array(z.object({ role: z.enum(['system', 'user', 'assistant', 'tool']), content: z.string(), train: z.boolean() })),
  meta: z.object({ instance_id: z.string(), chunk: z.number().int().nonnegative(), tokens: z.number().int().nonnegative(), source: z.string() }),
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
