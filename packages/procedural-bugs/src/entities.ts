/**
 * Entity extraction: every function (sync, async, nested, methods) and class in a parsed
 * Python file, with qualified name, 1-based line range, indentation, signature, tags and
 * SWE-smith's complexity measure.
 */
import type { PNode } from './parser.js';
import { field, hasError, namedKids, preOrder } from './parser.js';

/** Tags an entity can carry (SWE-smith's `CodeProperty` names plus a few of ours). */
export const TAGS = [
  'is_function',
  'is_class',
  'is_async',
  'has_loop',
  'has_if',
  'has_if_else',
  'has_exception',
  'has_list_indexing',
  'has_function_call',
  'has_return',
  'has_return_value',
  'has_list_comprehension',
  'has_import',
  'has_assignment',
  'has_lambda',
  'has_arithmetic',
  'has_decorator',
  'has_wrapper',
  'has_parent',
  'has_binary_op',
  'has_bool_op',
  'has_unary_op',
  'has_off_by_one',
  'has_comparison',
  'has_condition',
  'has_break_continue',
  'has_bool_or_01_literal',
  'has_range_or_slice',
] as const;
/** One entity tag. */
export type Tag = (typeof TAGS)[number];

/** A function, method or class found in a file. */
export interface Entity {
  /** Repository-relative POSIX path. */
  file: string;
  /** Bare name (`method`). */
  name: string;
  /** Dotted path through enclosing classes and functions (`Class.method`). */
  qualified_name: string;
  kind: 'function' | 'method' | 'class';
  async: boolean;
  /** 1-based line of the `def`/`class` keyword (decorators excluded, as in SWE-smith). */
  line_start: number;
  line_end: number;
  /** Leading whitespace of the definition line. */
  indent: string;
  /** Indentation depth in levels (0 = module level). */
  indent_level: number;
  /** Header without the trailing colon, whitespace collapsed: `def f(a, b) -> int`. */
  signature: string;
  tags: Tag[];
  complexity: number;
}

/** An entity plus the syntax node it came from (internal to a parse). */
export interface EntityNode {
  entity: Entity;
  /** The function_definition / class_definition node. */
  node: PNode;
  /** The outermost node for the definition: decorated_definition when decorated, else `node`. */
  outer: PNode;
}

const FUNC = 'function_definition';
const CLASS = 'class_definition';

/** The statement operators counted by `comparison_operator` nodes. */
export function comparisonOperators(node: PNode): PNode[] {
  return node.children.filter((c) => c.field === 'operators');
}

/** Positional base classes of a class definition (keyword arguments such as `metaclass=` excluded). */
export function classBases(node: PNode): PNode[] {
  const args = field(node, 'superclasses');
  if (!args) return [];
  return namedKids(args).filter((c) => c.type !== 'keyword_argument' && c.type !== 'dictionary_splat');
}

function isPlainAssign(n: PNode): boolean {
  return n.type === 'assignment' && !!field(n, 'right') && !field(n, 'type');
}

/** SWE-smith's tags of a definition node, computed over its whole subtree. */
export function computeTags(node: PNode, text: string): Set<Tag> {
  const tags = new Set<Tag>();
  if (node.type === FUNC) tags.add('is_function');
  if (node.type === CLASS) tags.add('is_class');
  if (node.type === FUNC && text.startsWith('async', node.start)) tags.add('is_async');
  if (node.parent?.type === 'decorated_definition') tags.add('has_decorator');
  preOrder(node, (n) => {
    switch (n.type) {
      case 'for_statement':
      case 'while_statement':
        tags.add('has_loop');
        if (n.type === 'while_statement') tags.add('has_condition');
        break;
      case 'if_statement':
        tags.add('has_if');
        tags.add('has_condition');
        if (n.children.some((c) => c.field === 'alternative')) tags.add('has_if_else');
        break;
      case 'try_statement':
        tags.add('has_exception');
        tags.add('has_wrapper');
        break;
      case 'with_statement':
        tags.add('has_wrapper');
        break;
      case 'subscript':
        tags.add('has_list_indexing');
        if (n.children.some((c) => c.type === 'slice')) tags.add('has_range_or_slice');
        break;
      case 'call': {
        tags.add('has_function_call');
        const fn = field(n, 'function');
        if (fn && fn.type === 'identifier' && text.slice(fn.start, fn.end) === 'range') tags.add('has_range_or_slice');
        break;
      }
      case 'return_statement':
        tags.add('has_return');
        if (namedKids(n).length > 0) tags.add('has_return_value');
        break;
      case 'list_comprehension':
        tags.add('has_list_comprehension');
        break;
      case 'import_statement':
      case 'import_from_statement':
        tags.add('has_import');
        break;
      case 'assignment':
        if (isPlainAssign(n)) tags.add('has_assignment');
        break;
      case 'lambda':
        tags.add('has_lambda');
        break;
      case 'binary_operator':
        tags.add('has_binary_op');
        tags.add('has_arithmetic');
        break;
      case 'unary_operator':
      case 'not_operator':
        tags.add('has_unary_op');
        tags.add('has_arithmetic');
        break;
      case 'boolean_operator':
        tags.add('has_bool_op');
        break;
      case 'comparison_operator': {
        tags.add('has_comparison');
        const ops = comparisonOperators(n);
        if (ops.length === 1 && ['<', '>', '<=', '>='].includes(ops[0].type)) tags.add('has_off_by_one');
        break;
      }
      case 'break_statement':
      case 'continue_statement':
        tags.add('has_break_continue');
        break;
      case 'true':
      case 'false':
        tags.add('has_bool_or_01_literal');
        break;
      case 'integer': {
        const v = text.slice(n.start, n.end);
        if (v === '0' || v === '1') tags.add('has_bool_or_01_literal');
        break;
      }
      case CLASS:
        if (classBases(n).length > 0) tags.add('has_parent');
        break;
      case FUNC:
        if (n !== node && n.parent?.type === 'decorated_definition') tags.add('has_decorator');
        break;
    }
  });
  return tags;
}

