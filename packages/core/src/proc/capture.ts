/**
 * Bounded output capture: keeps the first and the last bytes of a stream and counts what was
 * dropped in between, so a runaway test log cannot exhaust memory but the start (collection
 * errors) and the end (pytest's short summary) both survive.
 */
export class OutputCapture {
  private chunks: Buffer[] = [];
  private size = 0;
  private head: Buffer | null = null;
  private tail: Buffer[] = [];
  private tailSize = 0;
  private readonly headCap: number;
  private readonly tailCap: number;
  /** Total bytes seen, kept or not. */
  total = 0;

  /** Captures at most `maxBytes` bytes (half from the start, half from the end). */
  constructor(private readonly maxBytes: number) {
    const cap = Math.max(0, Math.floor(maxBytes));
    this.headCap = Math.floor(cap / 2);
    this.tailCap = cap - this.headCap;
  }

  /** Adds a chunk of output. */
  push(buf: Buffer): void {
    this.total += buf.length;
    if (this.head === null) {
      this.chunks.push(buf);
      this.size += buf.length;
      if (this.size <= this.maxBytes) return;
      const all = Buffer.concat(this.chunks);
      this.chunks = [];
      this.head = all.subarray(0, this.headCap);
      this.tail = [all.subarray(this.headCap)];
      this.tailSize = all.length - this.headCap;
    } else {
      this.tail.push(buf);
      this.tailSize += buf.length;
    }
    // Drop whole chunks from the front of the tail while the rest still covers tailCap.
    while (this.tail.length > 1 && this.tailSize - this.tail[0].length >= this.tailCap) {
      this.tailSize -= this.tail[0].length;
      this.tail.shift();
    }
  }

  /** True when bytes were dropped. */
  get truncated(): boolean {
    return this.head !== null;
  }

  /** The captured text; when truncated, head + `\n... [N bytes truncated] ...\n` + tail. */
  text(): string {
    if (this.head === null) return Buffer.concat(this.chunks).toString('utf8');
    let head = this.head;
    let tail = Buffer.concat(this.tail);
    tail = tail.subarray(Math.max(0, tail.length - this.tailCap));
    // Cut on UTF-8 character boundaries so the kept text does not start/end with U+FFFD.
    head = head.subarray(0, completeEnd(head));
    let t = 0;
    while (t < tail.length && (tail[t] & 0xc0) === 0x80) t++;
    tail = tail.subarray(t);
    const dropped = this.total - head.length - tail.length;
    return `${head.toString('utf8')}\n... [${dropped} bytes truncated] ...\n${tail.toString('utf8')}`;
  }
}

/** Length of `buf` without a trailing incomplete UTF-8 sequence. */
function completeEnd(buf: Buffer): number {
  // Walk back over at most 3 continuation bytes to the lead byte and check its declared length.
  let i = buf.length - 1;
  let cont = 0;
  while (i >= 0 && cont < 3 && (buf[i] & 0xc0) === 0x80) {
    i--;
    cont++;
  }
  if (i < 0) return buf.length;
  const lead = buf[i];
  const need = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
  return need > cont ? i : buf.length;
}
