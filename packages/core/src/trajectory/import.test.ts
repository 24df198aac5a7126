import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TrajectorySchema } from '../schema/index.js';
import { TrajectoryImportError, importMiniSweAgent, importSweAgent, observationFacts, parseBashBlocks } from './index.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/trajectories');
const load = (p: string): unknown => JSON.parse(readFileSync(join(fixtures, p), 'utf8'));

describe('importMiniSweAgent', () => {
  it('reads the v2 text layout: steps, exit codes, format error restored, timeout, git history, submission', () => {
    const t = importMiniSweAgent(load('mini-swe-agent/calc__calc-1.v2-text.traj.json'));
    expect(TrajectorySchema.parse(t)).toEqual(t);
    expect(t).toMatchObject({ instance_id: 'calc__calc-1', scaffold: 'mini-swe-agent', mode: 'bash', tool_format: 'text', exit_status: 'Submitted' });
    expect(t.submission).toContain('+    return a + b');
    expect(t.messages.map((m) => m.role).slice(0, 4)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(t.messages.every((m) => ['system', 'user', 'assistant', 'tool'].includes(m.role))).toBe(true);
    const s = t.steps;
    expect(s.map((x) => x.action)).toEqual([
      'ls; ls tests',
      'cat calc.py',
      "python3 -c 'from calc import add; assert add(2, 3) == 5, add(2, 3)'",
      null,
      'git log --oneline -3',
      'sleep 5',
      "sed -i '2s/a - b/a + b/' calc.py && cat calc.py",
      `python3 -c 'from calc import add; assert add(2, 3) == 5; print("ok")'`,
      'echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && git add -A && git diff --cached -- calc.py',
    ]);
    // the submitting command exited 0: mini-swe-agent only submits on a 0 exit code
    expect(s.map((x) => x.exit_code)).toEqual([0, 0, 1, null, 0, null, 0, 0, 0]);
    // the malformed answer is back as an assistant turn, followed by mini-swe-agent's format-error message
    expect(s[3]).toMatchObject({ format_error: true, tool: null });
    expect(t.messages[s[3]!.message_index]!.content).toContain('two steps at once');
    expect(t.messages[s[3]!.observation_indices[0]!]!.content).toMatch(/^Format error:/);
    expect(s[4]!.read_git_history).toBe(true);
    expect(s[5]).toMatchObject({ timed_out: true, tool_error: false });
    expect(s[8]!.submitted).toBe(true);
    expect(s.filter((x) => x.touched_tests)).toHaveLength(0);
    expect(t.stats).toMatchObject({ steps: 9, format_errors: 1 });
  });

  it('reads the v2 tool-calling layout: native calls, tool messages, the bash tool', () => {
    const t = importMiniSweAgent(load('mini-swe-agent/calc__calc-1.v2-tools.traj.json'));
    expect(t).toMatchObject({ mode: 'tools', tool_format: 'native' });
    expect(t.tools?.[0]).toMatchObject({ function: { name: 'bash' } });
    expect(t.messages.some((m) => m.role === 'tool' && m.tool_call_id === 'call_0')).toBe(true);
    expect(t.steps[0]).toMatchObject({ tool: 'bash', action: 'ls; ls tests', exit_code: 0 });
    // mini-swe-agent drops a malformed tool call; its error message stays as context and flags no recorded step
    const fmt = t.messages.findIndex((m) => m.role === 'user' && m.content.startsWith('Tool call error:'));
    expect(fmt).toBeGreaterThan(0);
    expect(t.steps.some((s) => s.format_error)).toBe(false);
    expect(t.steps.find((s) => s.observation_indices.includes(fmt))!.exit_code).toBe(1);
    expect(t.steps.find((s) => s.action === 'sleep 5')!.timed_out).toBe(true);
    expect(t.steps.at(-1)!.submitted).toBe(true);
  });

  it('reads the v1 layout with its closing submission message removed', () => {
    const t = importMiniSweAgent(load('mini-swe-agent/calc__calc-1.v1.traj.json'));
    expect(t).toMatchObject({ exit_status: 'Submitted', meta: { source_format: 'mini-swe-agent-1', mini_version: '1.17.5' } });
    expect(t.messages.at(-1)!.role).toBe('assistant');
    expect(t.steps.map((s) => s.format_error)).toEqual([false, false, false, true, false, false, false, false, false]);
    expect(t.steps[5]!.timed_out).toBe(true);
  });

  it('reads plain message lists from mini-swe-agent test data (instance id from the caller)', () => {
    const t = importMiniSweAgent(load('mini-swe-agent/github_issue.traj.json'), { instanceId: 'test-repo-1' });
    expect(t.instance_id).toBe('test-repo-1');
    expect(t.exit_status).toBe('Submitted');
    expect(t.submission).toMatch(/^diff --git a\/tests\/missing_colon.py/);
    expect(t.steps).toHaveLength(10);
    // its agent rewrote tests/missing_colon.py: a test path, so the run counts as touching tests
    expect(t.steps.filter((s) => s.touched_tests).map((s) => s.index)).toEqual([4, 8]);
    expect(() => importMiniSweAgent(load('mini-swe-agent/local.traj.json'))).toThrow(TrajectoryImportError);
    expect(() => importMiniSweAgent({ nope: 1 }, { instanceId: 'x' })).toThrow(/expected a message list/);
  });
});

describe('importSweAgent', () => {
  it('reads a function-calling run with its last-5-observations processor', () => {
    const t = importSweAgent(load('swe-agent/6e44b9__sweagenttestrepo-1c2844.traj'), { instanceId: '6e44b9' });
    expect(t).toMatchObject({ scaffold: 'swe-agent', mode: 'tools', tool_format: 'native', model: 'gpt-4o', exit_status: 'submitted' });
    expect(t.history.processor).toMatchObject({ type: 'last_n_observations', n: 5 });
    expect(t.steps.map((s) => s.tool)).toEqual(['find_file', 'open', 'edit', 'bash']);
    expect(t.steps[3]!.action).toBe('python3 /SWE-agent__test-repo/tests/missing_colon.py');
    expect(t.messages.filter((m) => m.role === 'tool').every((m) => typeof m.tool_call_id === 'string')).toBe(true);
    expect(t.steps[2]!.touched_tests).toBe(true);
    expect(t.stats.prompt_tokens).toBeGreaterThan(0);
  });

  it('reads a text-mode run, drops the demonstration, and masks observations like its processor would', () => {
    const raw = load('swe-agent/swe-agent__test-repo-i1.traj') as Record<string, unknown>;
    const t = importSweAgent(raw, { instanceId: 'i1' });
    expect(t.mode).toBe('bash');
    expect(t.messages.some((m) => m.content.startsWith('Here is a demonstration'))).toBe(false);
    expect(t.steps.map((s) => s.tool)).toEqual(['find_file', 'open', 'edit', 'bash', 'submit']);
    expect(t.steps.at(-1)!.submitted).toBe(true);
    expect(importSweAgent(raw, { instanceId: 'i1', keepDemonstrations: true }).messages.length).toBe(t.messages.length + 1);
    // with last_n_observations n=1 recorded, every older observation (not the task) is masked
    const masked = importSweAgent({ ...raw, replay_config: { agent: { history_processors: [{ type: 'last_n_observations', n: 1 }] } } }, { instanceId: 'i1' });
    expect(masked.steps.at(-1)!.masked_observations).toEqual([3, 5, 7]);
  });
});

describe('observation facts', () => {
  it('reads exit codes, timeouts, truncation and tool errors from scaffold templates', () => {
    expect(observationFacts('<returncode>2</returncode>\n<output>\nx</output>')).toMatchObject({ exit_code: 2, timed_out: false });
    expect(observationFacts('{\n  "returncode": 3,\n  "output": ""\n}').exit_code).toBe(3);
    expect(observationFacts("The command 'sleep 9' was cancelled because it took more than 5 seconds.")).toMatchObject({ timed_out: true, exit_code: null });
    expect(observationFacts('<returncode>0</returncode>\n<output_head>\na\n</output_head>').truncated).toBe(true);
    expect(observationFacts('No replacement was performed, old_str `x` did not appear verbatim in /a.py.').tool_error).toBe(true);
    expect(observationFacts('<exception>boom</exception>\n<returncode>-1</returncode>').tool_error).toBe(true);
  });
  it('parses fenced commands by label', () => {
    expect(parseBashBlocks('a\n```bash\nls\n```\n```mswea_bash_command\npwd\n```')).toEqual(['ls', 'pwd']);
    expect(parseBashBlocks('a\n```bash\nls\n```\n```mswea_bash_command\npwd\n```', ['mswea_bash_command'])).toEqual(['pwd']);
    expect(parseBashBlocks('```python\nx = 1\n```')).toEqual([]);
  });
});
