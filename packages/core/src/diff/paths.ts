/**
 * git's path quoting in patch headers: a name with '"', '\\' or control characters is written
 * C-style in double quotes (octal escapes for raw bytes). Non-ASCII UTF-8 is left as is (git
 * accepts both when applying; we do not emulate core.quotePath's octal-escaping of UTF-8).
 */
const ESCAPES: Record<string, string> = { '\x07': 'a', '\b': 'b', '\t': 't', '\n': 'n', '\v': 'v', '\f': 'f', '\r': 'r', '"': '"', '\\': '\\' };

/** Quotes a header path the way git does when it contains special characters. */
export function quotePath(name: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/["\\\x00-\x1f\x7f]/.test(name)) return name;
  let out = '"';
  for (const ch of name) {
    const esc = ESCAPES[ch];
    if (esc !== undefined) out += `\\${esc}`;
    else if (ch.charCodeAt(0) < 0x20 || ch === '\x7f') out += `\\${ch.charCodeAt(0).toString(8).padStart(3, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Reads a C-quoted name starting at `text[start] === '"'`; returns the name and the index after the closing quote. */
export function unquoteAt(text: string, start: number): { name: string; end: number } | null {
  const bytes: number[] = [];
  const enc = new TextEncoder();
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') return { name: new TextDecoder().decode(Uint8Array.from(bytes)), end: i + 1 };
    if (ch === '\\') {
      const nx = text[i + 1];
      if (nx === undefined) return null;
      if (/[0-7]/.test(nx)) {
        const oct = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4))![0];
        bytes.push(parseInt(oct, 8) & 0xff);
        i += 1 + oct.length;
        continue;
      }
      const map: Record<string, string> = { a: '\x07', b: '\b', t: '\t', n: '\n', v: '\v', f: '\f', r: '\r', '"': '"', '\\': '\\' };
      const un = map[nx] ?? nx;
      bytes.push(...enc.encode(un));
      i += 2;
      continue;
    }
    const cp = text.codePointAt(i)!;
    const s = String.fromCodePoint(cp);
    bytes.push(...enc.encode(s));
    i += s.length;
  }
  return null;
}

/** Parses one header path token (quoted or bare to the end / first tab); returns null for /dev/null. */
export function parseHeaderPath(raw: string): string | null {
  let name: string;
  if (raw.startsWith('"')) {
    const q = unquoteAt(raw, 0);
    name = q ? q.name : raw;
  } else {
    // `--- a/file\t2024-01-01 10:00:00` (diff -u timestamps) and git's tab after names with spaces.
    const tab = raw.indexOf('\t');
    name = tab === -1 ? raw : raw.slice(0, tab);
  }
  if (name === '/dev/null') return null;
  return name;
}

/** Strips the first path component (`-p1`), as git apply and `patch -p1` do. */
export function stripPrefix(name: string): string {
  const slash = name.indexOf('/');
  return slash === -1 ? name : name.slice(slash + 1);
}
