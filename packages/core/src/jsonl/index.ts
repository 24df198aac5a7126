/**
 * JSON Lines IO: a streaming reader, an atomic whole-file writer and a crash-safe resumable
 * writer keyed by record. Every stage's output goes through this module, so a stage killed
 * at any point and rerun loses nothing and duplicates nothing.
 */
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, rename, rm, stat, truncate } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseRecord } from '../schema/index.js';
import type { SchemaName } from '../schema/index.js';

/** A line that could not be read: bad JSON, a schema mismatch, or a torn last line. */
export interface BadLineInfo {
  /** 1-based line number in the file. */
  line: number;
  /** The raw text of the line (without its line break). */
  text: string;
  error: Error;
}

/** Options of {@link readJsonl} and {@link readJsonlAll}. */
export interface ReadJsonlOptions {
  /** Validate (and normalize, e.g. stamp defaults) every record against this contract. */
  schema?: SchemaName;
  /**
   * Called for every unreadable line, which is then skipped. Without it a bad line in the
   * middle of the file throws a {@link JsonlError}; a torn last line is always skipped.
   */
  onBadLine?: (info: BadLineInfo) => void;
}

/** Thrown for unreadable JSONL input or misuse of a writer; the message names `file:line`. */
export class JsonlError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'JsonlError';
  }
}

interface RawLine {
  /** Line text without `\n` / `\r\n`. */
  text: string;
  /** 1-based line number. */
  line: number;
  /** Byte offset of the first byte of the line. */
  offset: number;
  /** Byte length of the line including its terminator. */
  bytes: number;
  /** False only for a last line without a trailing `\n`. */
  terminated: boolean;
}

/**
 * Stream the lines of a file with their byte offsets. Splits raw bytes on `\n` (so offsets
 * are exact for truncation), strips a trailing `\r` and a leading UTF-8 BOM, and holds at
 * most one line plus one read chunk in memory, so files of any size stream.
 */
async function* rawLines(path: string): AsyncGenerator<RawLine> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  let pending: Buffer[] = [];
  let offset = 0;
  let line = 0;
  const decode = (buf: Buffer): string => {
    let text = buf.toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return text;
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        if (start < chunk.length) pending.push(chunk.subarray(start));
        break;
      }
      const piece = chunk.subarray(start, nl);
      const buf = pending.length ? Buffer.concat([...pending, piece]) : piece;
      pending = [];
      line++;
      yield { text: decode(buf), line, offset, bytes: buf.length + 1, terminated: true };
      offset += buf.length + 1;
      start = nl + 1;
    }
  }
  if (pending.length) {
    const buf = Buffer.concat(pending);
    line++;
    yield { text: decode(buf), line, offset, bytes: buf.length, terminated: false };
  }
}

interface ParsedLine<T> {
  raw: RawLine;
  value?: T;
  error?: Error;
  /** The unterminated last line failed to parse: an interrupted write. */
  torn: boolean;
}

/** Parse each non-blank line; errors are returned (not thrown) with `file:line` context. */
async function* parsedLines<T>(path: string, schema?: SchemaName): AsyncGenerator<ParsedLine<T>> {
  for await (const raw of rawLines(path)) {
    if (raw.text.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(raw.text);
    } catch (e) {
      const torn = !raw.terminated;
      const what = torn ? 'torn last line (an interrupted write)' : 'invalid JSON';
      const error = new JsonlError(`${path}:${raw.line}: ${what}: ${(e as Error).message}`, path, raw.line, { cause: e });
      yield { raw, error, torn };
      continue;
    }
    if (!schema) {
      yield { raw, value: json as T, torn: false };
      continue;
    }
    try {
      yield { raw, value: parseRecord(schema, json, `${path}:${raw.line}`) as T, torn: false };
    } catch (e) {
      yield { raw, error: e as Error, torn: false };
    }
  }
}

/**
 * Stream the records of a JSONL file (`\n` or `\r\n` line breaks; blank lines skipped).
 * A torn last line (no trailing newline, not valid JSON: a crashed writer's last write) is
 * reported via `onBadLine` and skipped, never thrown. Any other bad line throws a
 * {@link JsonlError} / `SchemaError` naming `file:line`, unless `onBadLine` is given.
 */
