import type { TestStatus } from '../schema/index.js';
import { mergeStatus } from './common.js';

/** A JUnit XML file could not be read (not XML, or no `<testsuite>`/`<testcase>` at all). */
export class JUnitParseError extends Error {
  override name = 'JUnitParseError';
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, ent: string) => {
    if (ent[0] === '#') {
      const code = ent[1] === 'x' || ent[1] === 'X' ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ent] ?? whole;
  });
}

const TAG = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;
const ATTR = /([A-Za-z_][\w:.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

interface Element {
  name: string;
  attrs: Record<string, string>;
}

/** Walk the start/end tags of an XML document, skipping comments, CDATA, PIs and text. */
function* tags(xml: string): Generator<{ element: Element; kind: 'open' | 'close' | 'empty' }> {
  let i = 0;
  while (true) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) return;
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt + 4);
      i = end < 0 ? xml.length : end + 3;
      continue;
    }
    if (xml.startsWith('<![CDATA[', lt)) {
      const end = xml.indexOf(']]>', lt + 9);
      i = end < 0 ? xml.length : end + 3;
      continue;
    }
    if (xml.startsWith('<?', lt)) {
      const end = xml.indexOf('?>', lt + 2);
      i = end < 0 ? xml.length : end + 2;
      continue;
    }
    if (xml.startsWith('<!', lt)) {
      const end = xml.indexOf('>', lt + 2);
      i = end < 0 ? xml.length : end + 1;
      continue;
    }
    TAG.lastIndex = lt;
    const m = TAG.exec(xml);
    if (!m) {
      i = lt + 1; // a stray '<' in malformed text: skip it rather than give up on the file
      continue;
    }
    i = TAG.lastIndex;
    const attrs: Record<string, string> = {};
    for (const a of m[3].matchAll(ATTR)) attrs[a[1]] = decodeEntities(a[2] ?? a[3] ?? '');
    const kind = m[1] ? 'close' : m[4] ? 'empty' : 'open';
    yield { element: { name: m[2], attrs }, kind };
  }
}

const DATA_EXTENSIONS = new Set(['txt', 'rst', 'md', 'yaml', 'yml', 'json', 'toml', 'ini', 'cfg', 'feature', 'ipynb']);

/**
 * Turn a JUnit `classname` + `name` (+ optional `file`) into a pytest node id.
 * pytest writes `classname="tests.test_x.TestC" name="test_y[param]"` for
 * `tests/test_x.py::TestC::test_y[param]`; module parts are the dotted components before
 * the first one that starts with an upper-case letter (a class). When the `file`
 * attribute is present (junit_family=xunit1) it gives the path unambiguously.
 */
export function junitNodeId(classname: string, name: string, file?: string): string {
  if (classname === '') {
    // pytest's collection errors: classname="" name="tests.test_b" for tests/test_b.py
    if (name.includes('/') || name.endsWith('.py')) return name;
    return `${name.replace(/\./g, '/')}.py`;
  }
  const parts = classname.split('.');
  let path: string;
  let classes: string[];
  // Items collected from non-Python files keep their extension as the last dotted part:
  // `tests/examplefiles/a/b.abnf::` (pygments) -> classname "tests.examplefiles.a.b.abnf",
  // name "" ; `docs/index.rst::index.rst` (doctest) -> "docs.index.rst".
  const last = parts[parts.length - 1];
  if (!file && parts.length > 1 && (name === '' || DATA_EXTENSIONS.has(last))) {
    return `${parts.slice(0, -1).join('/')}.${last}::${name}`;
  }
  if (file) {
    path = file.replace(/\\/g, '/');
    const modParts = path.replace(/\.py$/, '').split('/').length;
    classes = parts.slice(modParts);
  } else {
    let k = parts.findIndex((p, idx) => idx > 0 && /^[A-Z]/.test(p));
    if (k < 0) k = parts.length;
    path = `${parts.slice(0, k).join('/')}.py`;
    classes = parts.slice(k);
  }
  return [path, ...classes, name].join('::');
}

/**
 * Parse a JUnit XML report (pytest `--junitxml`, also unittest-xml-reporting style)
 * into `{ node id: status }`. A `<failure>` child is FAILED, `<error>` ERROR (collection
 * errors become an ERROR for the file id), `<skipped type="pytest.xfail">` XFAIL, any
 * other `<skipped>` SKIPPED, no child PASSED. Throws JUnitParseError on input that has
 * no `<testsuite>`/`<testsuites>` element.
 */
export function parseJUnitXml(xml: string): Record<string, TestStatus> {
  const out: Record<string, TestStatus> = {};
  let sawSuite = false;
  let current: { id: string; statuses: TestStatus[] } | null = null;
  let depthInCase = 0;
  const finish = () => {
    if (!current) return;
    if (current.statuses.length === 0) mergeStatus(out, current.id, 'PASSED');
    for (const s of current.statuses) mergeStatus(out, current.id, s);
    current = null;
  };
  for (const { element, kind } of tags(xml)) {
    const { name, attrs } = element;
    if (name === 'testsuite' || name === 'testsuites') {
      sawSuite = true;
      continue;
    }
    if (name === 'testcase') {
      if (kind === 'close') {
        finish();
        continue;
      }
      finish();
      const id = junitNodeId(attrs.classname ?? '', attrs.name ?? '', attrs.file);
      current = { id, statuses: [] };
      depthInCase = 0;
      if (kind === 'empty') finish();
      continue;
    }
    if (!current) continue;
    // only direct children of <testcase> carry the outcome
    if (kind === 'close') {
      depthInCase = Math.max(0, depthInCase - 1);
      continue;
    }
    if (depthInCase === 0) {
      if (name === 'failure') current.statuses.push('FAILED');
      else if (name === 'error') current.statuses.push('ERROR');
      else if (name === 'skipped') current.statuses.push(attrs.type === 'pytest.xfail' ? 'XFAIL' : 'SKIPPED');
    }
    if (kind === 'open') depthInCase++;
  }
  finish();
  if (!sawSuite) {
    const head = xml.slice(0, 80).replace(/\s+/g, ' ');
    throw new JUnitParseError(
      `not a JUnit XML report (no <testsuite> element) starting with "${head}": pass the file written by pytest --junitxml=PATH`,
    );
  }
  return out;
}
