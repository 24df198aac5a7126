/** Worker-thread entry: loads the grammar once, then processes batches of files. */
import { parentPort, workerData } from 'node:worker_threads';
import type { ParserKind } from './parser.js';
import { loadParser } from './parser.js';
import type { FileGenOptions, FileResult } from './process-file.js';
import { processFile } from './process-file.js';

/** A batch of files sent to a worker. */
export interface WorkerTask {
  id: number;
  files: { file: string; abs: string }[];
}

/** What a worker sends back for a batch. */
export type WorkerReply = { id: number; results: FileResult[] } | { id: number; error: string };

const data = workerData as { parser: ParserKind | 'auto'; options: FileGenOptions };
const port = parentPort;
if (port) {
  const parserPromise = loadParser(data.parser);
  port.on('message', (task: WorkerTask) => {
    void (async () => {
      try {
        const parser = await parserPromise;
        const results: FileResult[] = [];
        for (const f of task.files) results.push(await processFile(parser, f.file, f.abs, data.options));
        port.postMessage({ id: task.id, results } satisfies WorkerReply);
      } catch (e) {
        port.postMessage({ id: task.id, error: (e as Error).stack ?? String(e) } satisfies WorkerReply);
      }
    })();
  });
}
