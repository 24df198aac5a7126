import { describe, expect, it } from 'vitest';
import { parseRecord, type Trajectory } from '../schema/index.js';
import { MINI_SWE_AGENT_FORMAT, importMiniSweAgent, toMiniSweAgentTrajectory } from './index.js';

const base = {
  format_error: false,
  tool_error: false,
  exit_code: null,
  timed_out: false,
  truncated: false,
  touched_tests: false,
  read_git_history: false,
  submitted: false,
  masked_observations: [],
};

const trajectory: Trajectory = parseRecord('Trajectory', {
  instance_id: 'demo.1',
  attempt: 1,
  model: 'qwen',
  scaffold: 'swe-forge/bash',
  messages: [
    { role: 'system', content: 'sys' },
    { role: 'user', content: 'task' },
    { role: 'assistant', content: 'THOUGHT: look\n```bash\nls\n```' },
    { role: 'user', content: '<returncode>0</returncode>' },
    { role: 'assistant', content: 'no block here' },
    { role: 'user', content: 'Format error: found 0 actions' },
    { role: 'assistant', content: 'THOUGHT: hang\n```bash\nsleep 99\n```' },
    { role: 'user', content: '<returncode>-1</returncode>' },
    { role: 'assistant', content: '```bash\necho COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT\n```' },
  ],
  steps: [
    { ...base, index: 0, message_index: 2, observation_indices: [3], tool: 'bash', action: 'ls', exit_code: 0, cost: 0.25, usage: { prompt_tokens: 10, completion_tokens: 5 } },
    { ...base, index: 1, message_index: 4, observation_indices: [5], tool: null, action: null, format_error: true, cost: 0.25 },
    { ...base, index: 2, message_index: 6, observation_indices: [7], tool: 'bash', action: 'sleep 99', timed_out: true, cost: 0.25 },
    { ...base, index: 3, message_index: 8, tool: 'bash', action: 'echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT', exit_code: 0, submitted: true, cost: 0.25 },
  ],
  exit_status: 'Submitted',
  submission: 'diff --git a/x b/x\n',
  stats: { steps: 4, cost: 1, tokens: 15, wall_s: 3 },
  eval: { resolved: true, status: 'RESOLVED_FULL' },
  meta: { api_calls: 4, config: { agent: { step_limit: 10 }, model: { model_kwargs: {} }, environment: { timeout: 30 } }, sandbox: { backend: 'bwrap' } },
});

describe('toMiniSweAgentTrajectory', () => {
  it("writes mini-swe-agent v2's layout: info, messages with extra, a final exit message", () => {
    const m = toMiniSweAgentTrajectory(trajectory);
    expect(m.trajectory_format).toBe(MINI_SWE_AGENT_FORMAT);
    expect(m.info).toMatchObject({
      model_stats: { instance_cost: 1, api_calls: 4 },
      mini_version: '2.4.6',
      exit_status: 'Submitted',
      submission: 'diff --git a/x b/x\n',
      config: { agent: { step_limit: 10 }, agent_type: 'swe-forge/bash', model: { model_name: 'qwen' }, environment: { timeout: 30 }, environment_type: 'swe-forge/bwrap' },
      swe_forge: { instance_id: 'demo.1', attempt: 1, eval: { resolved: true } },
    });
    expect(m.messages.map((x) => x.role)).toEqual(['system', 'user', 'assistant', 'user', 'user', 'assistant', 'user', 'assistant', 'exit']);
    expect(m.messages[2]!.extra).toMatchObject({ actions: [{ command: 'ls' }], cost: 0.25 });
    expect(m.messages[3]!.extra).toMatchObject({ returncode: 0 });
    // the unparsable answer lives in the format-error message, as mini-swe-agent stores it
    expect(m.messages[4]).toMatchObject({ role: 'user', content: 'Format error: found 0 actions', extra: { interrupt_type: 'FormatError', model_response: 'no block here' } });
    expect(m.messages[6]!.extra).toMatchObject({ returncode: -1, exception_info: expect.stringMatching(/timed out/) });
    expect(m.messages.at(-1)).toEqual({ role: 'exit', content: 'diff --git a/x b/x\n', extra: { exit_status: 'Submitted', submission: 'diff --git a/x b/x\n' } });
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });

  it('names the exit status in the exit message of an unsubmitted run', () => {
    const m = toMiniSweAgentTrajectory({ ...trajectory, exit_status: 'LimitsExceeded', submission: '' });
    expect(m.messages.at(-1)).toEqual({ role: 'exit', content: 'LimitsExceeded', extra: { exit_status: 'LimitsExceeded', submission: '' } });
  });

  it('round-trips through the importer: the same messages, actions and error flags', () => {
    const back = importMiniSweAgent(JSON.parse(JSON.stringify(toMiniSweAgentTrajectory(trajectory))), { instanceId: 'demo.1', attempt: 1 });
    expect(back.exit_status).toBe('Submitted');
    expect(back.submission).toBe(trajectory.submission);
    expect(back.messages.map((m) => [m.role, m.content])).toEqual(trajectory.messages.map((m) => [m.role, m.content]));
    const view = (s: Trajectory['steps'][number]) => ({ message_index: s.message_index, action: s.action, format_error: s.format_error, timed_out: s.timed_out, exit_code: s.exit_code, submitted: s.submitted });
    expect(back.steps.map(view)).toEqual(trajectory.steps.map(view));
  });
});
