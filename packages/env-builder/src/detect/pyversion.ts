/** Python version constraints (PEP 440 subset on major.minor) used to choose an interpreter. */

/** Parse `3.11` / `3.11.4` into a comparable tuple. */
export function parseVersion(v: string): number[] {
  return v
    .split('.')
    .map((p) => Number.parseInt(p, 10))
    .filter((n) => Number.isFinite(n));
}

function cmp(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** True when `version` (e.g. `3.11`) satisfies a specifier set like `>=3.8,<4` (unknown clauses are ignored). */
export function satisfies(version: string, specifier: string): boolean {
  const v = parseVersion(version);
  for (const clause of specifier
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(~=|===|==|!=|<=|>=|<|>)\s*([0-9][0-9.]*)(\.\*)?$/.exec(clause);
    if (!m) continue;
    const [, op, raw, wild] = m;
    const t = parseVersion(raw);
    // Compare only as many components as the clause names (3.8 vs 3.8.10 counts as equal).
    const vv = v.slice(0, Math.max(t.length, 2));
    const c = cmp(vv, t);
    switch (op) {
      case '>=':
        if (c < 0) return false;
        break;
      case '>':
        if (c <= 0) return false;
        break;
      case '<=':
        if (c > 0) return false;
        break;
      case '<':
        if (c >= 0) return false;
        break;
      case '==':
      case '===':
        if (wild ? cmp(v.slice(0, t.length), t) !== 0 : cmp(v.slice(0, t.length), t) !== 0) return false;
        break;
      case '!=':
        if (cmp(v.slice(0, t.length), t) === 0) return false;
        break;
      case '~=': {
        if (c < 0) return false;
        const prefix = t.slice(0, Math.max(1, t.length - 1));
        if (cmp(v.slice(0, prefix.length), prefix) !== 0) return false;
        break;
      }
    }
  }
  return true;
}

/** Sort `3.x` version strings ascending and drop duplicates. */
export function sortVersions(vs: Iterable<string>): string[] {
  return [...new Set(vs)].sort((a, b) => cmp(parseVersion(a), parseVersion(b)));
}
