/**
 * One trajectory to SFT records: convert to the output format, mask error turns, apply the
 * history it ran with (segments), cut to the token budget, and encode every record exactly.
 */
import { placeholderOf, processorMask } from '@swe-forge/core/history';
import { SCHEMA_VERSION, trajectoryStep, type HistoryProcessor, type SftMessage, type SftRecord, type Trajectory, type TrajectoryStep } from '@swe-forge/core/schema';
import { chunkConversation, type ChunkDrop, type ChunkScheme } from '../chunk/index.js';
import { bucketOf, type Bucket } from '../curriculum/buckets.js';
import { convertConversation, FormatConversionError, type OutputFormat } from '../format/convert.js';
import { fromEvalRepo } from '../filter/eval-repos.js';
import { maskedTurns, type ErrorMaskOptions, type MaskReason } from '../mask/errors.js';
import { actionMix, type ActionKind } from '../stats/actions.js';
import { recordSummary, type RecordSummary } from '../stats/summary.js';
import type { Target } from '../template/encode.js';

/** How trajectories become records. */
export interface ProcessOptions {
  format: OutputFormat;
  maxTokens: number;
  scheme: ChunkScheme;
  /** Error masking (false: train every assistant turn). */
  maskErrors: false | ErrorMaskOptions;
  /**
   * Observations hidden in each step's prompt (segments scheme): `recorded` uses the steps'
   * `masked_observations`, `none` hides nothing, a processor recomputes them (e.g. last 5
   * observations) on top of what was recorded.
   */
  history: 'recorded' | 'none' | HistoryProcessor;
  /** Hidden reasoning of assistant messages: dropped, or inlined as a `<think>` block. */
  reasoning: 'drop' | 'inline';
  /** Curriculum buckets, or null. */
  curriculum: readonly Bucket[] | null;
}

/** A record with its exact tokens and labels. */
export interface BuiltRecord {
  /** The record (its messages are emptied when no export needs them; `line` has it whole). */
  record: SftRecord;
  /** The record as its JSON line (newline included), serialized where it was built. */
  line: string;
  /** What the statistics need from it. */
  summary: RecordSummary;
  ids: Int32Array;
  trained: Uint8Array;
  bucket: string | null;
}

/** What became of one trajectory. */
export interface BuiltTrajectory {
  ordinal: number;
  instance_id: string;
  attempt: number;
  source: string;
  records: BuiltRecord[];
  drops: ChunkDrop[];
  /** Set when the trajectory could not be converted or encoded. */
  error?: string;
  /** Labelling problems (a turn the template rewrote beyond recognition, a missing end of turn), one per record and turn. */
  labelProblems: string[];
  /** Assistant actions in the trajectory. */
  turns: number;
  masked: Partial<Record<MaskReason, number>>;
  actions: Record<ActionKind, number>;
  bucket: string | null;
}

/** The steps to use: recorded ones, or one per assistant message when a trajectory has none. */
export function stepsOf(t: Trajectory): TrajectoryStep[] {
  if (t.steps.length) return t.steps;
  const out: TrajectoryStep[] = [];
  t.messages.forEach((m, i) => {
    if (m.role !== 'assistant') return;
    out.push(trajectoryStep(out.length, i));
  });
  return out;
}

/** Turn a trajectory into records for `target`. Never throws: failures are reported in `error`. */
export function processTrajectory(t: Trajectory, target: Target, opts: ProcessOptions, ordinal: number, source: string): BuiltTrajectory {
  const steps = stepsOf(t);
  const bucket = opts.curriculum ? (bucketOf(steps.length, opts.curriculum)?.name ?? null) : null;
  const base: BuiltTrajectory = {
    ordinal,
    instance_id: t.instance_id,
    attempt: t.attempt,
    source,
    records: [],
    drops: [],
    labelProblems: [],
    turns: steps.length,
    masked: {},
    actions: actionMix(steps),
    bucket,
  };
  let conv;
  try {
    conv = convertConversation(t, opts.format, t.meta?.source_format === 'mini-swe-agent-1' ? ['bash'] : undefined);
  } catch (e) {
    if (e instanceof FormatConversionError) return { ...base, error: `conversion to ${opts.format} failed: ${e.message}` };
    throw e;
  }
  const mask = opts.maskErrors ? maskedTurns({ steps }, opts.maskErrors) : new Map<number, MaskReason>();
  for (const r of mask.values()) base.masked[r] = (base.masked[r] ?? 0) + 1;
  const messages: SftMessage[] = conv.messages.map((m, i) => {
    let content = m.content;
    if (m.role === 'assistant' && opts.reasoning === 'inline' && t.messages[i]?.reasoning_content) {
      content = `<think>\n${t.messages[i]!.reasoning_content}\n</think>\n\n${content}`;
    }
    const out: SftMessage = { role: m.role, content, train: m.role === 'assistant' && !mask.has(i) };
    if (m.tool_calls?.length) out.tool_calls = m.tool_calls;
    if (m.tool_call_id) out.tool_call_id = m.tool_call_id;
    if (m.name) out.name = m.name;
    return out;
  });
  const placeholder = placeholderOf(t.history.processor, t.history.condenser);
  const stepsForHistory = steps.map((s) => {
    if (opts.history === 'none') return { ...s, masked_observations: [] };
    if (opts.history === 'recorded') return s;
    const extra = processorMask(messages, s.message_index, opts.history);
    return { ...s, masked_observations: [...new Set([...s.masked_observations, ...extra])].sort((a, b) => a - b) };
  });
  try {
    const res = chunkConversation(target, messages, {
      scheme: opts.scheme,
      maxTokens: opts.maxTokens,
      tools: conv.tools,
      steps: stepsForHistory,
      placeholder: typeof opts.history === 'object' && opts.history.type === 'last_n_observations' ? opts.history.placeholder : placeholder,
    });
    base.drops = res.dropped;
    for (const [k, c] of res.chunks.entries()) for (const p of c.encoded.spans.problems) base.labelProblems.push(`${t.instance_id} chunk ${k}: ${p}`);
    base.records = res.chunks.map((c, k) => {
      const record: SftRecord = {
        schema_version: SCHEMA_VERSION,
        messages: c.messages,
        ...(conv.tools ? { tools: conv.tools } : {}),
        meta: {
          instance_id: t.instance_id,
          chunk: k,
          tokens: c.encoded.tokens,
          trained_tokens: c.encoded.trainedTokens,
          source: t.scaffold,
          attempt: t.attempt,
          model: t.model,
          format: opts.format,
          scheme: opts.scheme,
          turns: steps.length,
          trained_turns: c.messages.filter((m) => m.role === 'assistant' && m.train).length,
          ...(bucket ? { curriculum_bucket: bucket } : {}),
          ...(typeof t.meta?.repo === 'string' ? { repo: t.meta.repo } : {}),
          ...(fromEvalRepo(t) ? { swe_bench_eval_repo: true } : {}),
        },
      };
      return { record, line: `${JSON.stringify(record)}\n`, summary: recordSummary(record), ids: Int32Array.from(c.encoded.ids), trained: c.encoded.trained, bucket };
    });
  } catch (e) {
    return { ...base, error: `encoding failed: ${(e as Error).message}` };
  }
  return base;
}
