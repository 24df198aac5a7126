/**
 * LLaMA-Factory: one `llamafactory-cli train` YAML per stage, launched as
 * `torchrun … -m llamafactory.launcher CONFIG`. A pre-tokenized export is converted once into the
 * on-disk dataset LLaMA-Factory loads from `tokenized_path` (it then skips its own templating);
 * a messages export (sharegpt + dataset_info.json) is rendered by LLaMA-Factory's template.
 * LLaMA-Factory resumes from the newest checkpoint in output_dir by itself.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hfLoader } from '../dataset.js';
import { shq } from '../shell.js';
import { hfFsdp } from './trl.js';
import { baseEnv, exportFor, loraTargets, planStages, RenderError, toYaml, hfTrainingArgs, type RenderContext, type RenderedFile, type RenderedRun, type StageRun } from './common.js';

/** The dataset name and template of a LLaMA-Factory messages export (loader settings, else dataset_info.json). */
function messagesDataset(dir: string, loader: Record<string, unknown>): { dataset: string; template?: string } {
  const template = typeof loader.template === 'string' ? loader.template : undefined;
  if (typeof loader.dataset === 'string') return { dataset: loader.dataset, template };
  const info = join(dir, 'dataset_info.json');
  if (existsSync(info)) {
    const names = Object.keys(JSON.parse(readFileSync(info, 'utf8')) as Record<string, unknown>);
    if (names.length) return { dataset: names.join(','), template };
  }
  throw new RenderError(`LLaMA-Factory export ${dir} names no dataset (loader.dataset or dataset_info.json): re-export it with sft-formatter`);
}

/** Render a plan for LLaMA-Factory. */
export function renderLlamaFactory(ctx: RenderContext): RenderedRun {
  const { plan } = ctx;
  if (plan.parallel.activation_offloading) throw new RenderError('LLaMA-Factory has no activation offloading: set parallel.activation_offloading: false (`train check` says what else fits) or use trl, axolotl or torchtune');
  const choice = exportFor(ctx, 'llamafactory');
  const p = plan.parallel;
  const files: RenderedFile[] = [];
  const helper = join(ctx.configDir, 'python', 'swe_forge_lf_tokenized.py');
  const base = planStages(ctx, choice, (n) => join(plan.output_dir, 'llamafactory', n), (n) => join(ctx.configDir, 'llamafactory', `${n}.yaml`));
  const msg = choice.pretokenized ? undefined : messagesDataset(choice.export.dir, choice.export.loader);
  if (msg && !msg.template) throw new RenderError('LLaMA-Factory renders a messages export with its own `template` (e.g. qwen): the export names none (loader.template); add a pre-tokenized export instead');
  const stages: StageRun[] = base.map((s, i) => {
    const prev = i > 0 ? base[i - 1]!.outputDir : undefined;
    const lora = plan.method !== 'full';
    const tokenized = join(plan.output_dir, 'llamafactory', 'tokenized', s.name);
    const cfg: Record<string, unknown> = {
      stage: 'sft',
      do_train: true,
      model_name_or_path: !lora && prev ? prev : plan.model,
      ...(lora && prev ? { adapter_name_or_path: prev } : {}),
      finetuning_type: lora ? 'lora' : 'full',
      ...(lora
        ? {
            lora_rank: plan.lora.rank,
            lora_alpha: plan.lora.alpha,
            lora_dropout: plan.lora.dropout,
            lora_target: plan.lora.target_modules === 'all-linear' ? 'all' : loraTargets(plan).join(','),
            ...(plan.lora.modules_to_save.length ? { additional_target: plan.lora.modules_to_save.join(',') } : {}),
            ...(plan.method === 'qlora' ? { quantization_bit: 4 } : {}),
          }
        : {}),
      ...(choice.pretokenized
        ? { dataset: 'swe_forge_pretokenized', tokenized_path: tokenized }
        : { dataset: msg!.dataset, dataset_dir: choice.export.dir, template: msg!.template }),
      cutoff_len: plan.context_length,
      ...hfTrainingArgs(plan, s),
      // LLaMA-Factory checkpoints activations unless told not to
      ...(p.activation_checkpointing ? {} : { disable_gradient_checkpointing: true }),
      ...(() => {
        const f = hfFsdp(ctx);
        delete f.gradient_checkpointing;
        return f;
      })(),
      ...(p.chunked_loss ? { enable_liger_kernel: true } : {}),
      save_strategy: 'steps',
      save_steps: plan.save_steps,
      save_total_limit: plan.save_total_limit,
      logging_steps: plan.logging_steps,
      seed: plan.seed,
      report_to: 'none',
    };
    files.push({ path: join('llamafactory', `${s.name}.yaml`), content: toYaml([`LLaMA-Factory config for ${plan.name} (${s.name}), written by swe-forge train plan`, `equivalent to: llamafactory-cli train ${s.config}`, choice.note], cfg), config: cfg });
    const prepare = choice.pretokenized ? [`${shq(plan.python)} ${shq(helper)} --format ${hfLoader(s.data[0]!)} --out ${shq(tokenized)} ${s.data.map(shq).join(' ')}`] : [];
    return { ...s, entry: { kind: 'module', module: 'llamafactory.launcher', args: [s.config] }, prepare, resumeArgs: [], launcherArgs: [], finalWeights: s.outputDir };
  });
  const notes = [choice.note, 'LLaMA-Factory builds labels from the data, not by masking pad ids: a pad equal to EOS does not hide EOS labels here'];
  return { trainer: 'llamafactory', configDir: ctx.configDir, files, stages, export: choice, env: baseEnv(plan), notes };
}
