/** Shapes and helpers shared by the four trainer renderers and the smoke trainer. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { chooseExport, exportFiles, type DatasetSummary, type ExportChoice } from '../dataset.js';
import { readModelArch, type ModelArch } from '../model.js';
import { globalBatchSize, type TrainPlan, type Trainer } from '../plan.js';
import { choosePadToken, readTokenizer, type TokenizerInfo } from '../tokenizer.js';

/** A file `train plan` writes (path relative to the run's config folder). */
export interface RenderedFile {
  path: string;
  content: string;
  /** Parsed config, for field checks (YAML configs only). */
  config?: Record<string, unknown>;
  /** torchtune recipe the config is for. */
  recipe?: string;
  mode?: number;
}

/** What the distributed launcher runs on every node. */
export type TrainerEntry =
  | { kind: 'module'; module: string; args: string[] }
  | { kind: 'script'; script: string; args: string[] }
  /** `tune run` wraps torchrun and takes its options. */
  | { kind: 'tune'; recipe: string; args: string[] };

/** One run of a chain (the whole training, or one curriculum stage). */
export interface StageRun {
  index: number;
  /** Curriculum stage name, when the plan has a curriculum. */
  stage?: string;
  /** Folder name: `main` or `stage-<n>-<stage>`. */
  name: string;
  outputDir: string;
  /** The rendered config this stage runs (absolute). */
  config: string;
  entry: TrainerEntry;
  /** Shell lines run once (first node) before training, e.g. converting a pre-tokenized export. */
  prepare: string[];
  /**
   * Shell words appended to the trainer command when a checkpoint exists in `outputDir`
   * (`resume_from_checkpoint=True` for torchtune); empty when the trainer resumes by itself.
   */
  resumeArgs: string[];
  /** Extra options for torchrun (or `tune run`), before the entry. */
  launcherArgs: string[];
  /** Written when the stage finished, so a requeued job skips it. */
  doneMarker: string;
  /** Where the stage leaves the weights the next stage starts from. */
  finalWeights: string;
  data: string[];
  epochs: number;
  learning_rate: number;
  /** Optimizer steps in this stage (from the record count). */
  steps: number;
}

/** A plan rendered for one trainer. */
export interface RenderedRun {
  trainer: Trainer;
  /** Folder the configs are written to. */
  configDir: string;
  files: RenderedFile[];
  stages: StageRun[];
  export: ExportChoice;
  /** Environment for every training process (offline flags, PYTHONPATH additions, plan env). */
  env: Record<string, string>;
  /** Facts a user should read before launching (re-templating, choices made). */
  notes: string[];
}

/** Everything a renderer reads, loaded once. */
export interface RenderContext {
  plan: TrainPlan;
  dataset: DatasetSummary;
  arch?: ModelArch;
  tokenizer: TokenizerInfo;
  configDir: string;
}

/** A plan that cannot be rendered for a trainer (unsupported combination), with what to do. */
export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

/** Load the model's architecture (when config.json exists) and tokenizer for rendering. */
export function loadModelForRender(modelDir: string): { arch?: ModelArch; tokenizer: TokenizerInfo } {
  let arch: ModelArch | undefined;
  try {
    arch = readModelArch(modelDir);
  } catch {
    arch = undefined;
  }
  return { arch, tokenizer: readTokenizer(modelDir) };
}

/** YAML with a header comment naming what wrote it. */
export function toYaml(header: string[], obj: Record<string, unknown>): string {
  return `${header.map((l) => `# ${l}`).join('\n')}\n${stringify(obj, { lineWidth: 0 })}`;
}

/** Lines in a JSONL file (records), or undefined for other formats. */
function countJsonl(file: string): number | undefined {
  if (!file.endsWith('.jsonl')) return undefined;
  try {
    const buf = readFileSync(file);
    let n = 0;
    for (let i = 0; i < buf.length; i++) if (buf[i] === 10) n++;
    if (buf.length && buf[buf.length - 1] !== 10) n++;
    return n;
  } catch {
    return undefined;
  }
}

