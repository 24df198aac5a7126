/**
 * @swe-forge/validator: validate bug candidates into SWE-bench-shaped task instances
 * (FAIL_TO_PASS / PASS_TO_PASS against a per-test baseline, with full, files or coverage
 * test selection), gather them with artifacts, and evaluate model patches.
 */
export { validateCandidates, validationPaths, timedOutShare, DEFAULT_BOUNDS } from './validate.js';
export type { ValidateOptions, RunBounds, ExecutionRunner } from './validate.js';
export { WarmWorker, WarmUnavailableError, WarmWorkerDiedError } from './warm/worker.js';
export type { WarmWorkerOptions, WarmRunOutput } from './warm/worker.js';
export { WarmPool } from './warm/worker-pool.js';
export type { WarmPoolStats } from './warm/worker-pool.js';
export { planWarm } from './warm/swap-plan.js';
export type { WarmPlan, WarmRefusal } from './warm/swap-plan.js';
export { describeFallback, countFallbacks } from './warm/fallback.js';
export type { FallbackReason, DeclineKind, PlanFallback, WorkerFallback } from './warm/fallback.js';
export type { WarmMeta } from './warm/run-warm.js';
export { verifyWarmSample, decidedWarm } from './warm/trust.js';
export type { WarmVerifyReport, WarmMismatch } from './warm/trust.js';
export type { RunRequest, ResultMessage, ReadyMessage, WarmFile } from './warm/protocol.js';
export { mapUnittestIds, pytestDotted, PYTEST_FOR_UNITTEST_CMD } from './runner.js';
export type { SelectionRunner, StoredRunner } from './runner.js';
export { gatherInstances, yieldByStrategy, formatYieldTable } from './gather.js';
export type { GatherOptions, YieldRow } from './gather.js';
export { evaluatePrediction, evaluatePredictions, loadPredictions, protectedPaths } from './evaluate.js';
export type { EvalResult, EvaluateOneOptions, EvaluateOptions, Prediction } from './evaluate.js';
export { classify, collectionErrorFiles, stableBaseline, testFile, untrustworthyReason } from './compare.js';
export type { Classification, MissingPolicy } from './compare.js';
export { resolutionStatus, testsStatus } from './grading.js';
export type { ResolutionStatus, TestsStatus } from './grading.js';
export { selectByCoverage, selectByFiles, enclosingFunction, importedModules, moduleNames, codeTouchedLines, codeTouchedLineKinds, type TouchedLine } from './selection.js';
export type { CoverageMap, Selected, TestSelection } from './selection.js';
export { ensureBaseline, BaselineError } from './baseline.js';
export type { BaselineRecord } from './baseline.js';
export { failingImports, runTests, supportsPlugin } from './run.js';
export type { RunTestsOptions, TestRun } from './run.js';
export type { ValidatorEnvironment } from './types.js';
