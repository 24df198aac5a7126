/**
 * The agent loop, one for both modes (mini-swe-agent's DefaultAgent control flow): check the
 * limits, build the prompt from the history, query the model, parse the answer (a format error
 * is answered with the format-error template and counted), run each action in the sandbox,
 * answer with the observation template, record a step with every flag later stages need, until
 * the agent submits or a limit ends the run.
 */
import { performance } from 'node:perf_hooks';
import { LmError, type LmRequest, type LmResponse } from '@swe-forge/core/lm';
import { SCHEMA_VERSION, trajectoryStep, type ChatMessage, type TaskInstance, type Trajectory, type TrajectoryStep } from '@swe-forge/core/schema';
import { commandWritesTests } from '@swe-forge/core/trajectory';
import { renderTemplate } from '../config/render.js';
import type { AgentConfig } from '../config/types.js';
import { templateVars } from '../config/vars.js';
import { BashMode } from '../modes/bash/mode.js';
import { ToolsMode } from '../modes/tools/mode.js';
import type { AgentSandbox } from '../sandbox/agent-sandbox.js';
import { TestEditWatch } from '../sandbox/test-watch.js';
import { Editor } from '../tools/editor/editor.js';
import { PromptBuilder } from './prompt.js';
import { chatRequest, isSecretKey, samplingFrom } from './request.js';
import { submissionDiff } from './submission.js';
import type { ActionOutcome, AgentMode } from './types.js';

/** Anything that answers chat requests (core's `LmClient`). */
export interface ChatModel {
  chat(req: LmRequest): Promise<LmResponse>;
}

/** Timing of one model call and its actions, for progress and benchmarks. */
export interface StepTiming {
  /** From the limit check to the recorded step(s). */
  wallMs: number;
  /** Waiting for the model. */
  lmMs: number;
  /** Running the actions (the commands and tools themselves). */
  execMs: number;
  /** Part of the rest spent detecting test edits (after every action that may write). */
  checkMs: number;
  /** Part of the rest spent computing the submission (`git diff`, once per run). */
  submitMs: number;
}

/** Options of {@link runAgent}. */
export interface RunAgentOptions {
  instance: TaskInstance;
  /** 0-based attempt number (sent to the server in a header, recorded on the trajectory). */
  attempt?: number;
  sandbox: AgentSandbox;
  lm: ChatModel;
  /** Model name sent with each request and recorded. */
  model: string;
  config: AgentConfig;
  /** Overrides of `model.model_kwargs` for this run (e.g. a per-attempt seed and temperature). */
  sampling?: { temperature?: number; seed?: number };
  /** Called after each model call with its timing. */
  onStep?: (t: StepTiming) => void;
}

/** The agent loop's exit statuses (mini-swe-agent's, plus `ContextWindowExceeded`). */
export type ExitStatus = 'Submitted' | 'LimitsExceeded' | 'TimeExceeded' | 'RepeatedFormatError' | 'ContextWindowExceeded';

/** Make the mode object a configuration asks for. */
export function createMode(config: AgentConfig): AgentMode {
  return config.rollout.mode === 'tools' ? new ToolsMode(config) : new BashMode(config);
}

/** A copy of `value` without any mapping key that may hold a credential (api_key, token, secret, …). */
function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([k]) => !isSecretKey(k)).map(([k, v]) => [k, withoutSecrets(v)]));
}

/** The configuration as recorded on a trajectory: no credentials, at any depth. */
export function recordedConfig(config: AgentConfig): Record<string, unknown> {
  return withoutSecrets({ agent: config.agent, model: config.model, environment: config.environment, rollout: config.rollout }) as Record<string, unknown>;
}

const CONTEXT_ERROR = /context|maximum.{0,20}length|too long|too many tokens|token limit/i;

