/**
 * The `sft` stage: the rollout runs' trajectories to a token-exact SFT dataset for one tokenizer
 * (@swe-forge/sft-formatter's `buildDataset`), then every tokenizer / chat-template check on the
 * records written (`checkTokenizer`), saved as `<dataset>/checks.json`.
 *
 * When does a failed check stop the pipeline? A dataset is written correctly when every record
 * was labelled from its own token sequence (no label problems) and there is at least one record.
 * A failed check says the data or the template has a trap; it stops the pipeline unless the
 * config lists its id in `sft.accept_failed_checks` — then the verdict stays FAIL, in the output
 * and the report, with an explanation of what it means for this dataset. A dataset written
 * incorrectly always stops the pipeline.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as Sft from '@swe-forge/sft-formatter';
import type { SftCheckRow, SftFolderFiles } from '../../report/sections/index.js';
import { loadStage } from '../../groups.js';
import { writeJsonAtomic } from '../runner.js';
import type { SftStage } from './config.js';
import { fileStamps, recipePaths, type RecipeContext } from './context.js';
import type { RolloutOutput } from './rollout.js';

type SftModule = typeof Sft;

/** What the sft stage left. */
export interface SftOutput {
  dir: string;
  tokenizer: string;
  checks: SftCheckRow[];
}

/** `<dataset>/checks.json`. */
export interface SftChecksFile {
  tokenizer: string;
  chat_template: string | null;
  checks: SftCheckRow[];
  accepted: string[];
}

/** What an accepted failure of a known check means for the dataset, and what to do. */
export const CHECK_NOTES: Record<string, string> = {
  'rewrites-turns':
    "Qwen3's chat template writes an empty <think></think> block only into the last assistant message and drops think blocks from earlier ones, so inside a multi-turn record every earlier assistant turn is trained without the block that the same turn gets when it is the last message — as it is at inference. The dataset is still written correctly: records.jsonl and the pre-tokenized exports (trl/, hf/, torchtune/) hold exactly the tokens this template renders, with labels derived from that token sequence, and trainers reading them train on exactly what was checked (trainers re-templating the messages exports — axolotl, LLaMA-Factory, TRL conversational — render the same text). What is off is the turn format the model learns for earlier turns. To train every turn as the model writes it, build with a training template that renders every assistant turn alike (sft.chat_template: FILE, e.g. packages/sft-formatter/fixtures/templates/qwen3-training.jinja in a swe-forge checkout); then this check passes.",
};

/** The verdicts as report rows, accepted failures marked and explained. */
export function checkRows(checks: readonly { id: string; verdict: 'pass' | 'warn' | 'fail'; message: string; fix: string }[], accept: readonly string[]): SftCheckRow[] {
  return checks.map((c) => {
    const accepted = c.verdict === 'fail' && accept.includes(c.id);
    return { ...c, accepted, ...(accepted ? { note: CHECK_NOTES[c.id] ?? `accepted by sft.accept_failed_checks: the dataset is written, but ${c.id} failed; fix: ${c.fix}` } : {}) };
  });
}

/** Why a built dataset must not go on to training, or [] (see the module doc). */
export function sftProblems(rows: readonly SftCheckRow[], build: { records: number; labelProblems: { count: number; examples: string[] } }, filter: { input: number; counts: Record<string, number> }): string[] {
  const out: string[] = [];
  if (build.records === 0) out.push(`no records: the filters kept none of ${filter.input} trajectories (${Object.entries(filter.counts).map(([k, v]) => `${k} ${v}`).join(', ') || 'no trajectories read'}); record more resolved attempts, or set sft.semi_resolved: true`);
  if (build.labelProblems.count > 0) out.push(`${build.labelProblems.count} turn(s) that should be trained could not be labelled (e.g. ${build.labelProblems.examples[0] ?? '?'}): the template renders them in a way sft-formatter cannot locate; see \`swe-forge sft check\``);
  for (const c of rows) if (c.verdict === 'fail' && !c.accepted) out.push(`check ${c.id} failed: ${c.message}; fix: ${c.fix} (or, if this dataset is still what you want to train on, list "${c.id}" in sft.accept_failed_checks)`);
  return out;
}

