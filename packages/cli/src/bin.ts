#!/usr/bin/env node
import { runCli } from './cli.js';
// A reader that stops early (`swe-forge ... | head`) is not an error: end quietly, no stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(0);
});
process.exitCode = await runCli(process.argv.slice(2));
