/**
 * Where this package's modules live (`src/` in a source checkout, `dist/` when built): the umbrella
 * bin sits next to them, and a pipeline stage on Slurm runs it on every compute node.
 */
export const CLI_MODULE_URL: string = import.meta.url;
