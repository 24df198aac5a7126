/** @swe-forge/combine: bundle validated bugs of one file or one module into harder task candidates (SWE-smith Algorithms 1 and 2). */
export { combineBugs, combinations, groupInstances, mergePatches, moduleKey } from './combine.js';
export type { CombineOptions } from './combine.js';