/** The runs of the chain: one per curriculum stage, each with its data, epochs, learning rate and step count. */
export function planStages(ctx: RenderContext, choice: ExportChoice, outputFor: (name: string) => string, configFor: (name: string) => string): Omit<StageRun, 'entry' | 'prepare' | 'resumeArgs' | 'launcherArgs' | 'finalWeights'>[] {
  const { plan, dataset } = ctx;
  const all = plan.curriculum?.map((c) => c.stage) ?? [];
  const specs = plan.curriculum?.length ? plan.curriculum.map((c, i) => ({ stage: c.stage, name: `stage-${i + 1}-${c.stage}`, epochs: c.epochs ?? plan.epochs, lr: c.learning_rate ?? plan.learning_rate })) : [{ stage: undefined, name: 'main', epochs: plan.epochs, lr: plan.learning_rate }];
  const gbs = globalBatchSize(plan);
  return specs.map((s, index) => {
    const data = exportFiles(choice, s.stage, all);
    const counted = data.map(countJsonl);
    const records = counted.every((n) => n !== undefined) ? (counted as number[]).reduce((a, b) => a + b, 0) : Math.ceil(dataset.records / specs.length);
    const outputDir = outputFor(s.name);
    return {
      index,
      ...(s.stage ? { stage: s.stage } : {}),
      name: s.name,
      outputDir,
      config: configFor(s.name),
      doneMarker: join(outputDir, '.swe-forge-done'),
      data,
      epochs: s.epochs,
      learning_rate: s.lr,
      steps: Math.max(1, Math.ceil((records * s.epochs) / gbs)),
    };
  });
}

/** Warmup as whole optimizer steps (works whether a trainer reads warmup_steps as int or ratio). */
export function warmupSteps(plan: TrainPlan, steps: number): number {
  return Math.round(plan.warmup_ratio * steps);
}

/**
 * The Hugging Face `TrainingArguments` fields of one plan stage, by the names TRL and
 * LLaMA-Factory both read (bf16 on).
 */
export function hfTrainingArgs(plan: TrainPlan, s: { outputDir: string; epochs: number; learning_rate: number; steps: number }): Record<string, unknown> {
  return {
    output_dir: s.outputDir,
    num_train_epochs: s.epochs,
    learning_rate: s.learning_rate,
    lr_scheduler_type: plan.lr_scheduler,
    warmup_steps: warmupSteps(plan, s.steps),
    weight_decay: plan.weight_decay,
    max_grad_norm: plan.max_grad_norm,
    per_device_train_batch_size: plan.micro_batch_size,
    gradient_accumulation_steps: plan.gradient_accumulation_steps,
    bf16: true,
  };
}

/** The pad token rendered configs set, when the tokenizer's pad is unset or equals EOS. */
export function padFix(ctx: Pick<RenderContext, 'plan' | 'tokenizer'>): string | undefined {
  const t = ctx.tokenizer;
  if (ctx.plan.pad_token) return ctx.plan.pad_token;
  if (t.pad && t.pad !== t.eos) return undefined;
  return choosePadToken(t);
}

/** Choose the export for a trainer (the plan's smoke export preference applies to the smoke trainer). */
export function exportFor(ctx: RenderContext, trainer: Trainer): ExportChoice {
  return chooseExport(ctx.dataset, trainer, trainer === 'smoke' ? ctx.plan.smoke.export : undefined);
}

/** Environment every training process gets: offline Hugging Face, no telemetry, plus the plan's. */
export function baseEnv(plan: TrainPlan): Record<string, string> {
  return { HF_HUB_OFFLINE: '1', HF_DATASETS_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', HF_HUB_DISABLE_TELEMETRY: '1', WANDB_MODE: 'offline', ...plan.env };
}

/** Module names `lora.target_modules` means (`all-linear` → the seven projections). */
export function loraTargets(plan: TrainPlan): string[] {
  return plan.lora.target_modules === 'all-linear' ? ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] : plan.lora.target_modules;
}
