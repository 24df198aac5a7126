/**
 * @swe-forge/issue-writer: problem statements for task instances — the SWE-smith paper's
 * weighted templates, a failing test's source and output, LM-written GitHub-style issues
 * (with leak guards), or the original issue text of a mirrored PR.
 */
export { writeProblemStatements, type WriteOptions, type WriteStats, type IssueMeta } from './write.js';
export { ISSUE_STRATEGIES, runStrategy, templateIssue, testsIssue, lmIssue, originalIssue, type IssueStrategy, type StrategyContext, type StrategyOutcome } from './strategies.js';
export { ISSUE_TEMPLATES, renderTemplate, type IssueTemplate, type TemplateFacts } from './templates.js';
export { MODIFIER_DESCRIPTIONS, STRATEGY_DESCRIPTIONS, describeBugStrategy, hasSpecificDescription } from './describe.js';
export { findLeaks, isTrivialLine, normalizeCode, type Leak } from './leak.js';
export { parseNodeId, extractTestSource, readTestSource, extractFailureSection, type TestNodeId } from './testsrc.js';
export { goldFiles, changedFunctions, changedCodeLines, enclosingEntity } from './patchinfo.js';
export { DEFAULT_DEMONSTRATIONS, loadDemonstrations, buildIssueMessages, buildRetryMessage, cleanIssueText, capText, type IssuePromptInput } from './lm/prompt.js';
export { readTestOutput, testOutputPaths } from './artifacts.js';
export { seededRng, weightedChoice, choice, type Rng } from './rng.js';
