/**
 * Export a core Trajectory as a mini-swe-agent v2 trajectory file (`*.traj.json`,
 * `trajectory_format: "mini-swe-agent-1.1"`), the layout of mini-swe-agent's
 * docs/usage/output_files.md and `DefaultAgent.serialize` (v2.4.6): `info` (`model_stats`,
 * `config`, `mini_version`, `exit_status`, `submission`), `messages` in OpenAI chat shape with
 * an `extra` field, and a final `exit` message. As in mini-swe-agent, an answer that failed to
 * parse is not an assistant message of its own: the format-error message that answered it
 * carries it as `extra.model_response`. swe-forge's per-step flags and the evaluation travel
 * in `extra.swe_forge` / `info.swe_forge` (mini-swe-agent ignores unknown keys).
 */
import type { Trajectory, TrajectoryStep } from '../schema/index.js';

/** The `trajectory_format` mini-swe-agent v2 writes. */
export const MINI_SWE_AGENT_FORMAT = 'mini-swe-agent-1.1';

/** The mini-swe-agent release whose file layout the export follows (written as `info.mini_version`). */
export const MINI_SWE_AGENT_LAYOUT_VERSION = '2.4.6';

/** One message of a mini-swe-agent trajectory. */
export interface MiniSweAgentMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | 'exit';
  content: string;
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
  reasoning_content?: string;
  extra?: Record<string, unknown>;
}

/** A mini-swe-agent v2 trajectory file. */
export interface MiniSweAgentTrajectory {
  info: {
    model_stats: { instance_cost: number; api_calls: number };
    config: Record<string, unknown>;
    mini_version: string;
    exit_status: string;
    submission: string;
    [key: string]: unknown;
  };
  messages: MiniSweAgentMessage[];
  trajectory_format: typeof MINI_SWE_AGENT_FORMAT;
}

function stepFlags(s: TrajectoryStep): Record<string, unknown> {
  return {
    index: s.index,
    tool: s.tool,
    format_error: s.format_error,
    tool_error: s.tool_error,
    exit_code: s.exit_code,
    timed_out: s.timed_out,
    truncated: s.truncated,
    touched_tests: s.touched_tests,
    read_git_history: s.read_git_history,
    submitted: s.submitted,
    masked_observations: s.masked_observations,
  };
}

function actionOf(s: TrajectoryStep, callId: string | undefined): Record<string, unknown> {
  const a: Record<string, unknown> =
    typeof s.action === 'string' ? { command: s.action } : s.tool === 'execute_bash' && s.action ? { command: s.action.command, tool: s.tool, arguments: s.action } : { tool: s.tool, arguments: s.action ?? {} };
  if (callId) a.tool_call_id = callId;
  return a;
}

/** The mini-swe-agent v2 file for a trajectory (a plain object: `JSON.stringify(x, null, 2)` it). */
export function toMiniSweAgentTrajectory(t: Trajectory): MiniSweAgentTrajectory {
  const byMessage = new Map<number, TrajectoryStep[]>();
  const byObservation = new Map<number, TrajectoryStep>();
  for (const s of t.steps) {
    byMessage.set(s.message_index, [...(byMessage.get(s.message_index) ?? []), s]);
    for (const o of s.observation_indices) byObservation.set(o, s);
  }
  const out: MiniSweAgentMessage[] = [];
  const formatErrorAnswers = new Map<number, { content: string; step: TrajectoryStep }>();
  t.messages.forEach((m, i) => {
    const steps = byMessage.get(i);
    if (m.role === 'assistant' && steps?.[0]?.format_error) {
      // mini-swe-agent keeps an unparsable answer only inside the format-error message
      for (const o of steps[0].observation_indices) formatErrorAnswers.set(o, { content: m.content, step: steps[0] });
      return;
    }
    const msg: MiniSweAgentMessage = { role: m.role, content: m.content };
    if (m.tool_calls?.length) msg.tool_calls = m.tool_calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.function.name, arguments: c.function.arguments } }));
    if (m.tool_call_id !== undefined) msg.tool_call_id = m.tool_call_id;
    if (m.reasoning_content !== undefined) msg.reasoning_content = m.reasoning_content;
    if (m.role === 'assistant' && steps?.length) {
      msg.extra = {
        actions: steps.map((s, k) => actionOf(s, m.tool_calls?.[k]?.id)),
        cost: steps[0]!.cost ?? 0,
        ...(steps[0]!.usage ? { usage: steps[0]!.usage } : {}),
        swe_forge: { steps: steps.map(stepFlags) },
      };
    }
    const answered = formatErrorAnswers.get(i);
    if (answered) {
      msg.extra = { interrupt_type: 'FormatError', model_response: answered.content, cost: answered.step.cost ?? 0, swe_forge: { steps: [stepFlags(answered.step)] } };
    } else if (byObservation.has(i)) {
      const s = byObservation.get(i)!;
      msg.extra = {
        returncode: s.timed_out ? -1 : s.exit_code,
        // mini-swe-agent's own wording and exception type for a command killed at its timeout
        exception_info: s.timed_out ? `An error occurred while executing the command: Command '${typeof s.action === 'string' ? s.action : ''}' timed out and was killed` : '',
        ...(s.timed_out ? { exception_type: 'TimeoutExpired' } : {}),
        swe_forge: { step: s.index, tool_error: s.tool_error, timed_out: s.timed_out, truncated: s.truncated },
      };
    }
    out.push(msg);
  });
  out.push({
    role: 'exit',
    content: t.exit_status === 'Submitted' ? t.submission : t.exit_status,
    extra: { exit_status: t.exit_status, submission: t.submission },
  });
  const cfg = (t.meta?.config ?? {}) as Record<string, unknown>;
  const apiCalls = typeof t.meta?.api_calls === 'number' ? (t.meta.api_calls as number) : new Set(t.steps.map((s) => s.message_index)).size;
  return {
    info: {
      model_stats: { instance_cost: t.stats.cost, api_calls: apiCalls },
      config: {
        agent: cfg.agent ?? {},
        agent_type: t.scaffold,
        model: { ...((cfg.model as Record<string, unknown> | undefined) ?? {}), model_name: t.model },
        model_type: 'openai-compatible',
        environment: cfg.environment ?? {},
        environment_type: typeof (t.meta?.sandbox as { backend?: unknown } | undefined)?.backend === 'string' ? `swe-forge/${(t.meta!.sandbox as { backend: string }).backend}` : 'swe-forge',
      },
      mini_version: MINI_SWE_AGENT_LAYOUT_VERSION,
      exit_status: t.exit_status,
      submission: t.submission,
      swe_forge: {
        instance_id: t.instance_id,
        attempt: t.attempt,
        scaffold: t.scaffold,
        mode: t.mode,
        tool_format: t.tool_format,
        history: t.history,
        stats: t.stats,
        ...(t.eval ? { eval: t.eval } : {}),
        ...(t.tools ? { tools: t.tools } : {}),
      },
    },
    messages: out,
    trajectory_format: MINI_SWE_AGENT_FORMAT,
  };
}