export async function* readJsonl<T = unknown>(path: string, opts: ReadJsonlOptions = {}): AsyncIterable<T> {
  try {
    await stat(path);
  } catch (e) {
    throw new JsonlError(`cannot read JSONL file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; check the path`, path, undefined, { cause: e });
  }
  for await (const p of parsedLines<T>(path, opts.schema)) {
    if (p.error) {
      if (opts.onBadLine) opts.onBadLine({ line: p.raw.line, text: p.raw.text, error: p.error });
      else if (!p.torn) throw p.error;
      continue;
    }
    yield p.value as T;
  }
}

/** Read every record of a JSONL file into an array (see {@link readJsonl} for error handling). */
export async function readJsonlAll<T = unknown>(path: string, opts: ReadJsonlOptions = {}): Promise<T[]> {
  const out: T[] = [];
  for await (const r of readJsonl<T>(path, opts)) out.push(r);
  return out;
}

/** Serialize one record as a JSON line (with `\n`); rejects values JSON cannot represent. */
function toLine(record: unknown, where: string): string {
  const text = JSON.stringify(record);
  if (typeof text !== 'string') throw new JsonlError(`${where}: record is not JSON-serializable (got ${typeof record})`, where);
  return `${text}\n`;
}

/** Write a whole buffer to a file handle, looping over short writes. */
async function writeFully(fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

/** fsync a directory so a rename in it survives a machine crash (best effort: not every FS allows it). */
async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Some filesystems (and platforms) refuse fsync on directories; the rename is still atomic.
  } finally {
    await fh?.close().catch(() => {});
  }
}

function tmpPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Write all records to `path` atomically: a temp file in the same directory, fsync, then
 * rename over `path`. Readers see the old file or the complete new one, never a mix.
 * Creates the parent directory. Returns the number of records written.
 */
export async function writeJsonlAtomic<T>(
  path: string,
  records: Iterable<T> | AsyncIterable<T>,
  opts: { schema?: SchemaName } = {},
): Promise<number> {
  await mkdir(dirname(resolve(path)), { recursive: true });
  const tmp = tmpPathFor(path);
  const fh = await open(tmp, 'wx');
  let n = 0;
  try {
    let chunk: string[] = [];
    let size = 0;
    for await (const record of records as AsyncIterable<T>) {
      n++;
      const value = opts.schema ? parseRecord(opts.schema, record, `${path} record ${n}`) : record;
      const line = toLine(value, `${path} record ${n}`);
      chunk.push(line);
      size += line.length;
      if (size >= 1 << 20) {
        await writeFully(fh, Buffer.from(chunk.join('')));
        chunk = [];
        size = 0;
      }
    }
    if (chunk.length) await writeFully(fh, Buffer.from(chunk.join('')));
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dirname(resolve(path)));
  return n;
}

/** Options of {@link ResumableJsonlWriter.open}. */
export interface ResumableJsonlWriterOptions<T> {
  /** The record's unique key (e.g. `r => r.instance_id`); a key is written at most once. */
  key: (record: T) => string;
  /** Validate every existing and appended record against this contract (appended ones are normalized, e.g. `schema_version` stamped). */
  schema?: SchemaName;
  /** fsync after this many appended records (default 256). */
  fsyncEveryRecords?: number;
  /** fsync at most this long after an unsynced append (default 1000 ms). */
  fsyncIntervalMs?: number;
}