/**
 * SWE-smith's Python complexity: 1 + if/elif/for/while + (boolean operands − 1) + except
 * handlers + comparison operators, over the whole subtree.
 */
export function computeComplexity(node: PNode): number {
  let c = 1;
  preOrder(node, (n) => {
    switch (n.type) {
      case 'if_statement':
      case 'elif_clause':
      case 'for_statement':
      case 'while_statement':
      case 'boolean_operator': // `a and b and c` is two nested nodes: operands − 1 in total
        c += 1;
        break;
      case 'try_statement':
        c += n.children.filter((k) => k.type === 'except_clause' || k.type === 'except_group_clause').length;
        break;
      case 'comparison_operator':
        c += comparisonOperators(n).length;
        break;
    }
  });
  return c;
}

/** Offset of the first character of the line containing `index`. */
export function lineStart(text: string, index: number): number {
  // lastIndexOf clamps a negative start to 0 and would find a '\n' at offset 0.
  return index <= 0 ? 0 : text.lastIndexOf('\n', index - 1) + 1;
}

/** Offset just past the newline ending the line containing `index` (or the text end). */
export function lineEndIncl(text: string, index: number): number {
  const nl = text.indexOf('\n', index);
  return nl < 0 ? text.length : nl + 1;
}

function signatureOf(node: PNode, text: string): string {
  const body = field(node, 'body');
  const end = body ? body.start : node.end;
  let header = text.slice(node.start, end);
  const colon = header.lastIndexOf(':');
  if (colon >= 0) header = header.slice(0, colon);
  return header.replace(/\s+/g, ' ').trim();
}

/** Node types a `def`/`class` can sit in (expressions never hold one, so they are not walked). */
const CAN_HOLD_DEFINITIONS = /^(block|module|ERROR|decorated_definition|.*_statement|.*_clause)$/;

/** Result of extracting entities from one parsed file. */
export interface FileEntities {
  entities: EntityNode[];
  /** Definitions skipped because their subtree has a syntax error. */
  broken: { name: string; line: number }[];
}

/** Extracts every function and class of a parsed file, in source order. */
export function extractFileEntities(root: PNode, text: string, file: string): FileEntities {
  const entities: EntityNode[] = [];
  const broken: { name: string; line: number }[] = [];
  const walk = (n: PNode, scope: string[], inClass: boolean, level: number): void => {
    for (const c of n.children) {
      if (c.type === FUNC || c.type === CLASS) {
        const nameNode = field(c, 'name');
        const name = nameNode ? text.slice(nameNode.start, nameNode.end) : '<anonymous>';
        const ls = lineStart(text, c.start);
        const outer = c.parent?.type === 'decorated_definition' ? c.parent : c;
        if (hasError(c) || !nameNode) {
          broken.push({ name: [...scope, name].join('.'), line: c.startRow + 1 });
        } else {
          const indent = /^[ \t]*/.exec(text.slice(ls, c.start))?.[0] ?? '';
          const tags = computeTags(c, text);
          entities.push({
            node: c,
            outer,
            entity: {
              file,
              name,
              qualified_name: [...scope, name].join('.'),
              kind: c.type === CLASS ? 'class' : inClass ? 'method' : 'function',
              async: tags.has('is_async'),
              line_start: c.startRow + 1,
              line_end: c.endRow + 1,
              indent,
              indent_level: level,
              signature: signatureOf(c, text),
              tags: TAGS.filter((t) => tags.has(t)),
              complexity: computeComplexity(c),
            },
          });
        }
        walk(c, [...scope, name], c.type === CLASS, level + 1);
      } else if (CAN_HOLD_DEFINITIONS.test(c.type)) {
        walk(c, scope, inClass && (c.type === 'block' || c.type === 'decorated_definition'), level);
      }
    }
  };
  walk(root, [], false, 0);
  return { entities, broken };
}

/** Entity filters: tags that must all be present and complexity bounds. */
export interface EntityFilter {
  tags?: string[];
  minComplexity?: number;
  maxComplexity?: number;
  kinds?: Entity['kind'][];
}

/** True when an entity passes the filter. */
export function matchesFilter(e: Entity, f: EntityFilter): boolean {
  if (f.tags && !f.tags.every((t) => (e.tags as string[]).includes(t))) return false;
  if (f.minComplexity !== undefined && e.complexity < f.minComplexity) return false;
  if (f.maxComplexity !== undefined && e.complexity > f.maxComplexity) return false;
  if (f.kinds && !f.kinds.includes(e.kind)) return false;
  return true;
}