/** Read a dataset folder's files for the report. */
export async function readSftFolder(dir: string): Promise<SftFolderFiles> {
  const json = async (f: string): Promise<unknown> => JSON.parse(await readFile(join(dir, f), 'utf8'));
  return { manifest: (await json('dataset.json')) as SftFolderFiles['manifest'], stats: (await json('stats.json')) as SftFolderFiles['stats'], report: (await json('report.json')) as SftFolderFiles['report'] };
}

/** Run (or resume) the sft stage on the given rollout runs' trajectories. */
export async function sftStage(ctx: RecipeContext, sft: SftStage, tokenizer: string, runs: readonly RolloutOutput[]): Promise<SftOutput> {
  const dir = recipePaths(ctx.cfg.out).sft;
  const picked = sft.rollouts ? runs.filter((r) => sft.rollouts!.includes(r.run.name)) : runs;
  const trajectories = [...picked.filter((r) => r.instances.length > 0).map((r) => r.trajectories), ...sft.trajectories];
  const load = async (): Promise<SftOutput> => {
    const f = JSON.parse(await readFile(join(dir, 'checks.json'), 'utf8')) as SftChecksFile;
    return { dir, tokenizer, checks: f.checks };
  };
  return ctx.runner.stage<SftOutput>(
    'sft',
    async () => {
      const mod = await loadStage<SftModule>('sft', '@swe-forge/sft-formatter', ['buildDataset', 'checkTokenizer']);
      ctx.log(`sft: format ${sft.format} (the trajectories' actions rewritten as ${sft.format === 'bash' ? 'one fenced bash command per answer' : sft.format === 'xml' ? 'XML tool calls in the text' : 'native tool calls'}), tokenizer ${tokenizer}`);
      const r = await mod.buildDataset({
        trajectories,
        tokenizer,
        chatTemplate: sft.chatTemplate,
        templateVariables: sft.templateVariables,
        out: dir,
        format: sft.format,
        maxTokens: sft.maxTokens,
        chunking: sft.chunking,
        maskErrors: sft.maskErrors,
        curriculum: sft.curriculum,
        exports: sft.exports,
        instances: ctx.datasetPath,
        filter: { resolved: sft.semiResolved ? 'resolved+semi' : 'resolved', ...(sft.maxPerInstance !== undefined ? { perInstance: sft.maxPerInstance } : {}) },
        workers: sft.workers,
        progress: ctx.progress,
      });
      const checks = checkRows(await mod.checkTokenizer(tokenizer, { records: dir, chatTemplate: sft.chatTemplate, templateVariables: sft.templateVariables, format: sft.format, maxTokens: sft.maxTokens }), sft.acceptFailedChecks);
      const file: SftChecksFile = { tokenizer, chat_template: sft.chatTemplate ?? null, checks, accepted: checks.filter((c) => c.accepted).map((c) => c.id) };
      await writeJsonAtomic(join(dir, 'checks.json'), file);
      for (const c of checks) ctx.log(`sft: check ${c.id}: ${c.verdict.toUpperCase()}${c.accepted ? ' (accepted by sft.accept_failed_checks)' : ''}${c.verdict === 'pass' ? '' : ` — ${c.message}`}`);
      const problems = sftProblems(checks, { records: r.manifest.records, labelProblems: r.build.labelProblems }, { input: r.filter.input, counts: r.filter.counts as Record<string, number> });
      if (problems.length) throw new Error(`sft: the dataset in ${dir} must not go on to training: ${problems.join('; ')}`);
      return { value: { dir, tokenizer, checks }, records: r.manifest.records, stats: { tokens: r.manifest.tokens, filter: r.filter.counts, checks: checks.map((c) => ({ id: c.id, verdict: c.verdict, accepted: c.accepted })) } };
    },
    load,
    { inputs: { sft, tokenizer, trajectories: fileStamps(trajectories) } },
  );
}
