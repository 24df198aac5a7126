import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SCHEMA_VERSION, SchemaError } from '../schema/index.js';
import { JsonlError, PARTIAL_SUFFIX, ResumableJsonlWriter, readJsonl, readJsonlAll, writeJsonlAtomic } from './index.js';
import type { BadLineInfo } from './index.js';

const here = dirname(fileURLToPath(import.meta.url));
const coreRoot = resolve(here, '../..');
const childScript = join(coreRoot, 'fixtures/jsonl-writer-child.ts');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'swe-forge-jsonl-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

type Rec = { id: string; n: number };
const key = (r: Rec) => r.id;

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean);
}

describe('readJsonl', () => {
  it('streams records, tolerating CRLF, a BOM, blank lines and a missing final newline', async () => {
    const p = join(dir, 'a.jsonl');
    writeFileSync(p, '\uFEFF{"a":1}\r\n\r\n{"a":"é ✓"}\n   \n{"a":3}');
    expect(await readJsonlAll(p)).toEqual([{ a: 1 }, { a: 'é ✓' }, { a: 3 }]);
  });

  it('throws on a bad middle line naming file:line', async () => {
    const p = join(dir, 'bad.jsonl');
    writeFileSync(p, '{"a":1}\n{"a":\n{"a":3}\n');
    await expect(readJsonlAll(p)).rejects.toThrow(`${p}:2: invalid JSON`);
    await expect(readJsonlAll(p)).rejects.toBeInstanceOf(JsonlError);
  });

  it('reports bad lines via onBadLine and keeps going', async () => {
    const p = join(dir, 'bad.jsonl');
    writeFileSync(p, '{"a":1}\nnot json\n{"a":3}\n{"a":4, "torn');
    const bad: BadLineInfo[] = [];
    expect(await readJsonlAll(p, { onBadLine: (b) => bad.push(b) })).toEqual([{ a: 1 }, { a: 3 }]);
    expect(bad.map((b) => [b.line, b.text])).toEqual([
      [2, 'not json'],
      [4, '{"a":4, "torn'],
    ]);
    expect(bad[1].error.message).toMatch(/torn last line/);
  });

  it('skips a torn last line without throwing', async () => {
    const p = join(dir, 'torn.jsonl');
    writeFileSync(p, '{"a":1}\n{"a":2}\n{"a":3, "b": [1, 2');
    expect(await readJsonlAll(p)).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('validates against a contract with file:line in the error, and stamps defaults', async () => {
    const p = join(dir, 'tr.jsonl');
    const good = { tests: { 't::a': 'PASSED' }, exit_code: 0, timed_out: false, duration_s: 1 };
    writeFileSync(p, `${JSON.stringify(good)}\n${JSON.stringify({ ...good, exit_code: 'zero' })}\n`);
    const err = await readJsonlAll(p, { schema: 'TestReport' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaError);
    expect((err as Error).message).toContain(`${p}:2`);
    expect((err as Error).message).toContain('exit_code');

    const p2 = join(dir, 'env.jsonl');
    const env = { id: 'x', repo: 'o/r', commit: 'abc', python: '3.11', install: [], test_cmd: 'pytest', test_framework: 'pytest', log_parser: 'pytest', backend: 'venv', baseline: { passed: 1, failed: 0, errors: 0, skipped: 0, duration_s: 1 } };
    writeFileSync(p2, `${JSON.stringify(env)}\n`);
    const [parsed] = await readJsonlAll<{ schema_version: string; meta: object }>(p2, { schema: 'EnvSpec' });
    expect(parsed.schema_version).toBe(SCHEMA_VERSION);
    expect(parsed.meta).toEqual({});
  });

  it('streams a large file with lines longer than the read chunk', async () => {
    const p = join(dir, 'big.jsonl');
    const big = 'y'.repeat(3 * 1024 * 1024); // spans several 1 MiB read chunks
    const parts: string[] = [];
    for (let i = 0; i < 50_000; i++) parts.push(JSON.stringify({ i }));
    parts.splice(25_000, 0, JSON.stringify({ big }));
    writeFileSync(p, `${parts.join('\n')}\n`);
    let count = 0;
    let sum = 0;
    let bigLen = 0;
    for await (const r of readJsonl<{ i?: number; big?: string }>(p)) {
      count++;
      if (r.big) bigLen = r.big.length;
      else sum += r.i!;
    }
    expect(count).toBe(50_001);
    expect(sum).toBe((49_999 * 50_000) / 2);
    expect(bigLen).toBe(big.length);
  });

  it('says which file is missing', async () => {
    await expect(readJsonlAll(join(dir, 'nope.jsonl'))).rejects.toThrow(/cannot read JSONL file .*nope\.jsonl: ENOENT/);
  });
});

describe('writeJsonlAtomic', () => {
  it('writes all records (sync or async iterable), creating the directory, and leaves no temp files', async () => {
    const p = join(dir, 'sub/dir/out.jsonl');
    expect(await writeJsonlAtomic(p, [{ a: 1 }, { a: 'x\ny' }])).toBe(2);
    expect(readFileSync(p, 'utf8')).toBe('{"a":1}\n{"a":"x\\ny"}\n');
    async function* gen() {
      for (let i = 0; i < 3; i++) yield { i };
    }
    expect(await writeJsonlAtomic(p, gen())).toBe(3);
    expect(await readJsonlAll(p)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    expect(readdirSync(dirname(p))).toEqual(['out.jsonl']);
  });

  it('keeps the old file intact when writing fails midway', async () => {
    const p = join(dir, 'out.jsonl');
    await writeJsonlAtomic(p, [{ old: true }]);
    async function* failing() {
      yield { a: 1 };
      throw new Error('source broke');
    }
    await expect(writeJsonlAtomic(p, failing())).rejects.toThrow('source broke');
    expect(readFileSync(p, 'utf8')).toBe('{"old":true}\n');
    expect(readdirSync(dir)).toEqual(['out.jsonl']);
  });

  it('validates with a schema and rejects non-JSON values', async () => {
    const p = join(dir, 'out.jsonl');
    await expect(writeJsonlAtomic(p, [{ tests: {}, exit_code: 0, timed_out: false }], { schema: 'TestReport' })).rejects.toThrow(/record 1.*duration_s/);
    await expect(writeJsonlAtomic(p, [undefined])).rejects.toThrow(/not JSON-serializable/);
    expect(existsSync(p)).toBe(false);
  });
});

describe('ResumableJsonlWriter', () => {
  it('writes to <path>.partial and publishes <path> atomically on finalize', async () => {
    const p = join(dir, 'out.jsonl');
    const w = await ResumableJsonlWriter.open<Rec>(p, { key });
    await w.append({ id: 'a', n: 1 });
    await w.append({ id: 'b', n: 2 });
    expect(existsSync(p)).toBe(false);
    expect(lines(p + PARTIAL_SUFFIX)).toHaveLength(2);
    await w.finalize();
    expect(existsSync(p + PARTIAL_SUFFIX)).toBe(false);
    expect(await readJsonlAll(p)).toEqual([
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
    ]);
    await expect(w.append({ id: 'c', n: 3 })).rejects.toThrow(/after close\(\)\/finalize\(\)/);
  });

  it('never writes a key twice: within a run, across close/reopen, and after finalize', async () => {
    const p = join(dir, 'out.jsonl');
    const w1 = await ResumableJsonlWriter.open<Rec>(p, { key });
    // concurrent appends, with duplicates racing each other
    await Promise.all(Array.from({ length: 600 }, (_, i) => w1.append({ id: `k${i % 400}`, n: i })));
    expect(w1.doneKeys.size).toBe(400);
    await w1.close();

    const w2 = await ResumableJsonlWriter.open<Rec>(p, { key });
    expect(w2.doneKeys.size).toBe(400);
    expect(w2.has('k399')).toBe(true);
    expect(w2.recovered.tornLines).toBe(0);
    for (let i = 0; i < 500; i++) await w2.append({ id: `k${i}`, n: -1 });
    await w2.finalize();

    // rerun after finalize: a no-op that still knows every key
    const before = readFileSync(p, 'utf8');
    const w3 = await ResumableJsonlWriter.open<Rec>(p, { key });
    expect(w3.doneKeys.size).toBe(500);
    await w3.append({ id: 'k0', n: 99 });
    await w3.finalize();
    expect(readFileSync(p, 'utf8')).toBe(before);
    expect(existsSync(p + PARTIAL_SUFFIX)).toBe(false);

    // a rerun with new work continues the finalized output
    const w4 = await ResumableJsonlWriter.open<Rec>(p, { key });
    await w4.append({ id: 'new', n: 1 });
    expect(existsSync(p)).toBe(true); // the finalized file stays readable meanwhile
    await w4.finalize();
    const recs = await readJsonlAll<Rec>(p);
    expect(recs).toHaveLength(501);
    expect(new Set(recs.map((r) => r.id)).size).toBe(501);
    // first-written value wins for every key
    expect(recs.find((r) => r.id === 'k0')!.n).toBe(0);
    expect(recs.find((r) => r.id === 'k450')!.n).toBe(-1);
  });

  it('truncates a torn last line on open, reports it, and appends cleanly after it', async () => {
    const p = join(dir, 'out.jsonl');
    const partial = p + PARTIAL_SUFFIX;
    writeFileSync(partial, '{"id":"a","n":1}\n{"id":"b","n":2}\n{"id":"c","n":');
    const w = await ResumableJsonlWriter.open<Rec>(p, { key });
    expect(w.recovered.tornLines).toBe(1);
    expect([...w.doneKeys]).toEqual(['a', 'b']);
    expect(readFileSync(partial, 'utf8')).toBe('{"id":"a","n":1}\n{"id":"b","n":2}\n');
    await w.append({ id: 'c', n: 3 });
    await w.finalize();
    expect(lines(p)).toEqual(['{"id":"a","n":1}', '{"id":"b","n":2}', '{"id":"c","n":3}']);
  });

  it('keeps a complete last record that only lacks its newline', async () => {
    const p = join(dir, 'out.jsonl');
    writeFileSync(p + PARTIAL_SUFFIX, '{"id":"a","n":1}\r\n{"id":"b","n":2}');
    const w = await ResumableJsonlWriter.open<Rec>(p, { key });
    expect(w.recovered.tornLines).toBe(0);
    expect(w.doneKeys.size).toBe(2);
    await w.append({ id: 'c', n: 3 });
    await w.finalize();
    expect((await readJsonlAll<Rec>(p)).map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });

  it('repairs a foreign finalized file with a torn tail without touching it until finalize', async () => {
    const p = join(dir, 'out.jsonl');
    writeFileSync(p, '{"id":"a","n":1}\n{"id":"b"');
    const w = await ResumableJsonlWriter.open<Rec>(p, { key });
    expect(w.recovered.tornLines).toBe(1);
    expect(readFileSync(p, 'utf8')).toBe('{"id":"a","n":1}\n{"id":"b"');
    await w.append({ id: 'b', n: 2 });
    await w.finalize();
    expect(lines(p)).toEqual(['{"id":"a","n":1}', '{"id":"b","n":2}']);
  });

  it('merges records of <path> missing from <path>.partial', async () => {
    const p = join(dir, 'out.jsonl');
    writeFileSync(p, '{"id":"a","n":1}\n{"id":"z","n":26}\n');
    writeFileSync(p + PARTIAL_SUFFIX, '{"id":"a","n":1}\n{"id":"b","n":2}\n');
    const w = await ResumableJsonlWriter.open<Rec>(p, { key });
    expect([...w.doneKeys].sort()).toEqual(['a', 'b', 'z']);
    await w.finalize();
    expect((await readJsonlAll<Rec>(p)).map((r) => r.id).sort()).toEqual(['a', 'b', 'z']);
  });

  it('refuses to resume from a corrupt middle line, naming file:line', async () => {
    const p = join(dir, 'out.jsonl');
    writeFileSync(p + PARTIAL_SUFFIX, '{"id":"a","n":1}\n{oops}\n{"id":"b","n":2}\n');
    await expect(ResumableJsonlWriter.open<Rec>(p, { key })).rejects.toThrow(`cannot resume ${p}${PARTIAL_SUFFIX}: ${p}${PARTIAL_SUFFIX}:2: invalid JSON`);
  });

  it('validates records with the schema on append and on resume', async () => {
    const p = join(dir, 'reports.jsonl');
    type TR = { tests: Record<string, string>; exit_code: number; timed_out: boolean; duration_s: number; log_path?: string };
    const w = await ResumableJsonlWriter.open<TR>(p, { key: (r) => r.log_path ?? '', schema: 'TestReport' });
    await expect(w.append({ tests: { t: 'WEIRD' }, exit_code: 0, timed_out: false, duration_s: 1, log_path: 'x' })).rejects.toBeInstanceOf(SchemaError);
    expect(w.has('x')).toBe(false);
    await expect(w.append({ tests: {}, exit_code: 0, timed_out: false, duration_s: 1 })).rejects.toThrow(/key\(\) returned ""/);
    await w.append({ tests: { t: 'PASSED' }, exit_code: 0, timed_out: false, duration_s: 1, log_path: 'ok' });
    await w.close();
    appendFileSync(p + PARTIAL_SUFFIX, '{"tests":{},"exit_code":"x","timed_out":false,"duration_s":1,"log_path":"bad"}\n');
    await expect(ResumableJsonlWriter.open<TR>(p, { key: (r) => r.log_path!, schema: 'TestReport' })).rejects.toThrow(`${p}${PARTIAL_SUFFIX}:2`);
  });

  it('a failed write rejects the append, un-marks its key, and refuses further appends until reopened', async () => {
    const p = join(dir, 'out.jsonl');
    const w = await ResumableJsonlWriter.open<Rec>(p, { key });
    mkdirSync(p + PARTIAL_SUFFIX); // the output file cannot be created now
    await expect(w.append({ id: 'a', n: 1 })).rejects.toThrow(/EISDIR/);
    expect(w.has('a')).toBe(false);
    await expect(w.append({ id: 'b', n: 2 })).rejects.toThrow(/writer failed earlier .*reopen it to recover/);
    await expect(w.finalize()).rejects.toThrow(/EISDIR/);
    expect(existsSync(p)).toBe(false); // nothing half-done was published
  });

  it('fsyncs every N records, shortly after an unsynced append, and on close', async () => {
    const probe = await open(join(dir, 'probe'), 'w');
    const FileHandleProto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
    await probe.close();
    const sync = vi.spyOn(FileHandleProto, 'sync');
    try {
      const w = await ResumableJsonlWriter.open<Rec>(join(dir, 'out.jsonl'), { key, fsyncEveryRecords: 10, fsyncIntervalMs: 30 });
      for (let i = 0; i < 25; i++) await w.append({ id: `k${i}`, n: i });
      expect(sync).toHaveBeenCalledTimes(2); // after records 10 and 20
      await sleep(120);
      expect(sync).toHaveBeenCalledTimes(3); // the 5 unsynced records, by the interval timer
      await w.append({ id: 'last', n: 0 });
      await w.close();
      expect(sync).toHaveBeenCalledTimes(4); // on close
    } finally {
      sync.mockRestore();
    }
  });

  it('finalize with nothing written creates an empty output', async () => {
    const p = join(dir, 'empty.jsonl');
    const w = await ResumableJsonlWriter.open<Rec>(p, { key });
    await w.finalize();
    expect(readFileSync(p, 'utf8')).toBe('');
    const again = await ResumableJsonlWriter.open<Rec>(p, { key });
    expect(again.doneKeys.size).toBe(0);
    await again.finalize();
    expect(readdirSync(dir)).toEqual(['empty.jsonl']);
  });

  it('THE crash test: a writer killed with SIGKILL mid-stream, rerun, has every key exactly once', async () => {
    const p = join(dir, 'crash.jsonl');
    const total = 20_000;
    const runChild = (killAfterAcks: number | null) =>
      new Promise<{ acks: string[]; events: Record<string, unknown>[]; code: number | null; signal: string | null; stderr: string }>((res, rej) => {
        const child = spawn(process.execPath, ['--conditions=@swe-forge/source', '--import', 'tsx', childScript, p, String(total)], {
          cwd: coreRoot,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const acks: string[] = [];
        const events: Record<string, unknown>[] = [];
        let buf = '';
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          const parts = buf.split('\n');
          buf = parts.pop()!;
          for (const line of parts) {
            if (line.startsWith('ack ')) acks.push(line.slice(4));
            else if (line.startsWith('{')) events.push(JSON.parse(line));
          }
          if (killAfterAcks !== null && acks.length >= killAfterAcks && child.exitCode === null) child.kill('SIGKILL');
        });
        child.on('error', rej);
        child.on('close', (code, signal) => res({ acks, events, code, signal, stderr }));
      });

    // Run 1: killed with SIGKILL after ~2000 acknowledged appends.
    const r1 = await runChild(2000);
    expect(r1.stderr).toBe('');
    expect(r1.signal).toBe('SIGKILL');
    expect(r1.events[0]).toEqual({ event: 'open', done: 0, torn: 0 });
    expect(existsSync(p)).toBe(false); // never finalized: readers of <path> see nothing half-done
    const partial = p + PARTIAL_SUFFIX;
    const afterKill = await readJsonlAll<{ id: string }>(partial, { onBadLine: () => {} });
    const keysAfterKill = new Set(afterKill.map((r) => r.id));
    expect(keysAfterKill.size).toBe(afterKill.length); // no duplicates
    expect(afterKill.length).toBeLessThan(total); // really killed mid-stream
    for (const k of r1.acks) expect(keysAfterKill.has(k)).toBe(true); // every acknowledged append survived

    // Simulate the torn write a crash leaves behind (a record cut mid-line).
    appendFileSync(partial, '{"id":"k19999","i":19999,"payload":"xxxx');

    // Run 2: resumes, recovers the torn line, writes only what is missing, finalizes.
    const r2 = await runChild(null);
    expect(r2.stderr).toBe('');
    expect(r2.code).toBe(0);
    expect(r2.events[0]).toEqual({ event: 'open', done: keysAfterKill.size, torn: 1 });
    expect(r2.events.at(-1)).toEqual({ event: 'finalized' });
    expect(r2.acks.length).toBe(total - keysAfterKill.size);
    for (const k of r2.acks) expect(keysAfterKill.has(k)).toBe(false);

    const all = await readJsonlAll<{ id: string; i: number }>(p); // throws on any bad line
    expect(all).toHaveLength(total);
    const counts = new Map<string, number>();
    for (const r of all) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
    expect(counts.size).toBe(total);
    for (let i = 0; i < total; i++) expect(counts.get(`k${i}`)).toBe(1);
    expect(existsSync(partial)).toBe(false);

    // Run 3 after finalize: nothing to do, nothing duplicated.
    const r3 = await runChild(null);
    expect(r3.events[0]).toEqual({ event: 'open', done: total, torn: 0 });
    expect(r3.acks).toEqual([]);
    expect(lines(p)).toHaveLength(total);
  });
});
