/** A minimal configparser-compatible INI reader (setup.cfg, tox.ini, pytest.ini). */

/** Sections of an INI file: section name → key → raw (possibly multi-line) value. */
export type IniFile = Map<string, Map<string, string>>;

/** Parse INI text the way Python's configparser does for the parts we need (continuations, comments). */
export function parseIni(text: string): IniFile {
  const out: IniFile = new Map();
  let section: Map<string, string> | null = null;
  let lastKey: string | null = null;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*[#;]/.test(raw) || raw.trim() === '') {
      // A blank line inside a value keeps the value open in configparser; a comment never adds.
      continue;
    }
    const sec = /^\[([^\]]+)\]\s*$/.exec(raw);
    if (sec) {
      section = new Map();
      out.set(sec[1].trim(), section);
      lastKey = null;
      continue;
    }
    if (!section) continue;
    if (/^\s/.test(raw) && lastKey !== null) {
      section.set(lastKey, `${section.get(lastKey) ?? ''}\n${raw.trim()}`);
      continue;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(raw);
    if (kv) {
      lastKey = kv[1].trim().toLowerCase();
      section.set(lastKey, kv[2].trim());
    }
  }
  return out;
}

/** Split a multi-line INI list value into items (newline or comma separated when asked), dropping comments. */
export function iniList(value: string | undefined, commas = false): string[] {
  if (!value) return [];
  const items: string[] = [];
  for (const line of value.split('\n')) {
    const clean = line.replace(/\s+#.*$/, '').trim();
    if (!clean || clean.startsWith('#')) continue;
    if (commas)
      items.push(
        ...clean
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      );
    else items.push(clean);
  }
  return items;
}
