import type { TaskInstance } from '@swe-forge/core/schema';

/** The issue strategies a dataset row carries a column for. */
const STRATEGIES = ['template', 'tests', 'lm', 'original'] as const;

/**
 * One row of the exported `instances.jsonl`: SWE-bench field names plus swe-forge extras,
 * with the SAME keys and types on every row (so HF `datasets` / Arrow load it as JSON
 * lines): `meta` has a fixed set of keys and the free-form rest as a JSON string.
 */
export interface DatasetRow {
  instance_id: string;
  repo: string;
  base_commit: string;
  env_id: string;
  patch: string;
  problem_statement: string;
  FAIL_TO_PASS: string[];
  PASS_TO_PASS: string[];
  created_at: string;
  strategy: string;
  schema_version: string;
  meta: {
    candidate_id: string;
    files: string[];
    entities: string[];
    /** The issue strategy `problem_statement` came from ('' when none wrote one). */
    issue_strategy: string;
    issue_template: string;
    /** Every strategy's text ('' when that strategy skipped the instance or did not run). */
    problem_statements: Record<(typeof STRATEGIES)[number], string>;
    issue_cost_usd: number;
    issue_prompt_tokens: number;
    issue_completion_tokens: number;
    test_selection: string;
    validation_s: number;
    /** Everything else from the instance's meta, as a JSON string. */
    extra: string;
  };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Build the dataset row of an instance from the per-strategy issue outputs. */
export function toDatasetRow(inst: TaskInstance, chosen: TaskInstance | undefined, chosenStrategy: string | undefined, texts: Partial<Record<string, TaskInstance>>): DatasetRow {
  const meta = (inst.meta ?? {}) as Record<string, unknown>;
  const iw = ((chosen?.meta as Record<string, unknown> | undefined)?.issue_writer ?? {}) as Record<string, unknown>;
  const { candidate_id, files, entities, test_selection, validation_s, issue_writer: _iw, ...rest } = meta;
  const problem_statements = Object.fromEntries(STRATEGIES.map((s) => [s, texts[s]?.problem_statement ?? ''])) as DatasetRow['meta']['problem_statements'];
  return {
    instance_id: inst.instance_id,
    repo: inst.repo,
    base_commit: inst.base_commit,
    env_id: inst.env_id,
    patch: inst.patch,
    problem_statement: chosen?.problem_statement ?? '',
    FAIL_TO_PASS: inst.FAIL_TO_PASS,
    PASS_TO_PASS: inst.PASS_TO_PASS,
    created_at: inst.created_at,
    strategy: inst.strategy,
    schema_version: inst.schema_version ?? '1.0',
    meta: {
      candidate_id: str(candidate_id),
      files: Array.isArray(files) ? files.filter((f): f is string => typeof f === 'string') : [],
      entities: Array.isArray(entities) ? entities.map((e) => str((e as { name?: unknown })?.name)).filter(Boolean) : [],
      issue_strategy: chosenStrategy ?? '',
      issue_template: str(iw.template) || str(((texts.template?.meta as Record<string, unknown> | undefined)?.issue_writer as Record<string, unknown> | undefined)?.template),
      problem_statements,
      issue_cost_usd: num(iw.cost_usd),
      issue_prompt_tokens: num(iw.prompt_tokens),
      issue_completion_tokens: num(iw.completion_tokens),
      test_selection: str(test_selection),
      validation_s: num(validation_s),
      extra: JSON.stringify(rest),
    },
  };
}
