/** Opening a built environment: fresh history-scrubbed working copies that share one venv. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvSpecSchema, type EnvSpec } from '@swe-forge/core/schema';
import { cloneWorkingCopy } from './scrub.js';
import { LocalSandbox, bwrapAvailable } from './sandbox/local.js';
import type { Sandbox } from './sandbox/types.js';

/** Where a built environment lives and how sandboxes are made from it (stored in `spec.meta`). */
export interface EnvLayout {
  env_dir: string;
  venv: string;
  template: string;
  import_roots: string[];
  sandbox_env: Record<string, string>;
}

/** What `buildEnvironment` returns. */
export interface BuiltEnvironment {
  spec: EnvSpec;
  /** The environment folder (venv, scrubbed template, spec.json, build.log). */
  dir: string;
  /** True when the environment came from the cache. */
  cached: boolean;
  durationMs: number;
  logPath: string;
}

/** A built environment that hands out isolated working copies. */
export interface Environment {
  readonly spec: EnvSpec;
  /** One fresh isolated, history-scrubbed working copy. */
  sandbox(): Promise<Sandbox>;
  /** n isolated working copies sharing the environment. */
  workers(n: number): Promise<Sandbox[]>;
  /** Dispose every sandbox this environment handed out. */
  dispose(): Promise<void>;
}

/** Options of {@link openEnvironment}. */
export interface OpenOptions {
  /** Backend override (default: `spec.backend`). */
  backend?: 'venv' | 'bwrap';
  /** Parent folder of the working copies (default: `$TMPDIR/swe-forge-work`). */
  workDir?: string;
}

/** Error thrown when an environment cannot be opened. */
export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
}

/** Read the layout an EnvSpec points at, checking it still exists. */
export function layoutOf(spec: EnvSpec): EnvLayout {
  const m = spec.meta as Partial<EnvLayout>;
  if (!m.env_dir || !m.venv || !m.template)
    throw new EnvironmentError(
      `EnvSpec ${spec.id} has no environment location in meta (env_dir/venv/template): build it with buildEnvironment() first`
    );
  if (!existsSync(join(m.venv, 'bin', 'python')))
    throw new EnvironmentError(`environment ${spec.id} is missing at ${m.env_dir}: rebuild it (swe-forge env build <repo> --rebuild)`);
  return {
    env_dir: m.env_dir,
    venv: m.venv,
    template: m.template,
    import_roots: m.import_roots ?? ['.'],
    sandbox_env: m.sandbox_env ?? {},
  };
}

/** Load an EnvSpec from an environment folder (its spec.json). */
export function loadSpec(envDir: string): EnvSpec {
  const file = join(envDir, 'spec.json');
  if (!existsSync(file)) throw new EnvironmentError(`no spec.json in ${envDir}: this is not a finished environment, rebuild it`);
  return EnvSpecSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/** Make one sandbox from a layout (used by the builder for collection and baseline runs too). */
export async function makeSandbox(
  layout: EnvLayout,
  backend: 'venv' | 'bwrap',
  workDir: string,
  onDispose?: () => void
): Promise<LocalSandbox> {
  mkdirSync(workDir, { recursive: true });
  const root = join(mkdtempSync(join(workDir, 'wc-')), 'repo');
  await cloneWorkingCopy(layout.template, root);
  return new LocalSandbox({
    backend,
    root,
    envDir: layout.env_dir,
    venv: layout.venv,
    importRoots: layout.import_roots,
    env: layout.sandbox_env,
    onDispose: () => {
      rmSync(join(root, '..'), { recursive: true, force: true });
      onDispose?.();
    },
  });
}

/** Open a built environment (or a finished EnvSpec) to get sandboxes. */
export async function openEnvironment(env: BuiltEnvironment | EnvSpec, opts: OpenOptions = {}): Promise<Environment> {
  const spec: EnvSpec = 'spec' in env && 'dir' in env ? env.spec : (env as EnvSpec);
  const layout = layoutOf(spec);
  const requested = opts.backend ?? spec.backend;
  if (requested !== 'venv' && requested !== 'bwrap')
    throw new EnvironmentError(
      `backend ${requested} cannot run here: use venv or bwrap, or run the generated container spec (swe-forge env containerfile)`
    );
  if (requested === 'bwrap') {
    const ok = await bwrapAvailable();
    if (!ok.ok) throw new EnvironmentError(`${ok.reason}: use --backend venv`);
  }
  const workDir = opts.workDir ?? join(tmpdir(), 'swe-forge-work');
  const live = new Set<Sandbox>();
  const make = async (): Promise<Sandbox> => {
    let sb: Sandbox | null = null;
    sb = await makeSandbox(layout, requested, workDir, () => sb && live.delete(sb));
    live.add(sb);
    return sb;
  };
  return {
    spec,
    sandbox: make,
    async workers(n: number): Promise<Sandbox[]> {
      if (!Number.isInteger(n) || n < 1) throw new EnvironmentError(`workers(${n}): n must be a positive integer`);
      const out: Sandbox[] = [];
      for (let i = 0; i < n; i++) out.push(await make());
      return out;
    },
    async dispose(): Promise<void> {
      await Promise.all([...live].map((s) => s.dispose()));
      live.clear();
    },
  };
}