interface QueuedLine {
  key: string;
  line: string;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** Suffix of the work-in-progress file of a {@link ResumableJsonlWriter}. */
export const PARTIAL_SUFFIX = '.partial';

/**
 * Crash-safe, resumable JSONL writer keyed by record.
 *
 * **Files.** Work in progress lives in `<path>.partial`; `<path>` itself only ever appears
 * by an atomic rename in {@link finalize}, so a reader of `<path>` never sees a torn line or
 * a half-finished run. Reopening after `finalize()` loads the done keys from `<path>`:
 * if nothing new is appended, `finalize()` again is a no-op; the first new append copies
 * `<path>` to `<path>.partial` (atomically) and continues there.
 *
 * **Durability.** Each `append()` resolves once its line was handed to the kernel in a single
 * `write(2)` on an `O_APPEND` descriptor (concurrent appends are batched into one write).
 * A record whose `append()` resolved therefore survives `kill -9` of this process. Against a
 * machine crash / power loss, the file is fsynced every `fsyncEveryRecords` records, at most
 * `fsyncIntervalMs` after an unsynced append, and on `close()` / `finalize()`; records written
 * after the last fsync may be lost then (and rerun).
 *
 * **Recovery.** On open, a torn last line (no trailing newline and not valid JSON, left by a
 * crash mid-write) is truncated away and counted in `recovered.tornLines`; a bad line
 * anywhere else throws a {@link JsonlError} naming `file:line`. Keys already present are
 * never written again, in this run or any rerun. One writer per file at a time (no locking):
 * shards of a job array write separate files and are merged afterwards.
 */
export class ResumableJsonlWriter<T> {
  /** The final output path (`<path>.partial` holds work in progress). */
  readonly path: string;
  /** Keys already written, including those from previous runs and appends still in flight. */
  readonly doneKeys: ReadonlySet<string>;
  /** What open() repaired: torn last lines left by a crash (truncated). */
  readonly recovered: { tornLines: number };

  private readonly done: Set<string>;
  private readonly keyOf: (record: T) => string;
  private readonly schema?: SchemaName;
  private readonly fsyncEvery: number;
  private readonly fsyncIntervalMs: number;
  private readonly partialPath: string;
  private readonly absPath: string;
  /** Tail state of `<path>` when resuming from a finalized file (applied to its copy). */
  private finalTail: TailInfo | null = null;
  /** 'fresh': no file yet; 'final': only `<path>` exists, untouched; 'partial': appending to `<path>.partial`. */
  private mode: 'fresh' | 'final' | 'partial';
  private fh: FileHandle | null = null;
  private queue: QueuedLine[] = [];
  private drainScheduled = false;
  private chain: Promise<void> = Promise.resolve();
  private unsynced = 0;
  private syncTimer: NodeJS.Timeout | null = null;
  private broken: Error | null = null;
  private state: 'open' | 'closing' | 'closed' = 'open';

  private constructor(path: string, keys: Set<string>, tornLines: number, mode: 'fresh' | 'final' | 'partial', opts: ResumableJsonlWriterOptions<T>) {
    this.path = path;
    this.absPath = resolve(path);
    this.partialPath = path + PARTIAL_SUFFIX;
    this.done = keys;
    this.doneKeys = keys;
    this.recovered = { tornLines };
    this.mode = mode;
    this.keyOf = opts.key;
    this.schema = opts.schema;
    this.fsyncEvery = Math.max(1, opts.fsyncEveryRecords ?? 256);
    this.fsyncIntervalMs = Math.max(0, opts.fsyncIntervalMs ?? 1000);
  }

