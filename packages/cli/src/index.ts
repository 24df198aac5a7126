/**
 * @swe-forge/cli: the `swe-forge` command — every stage's CLI under one roof, the
 * end-to-end demo, config-driven resumable pipelines and the dataset report.
 */
export { runCli } from './cli.js';
export { GROUPS, SUBCOMMAND_ROUTES, loadGroupCli, loadRouteCli, loadStage, StageUnavailableError, type CommandGroup, type CliIo, type StageRunCli, type SubcommandRoute } from './groups.js';
export { runDemo, demoConfig, demoRecipe, findDemoRepo, prepareRepoCopy, DEMO_ROLLOUTS, type DemoOptions, type DemoResult } from './demo.js';
export { findQwen3Tokenizer, prepareDemoModel, QWEN3_8B_CONFIG } from './demo-model.js';
export { loadConfig, resolveConfig, ConfigError, type PipelineConfig, type CombineStage, type PipelineIssueStrategy } from './pipeline/config.js';
export { runPipeline, pipelinePaths, type PipelineRunOptions, type PipelineResult } from './pipeline/run.js';
export { StageRunner, LOCAL_EXECUTOR, inputsHash, type StageExecutor, type StageWork, type StageOutcome, type StageMarker, type StageRunnerOptions } from './pipeline/runner.js';
export { runRecipe, recipePaths, resolveRecipe, validateRecipe, runInstances, checkRows, sftProblems, CHECK_NOTES, RECIPE_KEYS, type RecipeResult, type RecipeContext, type RecipeConfig, type RolloutRun, type RolloutOutput, type SftStage, type TrainStage, type VerifyStage, type JudgeConfig } from './pipeline/recipe/index.js';
export { toDatasetRow, type DatasetRow } from './pipeline/dataset.js';
export * from './report/index.js';
