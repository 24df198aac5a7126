/**
 * Line diff: Myers' O(ND) algorithm in linear space (divide and conquer on the middle snake,
 * after Myers 1986 §4b and diff-match-patch's bisect). Lines are interned to integers, and the
 * common prefix/suffix is trimmed first, so a 10k-line file with a few edits diffs in
 * milliseconds. Output: a change flag per line of each side (as GNU diff does).
 */

/** Which lines of `a` are deleted and which lines of `b` are inserted. */
export interface LineChanges {
  deleted: Uint8Array;
  inserted: Uint8Array;
}

/** Diffs two line arrays; equal strings are equal lines. */
export function diffLines(aLines: readonly string[], bLines: readonly string[]): LineChanges {
  const ids = new Map<string, number>();
  const intern = (s: string): number => {
    let id = ids.get(s);
    if (id === undefined) {
      id = ids.size;
      ids.set(s, id);
    }
    return id;
  };
  // Trim the common prefix/suffix on the strings first: the usual patch touches a few lines of
  // a big file, and only the middle then needs interning and the O(ND) search.
  let pre = 0;
  const maxPre = Math.min(aLines.length, bLines.length);
  while (pre < maxPre && aLines[pre] === bLines[pre]) pre++;
  let suf = 0;
  while (suf < maxPre - pre && aLines[aLines.length - 1 - suf] === bLines[bLines.length - 1 - suf]) suf++;
  const a = Int32Array.from(aLines.slice(pre, aLines.length - suf), intern);
  const b = Int32Array.from(bLines.slice(pre, bLines.length - suf), intern);
  const deleted = new Uint8Array(aLines.length);
  const inserted = new Uint8Array(bLines.length);
  // A line that never occurs on the other side can only be a deletion/insertion (git's
  // xdl_cleanup_records does the same): drop those before the search. The longest common
  // subsequence is unchanged, so the diff stays minimal, but rewrites shrink a lot.
  const inA = new Uint8Array(ids.size);
  const inB = new Uint8Array(ids.size);
  for (let i = 0; i < a.length; i++) inA[a[i]] = 1;
  for (let j = 0; j < b.length; j++) inB[b[j]] = 1;
  const keepA = filterIndex(a, inB);
  const keepB = filterIndex(b, inA);
  const delMid = deleted.subarray(pre, aLines.length - suf);
  const insMid = inserted.subarray(pre, bLines.length - suf);
  if (keepA.length === a.length && keepB.length === b.length) {
    compare(a, 0, a.length, b, 0, b.length, delMid, insMid);
  } else {
    const a2 = keepA.map((i) => a[i]);
    const b2 = keepB.map((j) => b[j]);
    const del2 = new Uint8Array(a2.length);
    const ins2 = new Uint8Array(b2.length);
    compare(a2, 0, a2.length, b2, 0, b2.length, del2, ins2);
    delMid.fill(1);
    insMid.fill(1);
    for (let k = 0; k < keepA.length; k++) delMid[keepA[k]] = del2[k];
    for (let k = 0; k < keepB.length; k++) insMid[keepB[k]] = ins2[k];
  }
  return { deleted, inserted };
}

/** Positions of `xs` whose line also occurs on the other side. */
function filterIndex(xs: Int32Array, other: Uint8Array): Int32Array {
  const out = new Int32Array(xs.length);
  let n = 0;
  for (let i = 0; i < xs.length; i++) if (other[xs[i]]) out[n++] = i;
  return out.subarray(0, n);
}

function compare(
  a: Int32Array,
  aLo: number,
  aHi: number,
  b: Int32Array,
  bLo: number,
  bHi: number,
  deleted: Uint8Array,
  inserted: Uint8Array,
): void {
  const seen = new Uint8Array(Math.max(maxId(a), maxId(b)) + 1);
  // Explicit stack instead of recursion: the split tree is shallow, but be safe on huge inputs.
  const stack: number[] = [aLo, aHi, bLo, bHi];
  while (stack.length > 0) {
    let yHi = stack.pop()!;
    let yLo = stack.pop()!;
    let xHi = stack.pop()!;
    let xLo = stack.pop()!;
    while (xLo < xHi && yLo < yHi && a[xLo] === b[yLo]) {
      xLo++;
      yLo++;
    }
    while (xLo < xHi && yLo < yHi && a[xHi - 1] === b[yHi - 1]) {
      xHi--;
      yHi--;
    }
    if (xLo === xHi) {
      inserted.fill(1, yLo, yHi);
      continue;
    }
    if (yLo === yHi) {
      deleted.fill(1, xLo, xHi);
      continue;
    }
    const split = shareAnyLine(a, xLo, xHi, b, yLo, yHi, seen) ? bisect(a, xLo, xHi, b, yLo, yHi) : null;
    if (split === null) {
      deleted.fill(1, xLo, xHi);
      inserted.fill(1, yLo, yHi);
      continue;
    }
    const [sx, sy] = split;
    // Second half pushed first so the first half is processed first (order does not matter
    // for the flags, but keeps memory of the stack small).
    stack.push(sx, xHi, sy, yHi, xLo, sx, yLo, sy);
  }
}

