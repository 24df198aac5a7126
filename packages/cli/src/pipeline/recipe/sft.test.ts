import { describe, expect, it } from 'vitest';
import { CHECK_NOTES, checkRows, sftProblems } from './sft.js';

const check = (id: string, verdict: 'pass' | 'warn' | 'fail') => ({ id, verdict, message: `${id} said so`, fix: `fix ${id}` });
const good = { records: 12, labelProblems: { count: 0, examples: [] } };
const filter = { input: 20, counts: { unresolved: 8 } };

describe('sft stage: when a failed check stops the pipeline', () => {
  it('an accepted failure stays FAIL, marked accepted and explained; the dataset goes on', () => {
    const rows = checkRows([check('pad-token', 'pass'), check('rewrites-turns', 'fail'), check('generation-markers', 'warn')], ['rewrites-turns']);
    expect(rows.map((r) => [r.id, r.verdict, r.accepted])).toEqual([['pad-token', 'pass', false], ['rewrites-turns', 'fail', true], ['generation-markers', 'warn', false]]);
    expect(rows[1]!.note).toBe(CHECK_NOTES['rewrites-turns']);
    expect(rows[1]!.note).toMatch(/still written correctly.*pre-tokenized exports.*chat_template/);
    expect(sftProblems(rows, good, filter)).toEqual([]);
  });

  it('a failure that is not accepted stops it, naming the check, its fix and how to accept it', () => {
    const rows = checkRows([check('template-fidelity', 'fail'), check('rewrites-turns', 'fail')], ['rewrites-turns']);
    const p = sftProblems(rows, good, filter);
    expect(p).toEqual(['check template-fidelity failed: template-fidelity said so; fix: fix template-fidelity (or, if this dataset is still what you want to train on, list "template-fidelity" in sft.accept_failed_checks)']);
    // an accepted id of another check gets a generic note
    expect(checkRows([check('context-budget', 'fail')], ['context-budget'])[0]!.note).toMatch(/accepted by sft.accept_failed_checks: .*fix: fix context-budget/);
  });

  it('a dataset written incorrectly always stops it, accepted checks or not', () => {
    const rows = checkRows([check('rewrites-turns', 'fail')], ['rewrites-turns']);
    expect(sftProblems(rows, { records: 12, labelProblems: { count: 2, examples: ['record 3 turn 4'] } }, filter)[0]).toMatch(/^2 turn\(s\) that should be trained could not be labelled \(e.g. record 3 turn 4\)/);
    expect(sftProblems(rows, { records: 0, labelProblems: { count: 0, examples: [] } }, filter)[0]).toMatch(/^no records: the filters kept none of 20 trajectories \(unresolved 8\)/);
  });
});
