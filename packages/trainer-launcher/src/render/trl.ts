/**
 * TRL: one `trl sft --config` YAML per stage (ScriptArguments + SFTConfig + ModelConfig +
 * DatasetMixtureConfig). Launched through `swe_forge_trl_sft.py`, which parses the same YAML with
 * trl's own parser and adds the resume-from-last-checkpoint that `trl sft` lacks.
 */
import { join } from 'node:path';
import { hfLoader } from '../dataset.js';
import { worldSize } from '../plan.js';
import { baseEnv, exportFor, loraTargets, padFix, planStages, RenderError, toYaml, hfTrainingArgs, type RenderContext, type RenderedFile, type RenderedRun, type StageRun } from './common.js';

/** transformers FSDP fields shared by the HF-Trainer-based renderers (TRL, LLaMA-Factory). */
export function hfFsdp(ctx: RenderContext): Record<string, unknown> {
  const p = ctx.plan.parallel;
  if (p.sharding !== 'fsdp2') return p.activation_checkpointing ? { gradient_checkpointing: true } : {};
  // string form: accepted by transformers 4.x and (deprecated, until 5.20) 5.x
  return {
    fsdp: `full_shard auto_wrap${p.cpu_offload ? ' offload' : ''}`,
    fsdp_config: {
      version: 2,
      reshard_after_forward: true,
      cpu_ram_efficient_loading: true,
      // with FSDP, checkpoint inside the FSDP units instead of gradient_checkpointing (which re-all-gathers)
      ...(p.activation_checkpointing ? { activation_checkpointing: true } : {}),
    },
  };
}

/** Render a plan for TRL. */
export function renderTrl(ctx: RenderContext): RenderedRun {
  const { plan } = ctx;
  const choice = exportFor(ctx, 'trl');
  if (plan.curriculum && plan.curriculum.length > 1 && plan.method !== 'full') {
    throw new RenderError('TRL cannot start a LoRA stage from the previous stage\'s adapter (ModelConfig has no adapter-init field): use method: full for curriculum chains, or axolotl / llamafactory');
  }
  if (plan.parallel.cpu_offload && plan.parallel.sharding !== 'fsdp2') throw new RenderError('TRL offloads to CPU through FSDP: set parallel.sharding: fsdp2 together with parallel.cpu_offload');
  const pad = padFix(ctx);
  const driver = join(ctx.configDir, 'python', 'swe_forge_trl_sft.py');
  const files: RenderedFile[] = [];
  const notes = [choice.note];
  const base = planStages(ctx, choice, (n) => join(plan.output_dir, 'trl', n), (n) => join(ctx.configDir, 'trl', `${n}.yaml`));
  const stages: StageRun[] = base.map((s, i) => {
    const prev = i > 0 ? base[i - 1]!.outputDir : undefined;
    const cfg: Record<string, unknown> = {
      model_name_or_path: prev ?? plan.model,
      dtype: 'bfloat16',
      datasets: [{ path: hfLoader(s.data[0]!), data_files: s.data, split: 'train' }],
      dataset_train_split: 'train',
      ...(choice.pretokenized
        ? { dataset_kwargs: { skip_prepare_dataset: true } }
        : { assistant_only_loss: true, max_length: plan.context_length }),
      ...hfTrainingArgs(plan, s),
      ...hfFsdp(ctx),
      ...(plan.parallel.activation_offloading ? { activation_offloading: true } : {}),
      ...(plan.parallel.chunked_loss ? { use_liger_kernel: true } : {}),
      seed: plan.seed,
      save_strategy: 'steps',
      save_steps: plan.save_steps,
      save_total_limit: plan.save_total_limit,
      logging_steps: plan.logging_steps,
      report_to: 'none',
      ...(pad ? { pad_token: pad } : {}),
      ...(plan.method !== 'full'
        ? {
            use_peft: true,
            lora_r: plan.lora.rank,
            lora_alpha: plan.lora.alpha,
            lora_dropout: plan.lora.dropout,
            lora_target_modules: plan.lora.target_modules === 'all-linear' ? 'all-linear' : loraTargets(plan),
            ...(plan.lora.modules_to_save.length ? { lora_modules_to_save: plan.lora.modules_to_save } : {}),
            ...(plan.method === 'qlora' ? { load_in_4bit: true, bnb_4bit_quant_type: 'nf4', use_bnb_nested_quant: true } : {}),
          }
        : {}),
    };
    files.push({
      path: join('trl', `${s.name}.yaml`),
      content: toYaml([`TRL SFT config for ${plan.name} (${s.name}), written by swe-forge train plan`, `equivalent to: trl sft --config ${s.config} (plus resume from the last checkpoint)`, choice.note], cfg),
      config: cfg,
    });
    return { ...s, entry: { kind: 'script', script: driver, args: ['--config', s.config] }, prepare: [], resumeArgs: [], launcherArgs: [], finalWeights: s.outputDir };
  });
  if (!choice.pretokenized) notes.push('TRL trains every assistant turn (assistant_only_loss); per-message train flags of the export are not applied');
  if (pad) notes.push(`pad_token set to "${pad}" (the tokenizer's pad is unset or equals EOS)`);
  if (worldSize(plan) > 1 && plan.parallel.sharding === 'none') notes.push('plain data parallel: every GPU holds a full copy of weights, gradients and optimizer state');
  return { trainer: 'trl', configDir: ctx.configDir, files, stages, export: choice, env: baseEnv(plan), notes };
}
