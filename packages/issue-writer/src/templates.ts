/**
 * The nine weighted issue templates of the SWE-smith paper (Table 14), in our own words.
 * Each template uses some of: the bug-type description, the gold files, the changed
 * functions, one failing test, or the full FAIL_TO_PASS list.
 */
import type { Rng } from './rng.js';
import { choice, weightedChoice } from './rng.js';

/** What a template may mention about one instance. */
export interface TemplateFacts {
  /** Plain-language description of the bug type ('' when unknown). */
  bugType: string;
  files: string[];
  functions: string[];
  failingTests: string[];
}

/** One issue template: a name, its sampling probability and a renderer. */
export interface IssueTemplate {
  name: 'basic' | 'files' | 'files_funcs' | 'tests' | 'f2p_tests' | 'bug_type' | 'bug_type_files' | 'bug_type_files_test' | 'bug_type_files_funcs_test';
  /** Probability of being drawn (Table 14; the nine sum to 1). */
  weight: number;
  /** Which facts the template needs; a template whose facts are missing is not drawn. */
  needs: ('bugType' | 'files' | 'functions' | 'failingTests')[];
  render: (f: TemplateFacts, rng: Rng) => string;
}

const bullets = (xs: string[]): string => xs.map((x) => `- ${x}`).join('\n');
const typeLine = (f: TemplateFacts): string => (f.bugType ? `${f.bugType} ` : '');

/** The nine templates with Table 14's probabilities. */
export const ISSUE_TEMPLATES: readonly IssueTemplate[] = [
  {
    name: 'basic',
    weight: 0.05,
    needs: [],
    render: () => 'Something in this codebase is not behaving correctly. Please track down the bug and fix it.',
  },
  {
    name: 'files',
    weight: 0.1,
    needs: ['files'],
    render: (f) => `There seems to be a bug in this codebase. The problem is most likely in these file(s):\n${bullets(f.files)}\n\nPlease take a look and fix whatever is wrong.`,
  },
  {
    name: 'files_funcs',
    weight: 0.15,
    needs: ['files', 'functions'],
    render: (f) =>
      `There seems to be a bug in this codebase. The problem is most likely in these file(s):\n${bullets(f.files)}\n\nThese function(s) look related:\n${bullets(f.functions)}\n\nPlease take a look and fix whatever is wrong.`,
  },
  {
    name: 'tests',
    weight: 0.1,
    needs: [],
    render: () => 'Some of the tests in this codebase have started failing. Please find the bug that causes it and fix it.',
  },
  {
    name: 'f2p_tests',
    weight: 0.1,
    needs: ['failingTests'],
    render: (f) => `Some of the tests in this codebase have started failing:\n${bullets(f.failingTests)}\n\nPlease fix the code so that these tests pass again.`,
  },
  {
    name: 'bug_type',
    weight: 0.05,
    needs: ['bugType'],
    render: (f) => `Something in this codebase is not behaving correctly. ${typeLine(f)}Please track down the bug and fix it.`,
  },
  {
    name: 'bug_type_files',
    weight: 0.15,
    needs: ['bugType', 'files'],
    render: (f) => `Something in this codebase is not behaving correctly. ${typeLine(f)}It looks related to these file(s):\n${bullets(f.files)}\n\nPlease look into them and fix the problem.`,
  },
  {
    name: 'bug_type_files_test',
    weight: 0.15,
    needs: ['bugType', 'files', 'failingTests'],
    render: (f, rng) =>
      `Something in this codebase is not behaving correctly. ${typeLine(f)}It looks related to these file(s):\n${bullets(f.files)}\n\nPlease look into them and fix the problem. At least this test fails because of it:\n${choice(f.failingTests, rng)}`,
  },
  {
    name: 'bug_type_files_funcs_test',
    weight: 0.15,
    needs: ['bugType', 'files', 'functions', 'failingTests'],
    render: (f, rng) =>
      `Something in this codebase is not behaving correctly. ${typeLine(f)}It looks related to these file(s):\n${bullets(f.files)}\n\nThese function(s) look relevant:\n${bullets(f.functions)}\n\nPlease look into it and fix the problem. At least this test fails because of it:\n${choice(f.failingTests, rng)}`,
  },
];

/**
 * Draw a template by Table 14's weights and render it. Templates whose facts are missing
 * (e.g. no known bug type) are excluded and the remaining weights renormalized.
 */
export function renderTemplate(facts: TemplateFacts, rng: Rng, pool: readonly IssueTemplate[] = ISSUE_TEMPLATES): { template: IssueTemplate['name']; text: string } {
  const has = (k: IssueTemplate['needs'][number]): boolean => (k === 'bugType' ? facts.bugType !== '' : facts[k].length > 0);
  const usable = pool.filter((t) => t.needs.every(has));
  const t = weightedChoice(usable, usable.map((u) => u.weight), rng);
  return { template: t.name, text: t.render(facts, rng) };
}
