import { readFile } from 'node:fs/promises';
import type { LmMessage } from '@swe-forge/core/lm';
import defaultDemonstrations from './demonstrations.json' with { type: 'json' };

/** The demonstration issues we ship: short, realistic, GitHub-style bug reports. */
export const DEFAULT_DEMONSTRATIONS: readonly string[] = defaultDemonstrations;

/**
 * Load demonstration issues from a user file: a JSON array of strings or of objects with a
 * `problem_statement` (or `text`) field, or JSON Lines of the same.
 */
export async function loadDemonstrations(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read demonstrations file ${path}: ${(e as Error).message}; pass a JSON array of issue texts or a JSONL file`);
  }
  const pick = (v: unknown): string | null => {
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.problem_statement === 'string') return o.problem_statement;
      if (typeof o.text === 'string') return o.text;
    }
    return null;
  };
  let items: unknown[];
  const trimmed = text.trim();
  try {
    items = trimmed.startsWith('[') ? (JSON.parse(trimmed) as unknown[]) : trimmed.split(/\r?\n/).filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown);
  } catch (e) {
    throw new Error(`demonstrations file ${path} is not JSON or JSON Lines (${(e as Error).message}); pass a JSON array of issue texts`);
  }
  const demos = items.map(pick).filter((x): x is string => x !== null && x.trim() !== '');
  if (demos.length === 0) throw new Error(`demonstrations file ${path} holds no issue texts; each item must be a string or have a problem_statement field`);
  return demos;
}

const SYSTEM = `You write realistic GitHub issues for a dataset of software bugs.

You receive: demonstration issues to imitate (<demonstration>), a diff that introduced a bug (<patch>), the output of the failing tests (<test_output>), and the source of some failing tests (<test_source>).

Write one GitHub issue, as a user of the project who hit the bug would write it:
- Imitate the demonstrations' tone, structure, length and formatting, including their informality.
- Describe the observable symptom and, ideally, a short reproduction that prints the wrong result next to the expected one.
- Never explain the cause or the fix. Never quote lines of the diff.
- Never mention the test suite, test names, pytest, or that tests fail.
Reply with the issue text only.`;

/** Inputs for one issue prompt. */
export interface IssuePromptInput {
  patch: string;
  testOutput: string;
  testSources: string[];
  demonstrations: readonly string[];
}

/** Cap a block so one huge log cannot blow the context window (keeps head and tail). */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  const half = Math.floor((max - 40) / 2);
  return `${text.slice(0, half)}\n… [${text.length - 2 * half} characters omitted] …\n${text.slice(-half)}`;
}

/** Build the chat messages asking for an issue. */
export function buildIssueMessages(input: IssuePromptInput): LmMessage[] {
  const demos = input.demonstrations
    .slice(0, 3)
    .map((d) => `<demonstration>\n${d}\n</demonstration>`)
    .join('\n\n');
  const sources = input.testSources.slice(0, 5).map((s) => capText(s, 4000)).join('\n\n');
  const user = `Here are issues to imitate:\n\n${demos}\n\nNow write an issue for this bug.\n\nIMPORTANT: do not give away the fix, do not quote the diff, do not name or mention any test, do not suggest running tests.\n\n<patch>\n${capText(input.patch, 12000)}\n</patch>\n\n<test_output>\n${capText(input.testOutput, 8000)}\n</test_output>\n\n<test_source>\n${sources}\n</test_source>`;
  return [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: user },
  ];
}

/** The follow-up turn that asks for a rewrite after a leak, naming what leaked. */
export function buildRetryMessage(reasons: string[]): LmMessage {
  return {
    role: 'user',
    content: `That issue cannot be used: ${reasons.join('; ')}. Write it again from scratch, describing only the symptom, without quoting code from the diff and without naming any test. Reply with the issue text only.`,
  };
}

/** Strip wrappers LMs like to add around the answer (code fences around the whole reply, "Issue:" prefixes). */
export function cleanIssueText(text: string): string {
  let t = text.trim();
  t = t.replace(/^\*\*?issue text\*\*?:?\s*/i, '').replace(/^<START WRITING>\s*/i, '');
  const fenced = /^```(?:markdown|md)?\n([\s\S]*)\n```$/.exec(t);
  if (fenced) t = fenced[1].trim();
  return t;
}
