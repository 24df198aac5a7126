/** Requirement-string helpers: names, pins, and requirement files. */

/** The distribution name of a PEP 508 requirement (`pytest-cov>=4; python_version>"3"` → `pytest-cov`), or null for URLs/options. */
export function requirementName(req: string): string | null {
  const s = req.trim();
  if (!s || s.startsWith('-') || s.startsWith('#')) return null;
  if (/^(git\+|hg\+|svn\+|bzr\+|https?:|file:|\.|\/)/.test(s)) return null;
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(s);
  return m ? m[1] : null;
}

/** Normalized distribution name (PEP 503). */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** A requirement without its version pin and markers (`foo[bar]==1.2; x` → `foo[bar]`), or null when not a plain requirement. */
export function loosen(req: string): string | null {
  const name = requirementName(req);
  if (!name) return null;
  const extras = /^[A-Za-z0-9._-]+\s*(\[[^\]]*\])/.exec(req.trim());
  return name + (extras ? extras[1].replace(/\s+/g, '') : '');
}

/** Evaluate the common environment markers for a CPython `pythonVersion` on Linux; unknown markers count as true. */
export function markerAllows(req: string, pythonVersion: string): boolean {
  const idx = req.indexOf(';');
  if (idx < 0) return true;
  const marker = req.slice(idx + 1);
  if (/sys_platform\s*==\s*['"](win32|darwin|cygwin)['"]/.test(marker)) return false;
  if (/platform_system\s*==\s*['"](Windows|Darwin)['"]/.test(marker)) return false;
  if (/implementation_name\s*==\s*['"]pypy['"]|platform_python_implementation\s*==\s*['"]PyPy['"]/.test(marker)) return false;
  if (/extra\s*==/.test(marker)) return false;
  const [maj, min] = pythonVersion.split('.').map(Number);
  for (const m of marker.matchAll(/python_(?:full_)?version\s*(<=|>=|==|!=|<|>)\s*['"]([0-9.]+)['"]/g)) {
    const [tmaj, tmin = 0] = m[2].split('.').map(Number);
    const c = maj !== tmaj ? maj - tmaj : min - tmin;
    const ok =
      m[1] === '<' ? c < 0 : m[1] === '<=' ? c <= 0 : m[1] === '>' ? c > 0 : m[1] === '>=' ? c >= 0 : m[1] === '==' ? c === 0 : c !== 0;
    // Only an `and`-free marker can be decided by one clause; `or` markers stay allowed.
    if (!ok && !/\bor\b/.test(marker)) return false;
  }
  return true;
}

/** Entries of a requirements file: requirement lines, nested `-r`/`-c` files, and `-e` targets. */
export interface RequirementsFile {
  requirements: string[];
  includes: string[];
  editables: string[];
}

/** Parse requirements.txt text (continuations, comments, `-r`, `-e`); pip options like `--index-url` are dropped. */
export function parseRequirementsText(text: string): RequirementsFile {
  const out: RequirementsFile = {
    requirements: [],
    includes: [],
    editables: [],
  };
  const joined = text.replace(/\\\r?\n/g, ' ');
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    let m: RegExpExecArray | null;
    if ((m = /^(?:-r|--requirement)\s*=?\s*(\S+)/.exec(line))) out.includes.push(m[1]);
    else if ((m = /^(?:-e|--editable)\s*=?\s*(\S+)/.exec(line))) out.editables.push(m[1]);
    else if (line.startsWith('-')) continue;
    else out.requirements.push(line.replace(/\s+--[a-z-]+(=\S+)?/g, '').trim());
  }
  return out;
}