function maxId(xs: Int32Array): number {
  let m = -1;
  for (let i = 0; i < xs.length; i++) if (xs[i] > m) m = xs[i];
  return m;
}

/** True when the two ranges have a line in common (else the diff is a plain replacement). */
function shareAnyLine(a: Int32Array, aLo: number, aHi: number, b: Int32Array, bLo: number, bHi: number, seen: Uint8Array): boolean {
  for (let i = aLo; i < aHi; i++) seen[a[i]] = 1;
  let found = false;
  for (let j = bLo; j < bHi && !found; j++) if (seen[b[j]]) found = true;
  for (let i = aLo; i < aHi; i++) seen[a[i]] = 0;
  return found;
}

/**
 * Edit steps explored per bisection before settling for a good-enough split (like git's xdiff
 * "too expensive" heuristic): keeps huge rewrites from going quadratic; the diff stays valid,
 * only possibly not minimal.
 */
function maxCost(total: number): number {
  return Math.max(256, 2 * Math.ceil(Math.sqrt(total)));
}

/** Finds a point (x, y) on an optimal edit path strictly inside the box, or null if none share a line. */
function bisect(a: Int32Array, aLo: number, aHi: number, b: Int32Array, bLo: number, bHi: number): [number, number] | null {
  const n = aHi - aLo;
  const m = bHi - bLo;
  const maxD = Math.ceil((n + m) / 2);
  const vOffset = maxD;
  const vLength = 2 * maxD + 2;
  const v1 = new Int32Array(vLength).fill(-1);
  const v2 = new Int32Array(vLength).fill(-1);
  v1[vOffset + 1] = 0;
  v2[vOffset + 1] = 0;
  const delta = n - m;
  // With an odd delta the forward path detects the overlap, with an even one the reverse path.
  const front = (delta & 1) !== 0;
  let k1start = 0;
  let k1end = 0;
  let k2start = 0;
  let k2end = 0;
  const cap = maxCost(n + m);
  let bestX = -1;
  let bestY = -1;
  for (let d = 0; d < maxD; d++) {
    if (d > cap && bestX + bestY > 0 && bestX + bestY < n + m) return [aLo + bestX, bLo + bestY];
    for (let k1 = -d + k1start; k1 <= d - k1end; k1 += 2) {
      const k1off = vOffset + k1;
      let x1 = k1 === -d || (k1 !== d && v1[k1off - 1] < v1[k1off + 1]) ? v1[k1off + 1] : v1[k1off - 1] + 1;
      let y1 = x1 - k1;
      while (x1 < n && y1 < m && a[aLo + x1] === b[bLo + y1]) {
        x1++;
        y1++;
      }
      v1[k1off] = x1;
      if (x1 <= n && y1 <= m && y1 >= 0 && x1 + y1 > bestX + bestY) {
        bestX = x1;
        bestY = y1;
      }
      if (x1 > n) k1end += 2;
      else if (y1 > m) k1start += 2;
      else if (front) {
        const k2off = vOffset + delta - k1;
        if (k2off >= 0 && k2off < vLength && v2[k2off] !== -1) {
          if (x1 >= n - v2[k2off]) return [aLo + x1, bLo + y1];
        }
      }
    }
    for (let k2 = -d + k2start; k2 <= d - k2end; k2 += 2) {
      const k2off = vOffset + k2;
      let x2 = k2 === -d || (k2 !== d && v2[k2off - 1] < v2[k2off + 1]) ? v2[k2off + 1] : v2[k2off - 1] + 1;
      let y2 = x2 - k2;
      while (x2 < n && y2 < m && a[aHi - x2 - 1] === b[bHi - y2 - 1]) {
        x2++;
        y2++;
      }
      v2[k2off] = x2;
      if (x2 > n) k2end += 2;
      else if (y2 > m) k2start += 2;
      else if (!front) {
        const k1off = vOffset + delta - k2;
        if (k1off >= 0 && k1off < vLength && v1[k1off] !== -1) {
          const x1 = v1[k1off];
          const y1 = vOffset + x1 - k1off;
          if (x1 >= n - x2) return [aLo + x1, bLo + y1];
        }
      }
    }
  }
  return null;
}
