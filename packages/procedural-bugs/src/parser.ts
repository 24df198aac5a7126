/**
 * Python parsing with tree-sitter: the wasm build (web-tree-sitter) always works; the native
 * `tree-sitter` binding is used when it loads. Either way the tree is converted once into
 * plain JS objects (`PNode`) so entity analysis and modifiers are backend-independent and
 * do not cross the wasm boundary per node access. Indices are UTF-16 string indices.
 */
import { createRequire } from 'node:module';

/** Which tree-sitter backend parsed a file. */
export type ParserKind = 'wasm' | 'native';

/** Line index of a parsed text: rows are computed on demand from offsets (cheaper than asking tree-sitter per node). */
class LineIndex {
  private starts: Int32Array | null = null;
  constructor(private readonly text: string) {}
  row(index: number): number {
    if (!this.starts) {
      const s: number[] = [0];
      for (let i = this.text.indexOf('\n'); i >= 0; i = this.text.indexOf('\n', i + 1)) s.push(i + 1);
      this.starts = Int32Array.from(s);
    }
    const a = this.starts;
    let lo = 0;
    let hi = a.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (a[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** A syntax node copied out of tree-sitter into plain JS. */
export class PNode {
  children: PNode[] = [];
  constructor(
    readonly type: string,
    readonly named: boolean,
    readonly field: string | null,
    readonly start: number,
    readonly end: number,
    readonly missing: boolean,
    readonly parent: PNode | null,
    private readonly lines: LineIndex,
  ) {}
  /** 0-based row of the first character. */
  get startRow(): number {
    return this.lines.row(this.start);
  }
  /** 0-based row of the last character (tree-sitter's end row). */
  get endRow(): number {
    return this.lines.row(this.end);
  }
}

/** A loaded parser: turns source text into a `PNode` tree. */
export interface PythonParser {
  readonly kind: ParserKind;
  parse(text: string): PNode;
  /** Parses into a `PNode` tree plus whether the whole tree has a syntax error (module-level code included). */
  parseTree(text: string): { root: PNode; hasError: boolean };
  /** Parses and only reports whether the tree has an ERROR or MISSING node (no conversion). */
  hasError(text: string): boolean;
}

interface CursorLike {
  nodeType: string;
  nodeIsNamed: boolean;
  nodeIsMissing: boolean;
  currentFieldName: string | null | undefined;
  startIndex: number;
  endIndex: number;
  gotoFirstChild(): boolean;
  gotoNextSibling(): boolean;
  gotoParent(): boolean;
}

/** Leaves no modifier or analysis looks at: not copied (large string-heavy files convert much faster). */
const SKIP_NAMED = new Set(['string_start', 'string_content', 'string_end', 'escape_sequence', 'escape_interpolation']);

/**
 * Statements that can never contain a `def` or `class`: outside any definition they are not
 * copied at all (module-level data tables are often most of a file). Syntax errors are still
 * seen: the file-level error flag comes from tree-sitter's root node.
 */
const SIMPLE_STATEMENTS = new Set([
  'expression_statement',
  'import_statement',
  'import_from_statement',
  'future_import_statement',
  'assert_statement',
  'return_statement',
  'delete_statement',
  'raise_statement',
  'pass_statement',
  'break_statement',
  'continue_statement',
  'global_statement',
  'nonlocal_statement',
  'exec_statement',
  'print_statement',
  'type_alias_statement',
]);
const DEFINITIONS = new Set(['function_definition', 'class_definition']);

function convert(cursor: CursorLike, text: string): PNode {
  const lines = new LineIndex(text);
  const root = new PNode(cursor.nodeType, cursor.nodeIsNamed, null, cursor.startIndex, cursor.endIndex, cursor.nodeIsMissing, null, lines);
  // Iterative depth-first copy: deep expressions must not blow the JS stack.
  let current = root;
  // Number of enclosing function/class definitions of `current` (inclusive).
  let defDepth = 0;
  if (!cursor.gotoFirstChild()) return root;
  for (;;) {
    const type = cursor.nodeType;
    const named = cursor.nodeIsNamed;
    const fieldName = cursor.currentFieldName ?? null;
    const missing = cursor.nodeIsMissing;
    // Anonymous tokens matter only with a field name (operators), as ':' (slices) or when MISSING.
    const keep = named
      ? !SKIP_NAMED.has(type) && (defDepth > 0 || !SIMPLE_STATEMENTS.has(type))
      : fieldName !== null || missing || type === ':';
    if (keep) {
      const node = new PNode(type, named, fieldName, cursor.startIndex, cursor.endIndex, missing, current, lines);
      current.children.push(node);
      if (cursor.gotoFirstChild()) {
        current = node;
        if (DEFINITIONS.has(type)) defDepth++;
        continue;
      }
    }
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent() || current === root) return root;
      if (DEFINITIONS.has(current.type)) defDepth--;
      current = current.parent as PNode;
    }
  }
}

const require = createRequire(import.meta.url);
let wasmParser: Promise<PythonParser> | undefined;
let nativeParser: PythonParser | null | undefined;

async function loadWasm(): Promise<PythonParser> {
  const { Parser, Language } = await import('web-tree-sitter');
  await Parser.init();
  const language = await Language.load(require.resolve('tree-sitter-python/tree-sitter-python.wasm'));
  const parser = new Parser();
  parser.setLanguage(language);
  const parseTree = (text: string) => {
    const tree = parser.parse(text);
    if (!tree) throw new Error('tree-sitter (wasm) returned no tree');
    const cursor = tree.walk();
    try {
      return { root: convert(cursor as unknown as CursorLike, text), hasError: tree.rootNode.hasError };
    } finally {
      cursor.delete();
      tree.delete();
    }
  };
  return {
    kind: 'wasm',
    parseTree,
    parse: (text: string) => parseTree(text).root,
    hasError(text: string): boolean {
      const tree = parser.parse(text);
      if (!tree) throw new Error('tree-sitter (wasm) returned no tree');
      try {
        return tree.rootNode.hasError;
      } finally {
        tree.delete();
      }
    },
  };
}

function loadNative(): PythonParser | null {
  try {
    const NativeParser = require('tree-sitter') as new () => {
      setLanguage(l: unknown): void;
      parse(t: string, old?: unknown, opts?: { bufferSize?: number }): { walk(): CursorLike; rootNode: { hasError: boolean } };
    };
    const language = require('tree-sitter-python') as unknown;
    const parser = new NativeParser();
    parser.setLanguage(language);
    parser.parse('x = 1\n');
    // The binding reads input in chunks; a buffer larger than the text avoids many callbacks.
    const parseTree = (text: string) => {
      const tree = parser.parse(text, undefined, { bufferSize: Math.max(32 * 1024, text.length * 2 + 16) });
      return { root: convert(tree.walk(), text), hasError: tree.rootNode.hasError };
    };
    return {
      kind: 'native',
      parseTree,
      parse: (text: string) => parseTree(text).root,
      hasError(text: string): boolean {
        return parser.parse(text, undefined, { bufferSize: Math.max(32 * 1024, text.length * 2 + 16) }).rootNode.hasError;
      },
    };
  } catch {
    return null;
  }
}

/** True when the native `tree-sitter` binding (optional dependency) loads on this machine. */
export function nativeAvailable(): boolean {
  if (nativeParser === undefined) nativeParser = loadNative();
  return nativeParser !== null;
}

/**
 * Loads a Python parser once per thread. `auto` picks native when it loads, else wasm;
 * `native` throws when the binding is not installed.
 */
export async function loadParser(kind: ParserKind | 'auto' = 'auto'): Promise<PythonParser> {
  if (kind === 'native' || kind === 'auto') {
    if (nativeAvailable()) return nativeParser as PythonParser;
    if (kind === 'native') {
      throw new Error(
        "native tree-sitter binding did not load: install the optional dependency 'tree-sitter' (npm i tree-sitter tree-sitter-python) or use --parser wasm",
      );
    }
  }
  wasmParser ??= loadWasm();
  return wasmParser;
}

/** The node's child with the given field name, if any. */
export function field(node: PNode, name: string): PNode | undefined {
  for (const c of node.children) if (c.field === name) return c;
  return undefined;
}

/** Named children, without comments. */
export function namedKids(node: PNode): PNode[] {
  return node.children.filter((c) => c.named && c.type !== 'comment');
}

/** True when the subtree contains an ERROR or MISSING node. */
export function hasError(node: PNode): boolean {
  const stack = [node];
  while (stack.length) {
    const n = stack.pop() as PNode;
    if (n.type === 'ERROR' || n.missing) return true;
    for (const c of n.children) stack.push(c);
  }
  return false;
}

/** Visits every node of the subtree in post-order (children before parents, left to right). Iterative: deep expressions are fine. */
export function postOrder(node: PNode, visit: (n: PNode) => void): void {
  const nodes: PNode[] = [node];
  const next: number[] = [0];
  while (nodes.length) {
    const top = nodes.length - 1;
    const n = nodes[top];
    const i = next[top];
    if (i < n.children.length) {
      next[top] = i + 1;
      nodes.push(n.children[i]);
      next.push(0);
    } else {
      nodes.pop();
      next.pop();
      visit(n);
    }
  }
}

/** Visits every node of the subtree in pre-order; returning false skips a node's children. Iterative. */
export function preOrder(node: PNode, visit: (n: PNode) => boolean | void): void {
  const stack: PNode[] = [node];
  while (stack.length) {
    const n = stack.pop() as PNode;
    if (visit(n) === false) continue;
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
  }
}