  /**
   * Open (or resume) the output `path`: loads done keys from `<path>.partial` and/or `<path>`,
   * truncates a torn tail, and validates existing records against `schema` if given.
   */
  static async open<T>(path: string, opts: ResumableJsonlWriterOptions<T>): Promise<ResumableJsonlWriter<T>> {
    if (typeof opts?.key !== 'function') throw new TypeError(`ResumableJsonlWriter.open(${path}): opts.key must be a function returning the record key`);
    await mkdir(dirname(resolve(path)), { recursive: true });
    const partial = path + PARTIAL_SUFFIX;
    const hasPartial = await exists(partial);
    const hasFinal = await exists(path);
    const keys = new Set<string>();
    let torn = 0;
    let mode: 'fresh' | 'final' | 'partial' = 'fresh';
    let finalTail: TailInfo | null = null;
    if (hasPartial) {
      const tail = await scanForResume(partial, opts, keys);
      torn += tail.torn;
      await repairTail(partial, tail);
      if (hasFinal) {
        // Normally `.partial` is a superset of `<path>` (it starts as a copy); merge anyway
        // so a hand-edited or foreign final file never loses records.
        const missing: string[] = [];
        const finalKeys = new Set<string>();
        await scanForResume(path, opts, finalKeys, (k, text) => {
          if (!keys.has(k)) missing.push(`${text}\n`);
        });
        for (const k of finalKeys) keys.add(k);
        if (missing.length) {
          const fh = await open(partial, 'a');
          try {
            await writeFully(fh, Buffer.from(missing.join('')));
            await fh.sync();
          } finally {
            await fh.close();
          }
        }
      }
      mode = 'partial';
    } else if (hasFinal) {
      finalTail = await scanForResume(path, opts, keys);
      torn += finalTail.torn;
      mode = 'final';
    }
    const w = new ResumableJsonlWriter<T>(path, keys, torn, mode, opts);
    w.finalTail = finalTail;
    if (mode === 'partial') w.fh = await open(partial, 'a');
    // A finalized file with a torn tail was not written by us: continue from a repaired copy.
    else if (finalTail && finalTail.tornAt >= 0) await w.startPartial();
    return w;
  }

  /** True if `key` is already written (or being written). */
  has(key: string): boolean {
    return this.done.has(key);
  }

  /**
   * Append a record durably (see the class doc). A record whose key is already done is
   * ignored (resolves immediately, nothing written). Throws a `SchemaError` if `schema` was
   * given and the record does not match.
   */
  append(record: T): Promise<void> {
    if (this.state !== 'open') return Promise.reject(new JsonlError(`${this.path}: append() after close()/finalize(); reopen the writer to continue`, this.path));
    if (this.broken) return Promise.reject(new JsonlError(`${this.path}: writer failed earlier (${this.broken.message}); reopen it to recover`, this.path, undefined, { cause: this.broken }));
    let value: T;
    let key: string;
    let line: string;
    try {
      value = this.schema ? (parseRecord(this.schema, record, `${this.path} (append)`) as T) : record;
      key = this.keyOf(value);
      if (typeof key !== 'string' || key === '') throw new JsonlError(`${this.path}: key() returned ${JSON.stringify(key)} for a record; it must return a non-empty string`, this.path);
      if (this.done.has(key)) return Promise.resolve();
      line = toLine(value, this.path);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    this.done.add(key);
    return new Promise<void>((res, rej) => {
      this.queue.push({ key, line, resolve: res, reject: rej });
      if (!this.drainScheduled) {
        this.drainScheduled = true;
        this.enqueue(() => this.drain());
      }
    });
  }

  /** Flush pending appends, fsync and close; the output stays resumable (in `<path>.partial`). */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closing';
    try {
      await this.enqueue(async () => {
        this.clearTimer();
        const fh = this.fh;
        this.fh = null;
        if (fh) {
          try {
            await fh.sync();
          } finally {
            await fh.close();
          }
        }
      });
      if (this.broken) throw this.broken;
    } finally {
      this.state = 'closed';
    }
  }

  /**
   * Close, then atomically publish `<path>.partial` as `<path>` (rename + directory fsync).
   * With nothing written and no previous output it creates an empty `<path>`; after an
   * earlier finalize with no new appends it changes nothing.
   */
  async finalize(): Promise<void> {
    await this.close();
    if (this.mode === 'partial') {
      await rename(this.partialPath, this.path);
      await fsyncDir(dirname(this.absPath));
      this.mode = 'final';
    } else if (this.mode === 'fresh') {
      await writeJsonlAtomic(this.path, []);
      this.mode = 'final';
    }
  }

  /** Run an fd operation after every earlier one (writes, fsyncs and close never interleave). */
  private enqueue(op: () => Promise<void>): Promise<void> {
    const p = this.chain.then(op);
    this.chain = p.catch(() => {});
    return p;
  }

