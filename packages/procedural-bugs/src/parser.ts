/**
 * Python parsing with tree-sitter: the wasm build (web-tree-sitter) always works; the native
 * `tree-sitter` binding is used when it loads. Either way the tree is converted once into
 * plain JS objects (`PNode`) so entity analysis and modifiers are backend-independent and
 * do not cross the wasm boundary per node access. Indices are UTF-16 string indices.
 */
import { createRequire } from 'node:module';

/** Which tree-sitter backend parsed a file. */
export type ParserKind = 'wasm' | 'native';

/** A syntax node copied out of tree-sitter into plain JS. */
export interface PNode {
  type: string;
  named: boolean;
  field: string | null;
  start: number;
  end: number;
  startRow: number;
  endRow: number;
  missing: boolean;
  parent: PNode | null;
  children: PNode[];
}

/** A loaded parser: turns source text into a `PNode` tree. */
export interface PythonParser {
  readonly kind: ParserKind;
  parse(text: string): PNode;
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
  startPosition: { row: number };
  endPosition: { row: number };
  gotoFirstChild(): boolean;
  gotoNextSibling(): boolean;
  gotoParent(): boolean;
}

function convert(cursor: CursorLike): PNode {
  const mk = (parent: PNode | null): PNode => ({
    type: cursor.nodeType,
    named: cursor.nodeIsNamed,
    field: cursor.currentFieldName ?? null,
    start: cursor.startIndex,
    end: cursor.endIndex,
    startRow: cursor.startPosition.row,
    endRow: cursor.endPosition.row,
    missing: cursor.nodeIsMissing,
    parent,
    children: [],
  });
  const root = mk(null);
  // Iterative depth-first copy: deep expressions must not blow the JS stack.
  let current = root;
  if (!cursor.gotoFirstChild()) return root;
  for (;;) {
    const node = mk(current);
    current.children.push(node);
    if (cursor.gotoFirstChild()) {
      current = node;
      continue;
    }
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent() || current === root) return root;
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
  return {
    kind: 'wasm',
    parse(text: string): PNode {
      const tree = parser.parse(text);
      if (!tree) throw new Error('tree-sitter (wasm) returned no tree');
      const cursor = tree.walk();
      try {
        return convert(cursor as unknown as CursorLike);
      } finally {
        cursor.delete();
        tree.delete();
      }
    },
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
    return {
      kind: 'native',
      parse(text: string): PNode {
        // The binding reads input in chunks; a buffer larger than the text avoids many callbacks.
        return convert(parser.parse(text, undefined, { bufferSize: Math.max(32 * 1024, text.length * 2 + 16) }).walk());
      },
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

/** Visits every node of the subtree in post-order (children before parents, left to right). */
export function postOrder(node: PNode, visit: (n: PNode) => void): void {
  for (const c of node.children) postOrder(c, visit);
  visit(node);
}

/** Visits every node of the subtree in pre-order. */
export function preOrder(node: PNode, visit: (n: PNode) => boolean | void): void {
  if (visit(node) === false) return;
  for (const c of node.children) preOrder(c, visit);
}
