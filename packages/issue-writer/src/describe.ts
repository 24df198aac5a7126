/**
 * Plain-language descriptions of every bug strategy, used by the `template` strategy's
 * "bug type" templates. They describe the symptom class, never the exact edit.
 */

/** Description per procedural modifier name (the part after `procedural/`). */
export const MODIFIER_DESCRIPTIONS: Readonly<Record<string, string>> = {
  // The 13 modifiers that SWE-smith also ships.
  func_pm_class_rm_base: 'A class seems to have lost one of its base classes, so inherited behaviour is missing.',
  func_pm_class_rm_funcs: 'A class appears to be missing one or more of its methods.',
  func_pm_class_shuffle_funcs: 'The methods of a class may have been reordered or redefined in a way that changes behaviour.',
  func_pm_ctrl_invert_if: 'An if/else block seems to run the wrong branch: the two branches may be swapped.',
  func_pm_ctrl_shuffle: 'The statements inside a function may run in the wrong order.',
  func_pm_remove_assign: 'A variable assignment seems to be missing, so a value is never set or updated.',
  func_pm_remove_cond: 'A conditional check appears to be missing, so a case is no longer handled.',
  func_pm_remove_loop: 'A loop seems to be missing, so some items are never processed.',
  func_pm_remove_wrapper: 'A with-block or try/except wrapper appears to be missing.',
  func_pm_op_break_chains: 'Part of a chained expression seems to have been dropped, so a computed value is incomplete.',
  func_pm_op_change_const: 'A numeric constant in an expression might be off.',
  func_pm_op_change: 'An operator in an expression is likely the wrong one.',
  func_pm_op_swap: 'The operands of an expression may be in the wrong order.',
  // Classic mutation operators beyond SWE-smith (procedural-bugs' `extra` family).
  func_pm_cmp_flip: 'A comparison seems to test the opposite condition.',
  func_pm_bool_negate: 'A condition appears to be negated, so the wrong case is taken.',
  func_pm_const_swap: 'A literal value such as True/False or 0/1 appears to be the wrong one.',
  func_pm_off_by_one: 'A range or slice bound seems to be off by one.',
  func_pm_break_continue: 'A loop seems to stop early or skip items it should process.',
  func_pm_return_none: 'A function appears to return nothing where it should return a value.',
};

/** Description per non-procedural strategy. */
export const STRATEGY_DESCRIPTIONS: Readonly<Record<string, string>> = {
  lm_modify: 'The logic of a function appears to have been subtly changed, so it returns wrong results in some cases.',
  lm_rewrite: 'A function seems to have been reimplemented and no longer behaves as before.',
  pr_mirror: 'A recent change appears to have been partly reverted, and a feature that used to work is broken again.',
  combine_file: 'Several small bugs seem to have crept into the same file.',
  combine_module: 'Several small bugs seem to have crept into the same module, across more than one file.',
};

/** Generic fallbacks by modifier family, for modifiers this table does not name. */
const FAMILY_HINTS: [RegExp, string][] = [
  [/class/, 'Something about a class definition seems to be wrong.'],
  [/ctrl|if|loop|break|continue/, 'The control flow of a function seems to be wrong.'],
  [/remove|rm_/, 'Some code appears to be missing.'],
  [/op|cmp|bool|const|flip|swap|negate/, 'An expression seems to compute the wrong value.'],
  [/ret/, 'A function seems to return the wrong value.'],
];

/**
 * Plain-language description of a bug strategy (`procedural/<modifier>`, `lm_modify`, …).
 * Unknown modifiers get a family-level hint; a strategy with no hint gives ''.
 */
export function describeBugStrategy(strategy: string): string {
  if (strategy in STRATEGY_DESCRIPTIONS) return STRATEGY_DESCRIPTIONS[strategy];
  const modifier = strategy.startsWith('procedural/') ? strategy.slice('procedural/'.length) : strategy;
  if (modifier in MODIFIER_DESCRIPTIONS) return MODIFIER_DESCRIPTIONS[modifier];
  for (const [re, hint] of FAMILY_HINTS) if (re.test(modifier)) return hint;
  return '';
}

/** True when {@link describeBugStrategy} has a specific (not family-level) description. */
export function hasSpecificDescription(strategy: string): boolean {
  const modifier = strategy.startsWith('procedural/') ? strategy.slice('procedural/'.length) : strategy;
  return strategy in STRATEGY_DESCRIPTIONS || modifier in MODIFIER_DESCRIPTIONS;
}
