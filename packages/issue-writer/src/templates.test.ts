import { describe, expect, it } from 'vitest';
import { MODIFIER_DESCRIPTIONS, STRATEGY_DESCRIPTIONS, describeBugStrategy } from './describe.js';
import { seededRng } from './rng.js';
import { ISSUE_TEMPLATES, renderTemplate, type TemplateFacts } from './templates.js';

const facts: TemplateFacts = {
  bugType: describeBugStrategy('procedural/func_pm_op_swap'),
  files: ['pkg/a.py'],
  functions: ['Thing.run'],
  failingTests: ['tests/test_a.py::test_one', 'tests/test_a.py::test_two'],
};

describe('templates (SWE-smith Table 14)', () => {
  it('are the nine named templates with the paper probabilities', () => {
    expect(ISSUE_TEMPLATES.map((t) => [t.name, t.weight])).toEqual([
      ['basic', 0.05],
      ['files', 0.1],
      ['files_funcs', 0.15],
      ['tests', 0.1],
      ['f2p_tests', 0.1],
      ['bug_type', 0.05],
      ['bug_type_files', 0.15],
      ['bug_type_files_test', 0.15],
      ['bug_type_files_funcs_test', 0.15],
    ]);
    expect(ISSUE_TEMPLATES.reduce((a, t) => a + t.weight, 0)).toBeCloseTo(1, 10);
  });

  it('draws templates with those frequencies, deterministically per seed', () => {
    const counts: Record<string, number> = {};
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const { template } = renderTemplate(facts, seededRng(7, `inst-${i}`));
      counts[template] = (counts[template] ?? 0) + 1;
    }
    for (const t of ISSUE_TEMPLATES) expect(Math.abs(counts[t.name] / n - t.weight)).toBeLessThan(0.015);
    expect(renderTemplate(facts, seededRng(1, 'x'))).toEqual(renderTemplate(facts, seededRng(1, 'x')));
  });

  it('renders the facts each template promises', () => {
    for (const t of ISSUE_TEMPLATES) {
      const text = t.render(facts, seededRng(0, t.name));
      if (t.needs.includes('files')) expect(text).toContain('- pkg/a.py');
      if (t.needs.includes('functions')) expect(text).toContain('- Thing.run');
      if (t.needs.includes('bugType')) expect(text).toContain(facts.bugType);
      if (t.name === 'f2p_tests') expect(text).toContain('- tests/test_a.py::test_two');
      if (t.name === 'bug_type_files_test') expect(text).toMatch(/tests\/test_a\.py::test_(one|two)$/);
      expect(text).not.toMatch(/\{|undefined/);
    }
  });

  it('never draws a template whose facts are missing', () => {
    const bare: TemplateFacts = { bugType: '', files: ['a.py'], functions: [], failingTests: ['t.py::test_a'] };
    for (let i = 0; i < 500; i++) expect(['basic', 'files', 'tests', 'f2p_tests']).toContain(renderTemplate(bare, seededRng(0, String(i))).template);
  });
});

describe('bug descriptions', () => {
  it('describe every SWE-smith modifier and every non-procedural strategy in plain language', () => {
    const swesmith = ['func_pm_class_rm_base', 'func_pm_class_rm_funcs', 'func_pm_class_shuffle_funcs', 'func_pm_ctrl_invert_if', 'func_pm_ctrl_shuffle', 'func_pm_remove_assign', 'func_pm_remove_cond', 'func_pm_remove_loop', 'func_pm_remove_wrapper', 'func_pm_op_break_chains', 'func_pm_op_change_const', 'func_pm_op_change', 'func_pm_op_swap'];
    for (const m of swesmith) expect(MODIFIER_DESCRIPTIONS[m], m).toMatch(/^[A-Z].*\.$/);
    for (const s of ['lm_modify', 'lm_rewrite', 'pr_mirror', 'combine_file', 'combine_module']) expect(describeBugStrategy(s)).toBe(STRATEGY_DESCRIPTIONS[s]);
    expect(describeBugStrategy('procedural/func_pm_op_swap')).toBe(MODIFIER_DESCRIPTIONS.func_pm_op_swap);
    expect(describeBugStrategy('procedural/func_pm_something_new_op')).not.toBe('');
  });
});
