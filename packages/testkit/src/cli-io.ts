/** Capturing what a stage's `runCli(argv, io)` writes, for CLI tests. */
import { PassThrough } from 'node:stream';

/** The streams a stage CLI writes to. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Streams that collect everything written to them; `out()`/`err()` return the text so far. */
export function captureIo(): { io: CliIo; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += String(d)));
  stderr.on('data', (d) => (err += String(d)));
  return { io: { stdout, stderr }, out: () => out, err: () => err };
}

/** Run `runCli(argv, io)` with captured streams; returns its exit code and what it printed. */
export async function runCliCaptured(runCli: (argv: string[], io: CliIo) => Promise<number>, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = captureIo();
  const code = await runCli(argv, c.io);
  // PassThrough delivers 'data' asynchronously: let pending chunks arrive
  await new Promise((r) => setImmediate(r));
  return { code, out: c.out(), err: c.err() };
}
