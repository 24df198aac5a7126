/** The Slurm executor: keyed stages as resumable job arrays (script, client, run + merge, status). */
export { compressIndices, renderArrayScript, shardLogPath, shardMarkerPath, shardOutPath, shellQuote, UNREACHABLE_EXIT } from './script.js';
export type { ArrayScriptOptions, SlurmResources } from './script.js';
export { CommandSlurmClient, parseJobId, parseQueue, SlurmError } from './client.js';
export type { QueueState, SlurmClient } from './client.js';
export { readSlurmState, runSlurmArray, shardExitCode, shardLogTail, slurmRunStatus, slurmStatePath, SlurmRunError } from './run.js';
export type { ShardRecord, ShardState, ShardStatus, SlurmArrayOptions, SlurmArrayResult, SlurmRunState } from './run.js';
export { addExecutorOptions, executorName, runStageOnSlurm, selfCommand, shardArgv, slurmSettingsFromCli } from './stage.js';
export type { ExecutorCliOptions, OptionTarget, StageOnSlurm, StageSlurmSettings } from './stage.js';