/** Run the agent on one instance in a prepared sandbox; returns the trajectory (not yet evaluated). */
export async function runAgent(o: RunAgentOptions): Promise<Trajectory> {
  const { instance, sandbox, config } = o;
  const attempt = o.attempt ?? 0;
  const startedAt = new Date();
  const t0 = performance.now();
  const mode = createMode(config);
  const editor = new Editor(sandbox);
  const watch = new TestEditWatch(sandbox);
  await watch.start();
  const flaggedTests = new Set<string>();
  const prompts = new PromptBuilder(config.rollout.history);
  const kwargs = samplingFrom(config.model.model_kwargs);
  const sampling = { ...kwargs, ...(o.sampling?.temperature !== undefined ? { temperature: o.sampling.temperature } : {}), ...(o.sampling?.seed !== undefined ? { seed: o.sampling.seed } : {}) };
  const reqCtx = { model: o.model, sampling, tools: mode.tools, stop: mode.stop, instanceId: instance.instance_id, attempt };

  const messages: ChatMessage[] = [];
  const steps: TrajectoryStep[] = [];
  const stats = { cost: 0, prompt: 0, completion: 0, calls: 0, formatErrors: 0, toolErrors: 0 };
  const runVars = { task: instance.problem_statement, cwd: sandbox.root, instance_id: instance.instance_id, repo: instance.repo, ...mode.templateVars() };
  const vars = (extra: Record<string, unknown> = {}): Record<string, unknown> =>
    templateVars(config, { n_model_calls: stats.calls, model_cost: stats.cost, elapsed_seconds: Math.floor((performance.now() - t0) / 1000) }, { ...runVars, ...extra });

  messages.push({ role: 'system', content: renderTemplate(config.agent.system_template, vars(), 'agent.system_template') });
  messages.push({ role: 'user', content: renderTemplate(config.agent.instance_template, vars(), 'agent.instance_template') });

  let exit: ExitStatus | null = null;
  let submission = '';
  let consecutiveFormatErrors = 0;
  const { step_limit, cost_limit, wall_time_limit_seconds, max_consecutive_format_errors } = config.agent;

  while (exit === null) {
    if ((step_limit > 0 && stats.calls >= step_limit) || (cost_limit > 0 && stats.cost >= cost_limit)) {
      exit = 'LimitsExceeded';
      break;
    }
    if (wall_time_limit_seconds > 0 && (performance.now() - t0) / 1000 >= wall_time_limit_seconds) {
      exit = 'TimeExceeded';
      break;
    }
    const stepStart = performance.now();
    const prompt = prompts.build(messages);
    let resp: LmResponse;
    const lmStart = performance.now();
    try {
      resp = await o.lm.chat(chatRequest(prompt.messages, reqCtx));
    } catch (e) {
      if (e instanceof LmError && e.status === 400 && CONTEXT_ERROR.test(e.message)) {
        exit = 'ContextWindowExceeded';
        break;
      }
      throw e;
    }
    const lmMs = performance.now() - lmStart;
    stats.calls++;
    stats.cost += resp.cost_usd;
    stats.prompt += resp.usage.prompt_tokens;
    stats.completion += resp.usage.completion_tokens;
    const messageIndex = messages.push(mode.assistantMessage(resp)) - 1;
    const callInfo = { usage: { ...resp.usage }, cost: resp.cost_usd, lm_s: lmMs / 1000, masked_observations: prompt.masked };
    const parsed = mode.parse(messages[messageIndex]!.content, resp.tool_calls);

    if (!parsed.ok) {
      const content = renderTemplate(
        config.model.format_error_template,
        vars({ actions: parsed.actions, error: parsed.error, finish_reason: resp.finish_reason ?? 'stop', has_tool_calls: parsed.hasToolCalls ?? Boolean(resp.tool_calls?.length) }),
        'model.format_error_template',
      );
      const obs = messages.push({ role: 'user', content }) - 1;
      steps.push(step(steps.length, messageIndex, { ...callInfo, observation_indices: [obs], tool: null, action: null, format_error: true }));
      stats.formatErrors++;
      consecutiveFormatErrors++;
      if (max_consecutive_format_errors > 0 && consecutiveFormatErrors >= max_consecutive_format_errors) exit = 'RepeatedFormatError';
      o.onStep?.({ wallMs: performance.now() - stepStart, lmMs, execMs: 0, checkMs: 0, submitMs: 0 });
      continue;
    }
    consecutiveFormatErrors = 0;

    let execMs = 0;
    let checkMs = 0;
    let submitMs = 0;
    for (const [i, action] of parsed.actions.entries()) {
      const execStart = performance.now();
      const outcome: ActionOutcome = await mode.execute(action, { sandbox, config, editor });
      const actionMs = performance.now() - execStart;
      execMs += actionMs;
      const base = i === 0 ? callInfo : { masked_observations: prompt.masked };
      const rec: Partial<TrajectoryStep> = {
        ...base,
        tool: action.tool,
        action: action.tool === 'bash' ? String(action.args.command) : action.args,
        exit_code: outcome.exitCode,
        timed_out: outcome.timedOut,
        tool_error: outcome.toolError,
        read_git_history: outcome.readGitHistory ?? false,
        exec_s: actionMs / 1000,
      };
      if (outcome.toolError) stats.toolErrors++;
      if (outcome.submitted) {
        // like mini-swe-agent, the submitting action gets no observation: the run ends here
        const g = performance.now();
        const edited = outcome.wrote === 'unknown' ? await watch.check() : [];
        for (const p of edited) flaggedTests.add(p);
        const d = performance.now();
        checkMs += d - g;
        submission = await submissionDiff(sandbox, outcome.sentinelTail);
        submitMs += performance.now() - d;
        const touched = edited.length > 0 || (outcome.command !== undefined && commandWritesTests(outcome.command, watch.testFiles));
        steps.push(step(steps.length, messageIndex, { ...rec, submitted: true, touched_tests: touched }));
        exit = 'Submitted';
        break;
      }
      const content = renderTemplate(config.model.observation_template, vars({ output: outcome.output }), 'model.observation_template');
      const obs = messages.push(mode.observationMessage(action, content)) - 1;
      let touched = false;
      if (outcome.wrote === 'unknown' || outcome.wrote.length > 0) {
        const g = performance.now();
        const edited = await watch.check();
        for (const p of edited) flaggedTests.add(p);
        touched = edited.length > 0;
        checkMs += performance.now() - g;
      }
      if (outcome.command !== undefined && commandWritesTests(outcome.command, watch.testFiles)) touched = true;
      const raw = outcome.output.output.trim();
      const shown = raw === '' || content.includes(raw);
      steps.push(step(steps.length, messageIndex, { ...rec, observation_indices: [obs], truncated: outcome.truncated || !shown, touched_tests: touched }));
    }
    o.onStep?.({ wallMs: performance.now() - stepStart, lmMs, execMs, checkMs, submitMs });
  }

  // the ground truth at the end: a test file that differs from the buggy commit but no step was
  // flagged for (only timestamp forgery could do that) flags the last action
  const missed = (await watch.changedTests()).filter((p) => !flaggedTests.has(p));
  const lastAction = [...steps].reverse().find((s) => s.tool !== null);
  if (missed.length && lastAction && !steps.some((s) => s.touched_tests)) lastAction.touched_tests = true;

  const usedTools = mode.tools;
  const trajectory: Trajectory = {
    schema_version: SCHEMA_VERSION,
    instance_id: instance.instance_id,
    attempt,
    model: o.model,
    scaffold: `swe-forge/${mode.mode}`,
    mode: mode.mode,
    tool_format: mode.toolFormat,
    messages,
    ...(usedTools ? { tools: usedTools } : {}),
    steps,
    history: config.rollout.history,
    exit_status: exit,
    submission,
    stats: {
      steps: steps.length,
      cost: stats.cost,
      tokens: stats.prompt + stats.completion,
      prompt_tokens: stats.prompt,
      completion_tokens: stats.completion,
      wall_s: (performance.now() - t0) / 1000,
      format_errors: stats.formatErrors,
      tool_errors: stats.toolErrors,
    },
    meta: {
      api_calls: stats.calls,
      started_at: startedAt.toISOString(),
      config: recordedConfig(config),
      sampling: { temperature: sampling.temperature ?? null, seed: sampling.seed ?? null },
      sandbox: { backend: sandbox.backend, start_ms: Math.round(sandbox.startMs) },
      repo: instance.repo,
      env_id: instance.env_id,
    },
  };
  return trajectory;
}

/** A step of this run (core's defaults for every flag). */
const step = trajectoryStep;