  /** Write every queued line in one `write(2)`, then resolve their appends. */
  private async drain(): Promise<void> {
    this.drainScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    try {
      if (this.broken) throw this.broken;
      if (!this.fh) await this.startPartial();
      await writeFully(this.fh!, Buffer.from(batch.map((b) => b.line).join('')));
      this.unsynced += batch.length;
      if (this.unsynced >= this.fsyncEvery) await this.syncNow();
      else this.armTimer();
    } catch (e) {
      // The file may now end in a partial line: refuse further appends until reopened
      // (reopening truncates the torn tail). The failed keys are not done.
      this.broken ??= e as Error;
      for (const b of batch) {
        this.done.delete(b.key);
        b.reject(e as Error);
      }
      return;
    }
    for (const b of batch) b.resolve();
  }

  /** Create `<path>.partial` (from `<path>` if a finalized output exists) and open it for appending. */
  private async startPartial(): Promise<void> {
    if (this.mode === 'final') {
      await copyToPartial(this.path, this.partialPath);
      if (this.finalTail) await repairTail(this.partialPath, this.finalTail);
    }
    this.fh = await open(this.partialPath, 'a');
    this.mode = 'partial';
  }

  private async syncNow(): Promise<void> {
    this.clearTimer();
    if (this.fh && this.unsynced > 0) {
      this.unsynced = 0;
      await this.fh.sync();
    }
  }

  private armTimer(): void {
    if (this.syncTimer) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      this.enqueue(() => this.syncNow()).catch((e: Error) => {
        this.broken ??= e;
      });
    }, this.fsyncIntervalMs);
    this.syncTimer.unref();
  }

  private clearTimer(): void {
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = null;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Atomically create `partial` as a copy of `final` (temp copy + fsync + rename). */
async function copyToPartial(final: string, partial: string): Promise<void> {
  const tmp = tmpPathFor(partial);
  try {
    await copyFile(final, tmp);
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, partial);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dirname(resolve(partial)));
}

/** Where a file's tail needs repair before appending: a torn line, or a last record without its newline. */
interface TailInfo {
  /** Torn lines found (0 or 1: only the last line can be torn). */
  torn: number;
  /** Byte offset to truncate at (start of the torn line), or -1. */
  tornAt: number;
  /** Byte offset right after an unterminated but complete last record, or -1. */
  missingNewlineAt: number;
}

/** Truncate a torn tail / terminate an unterminated last record, so appends start on a fresh line. */
async function repairTail(path: string, tail: TailInfo): Promise<void> {
  if (tail.tornAt >= 0) {
    await truncate(path, tail.tornAt);
  } else if (tail.missingNewlineAt >= 0) {
    const fh = await open(path, 'r+');
    try {
      await fh.write('\n', tail.missingNewlineAt);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}

/**
 * Read an existing output for resuming: collect keys and validate every record (bad lines
 * other than a torn tail throw with `file:line`). `onRecord` sees each key and raw line.
 */
async function scanForResume<T>(
  path: string,
  opts: ResumableJsonlWriterOptions<T>,
  keys: Set<string>,
  onRecord?: (key: string, text: string) => void,
): Promise<TailInfo> {
  const tail: TailInfo = { torn: 0, tornAt: -1, missingNewlineAt: -1 };
  for await (const p of parsedLines<T>(path, opts.schema)) {
    if (p.error) {
      if (p.torn) {
        tail.torn++;
        tail.tornAt = p.raw.offset;
        continue;
      }
      const hint = 'fix or remove that line (or delete the file to start over), then rerun';
      throw new JsonlError(`cannot resume ${path}: ${p.error.message}; ${hint}`, path, p.raw.line, { cause: p.error });
    }
    let key: string;
    try {
      key = opts.key(p.value as T);
    } catch (e) {
      throw new JsonlError(`cannot resume ${path}:${p.raw.line}: key() failed: ${(e as Error).message}`, path, p.raw.line, { cause: e });
    }
    if (typeof key !== 'string' || key === '') {
      throw new JsonlError(`cannot resume ${path}:${p.raw.line}: key() returned ${JSON.stringify(key)}; it must return a non-empty string`, path, p.raw.line);
    }
    keys.add(key);
    onRecord?.(key, p.raw.text);
    if (!p.raw.terminated) tail.missingNewlineAt = p.raw.offset + p.raw.bytes;
  }
  return tail;
}
