/**
 * The procedural modifiers: SWE-smith's 13 Python modifiers (same strategy names, conditions,
 * complexity bounds and default per-node likelihood) plus classic mutation operators. Each
 * walks the entity's subtree bottom-up, flips a seeded coin per candidate node, and records
 * range edits on the original text.
 */
import type { PNode } from './parser.js';
import { field, namedKids, postOrder } from './parser.js';
import type { Tag } from './entities.js';
import { classBases, comparisonOperators, lineEndIncl, lineStart } from './entities.js';
import type { EditSet, Edit } from './edits.js';
import { planStatementRemovals } from './edits.js';
import type { Rng } from './rng.js';

/** What a modifier sees while mutating one entity. */
export interface ModifierContext {
  text: string;
  /** The entity's function_definition / class_definition node. */
  node: PNode;
  rng: Rng;
  edits: EditSet;
  /** True with probability `likelihood` (one call per candidate node). */
  flip(): boolean;
}

/** Modifier families. */
export type ModifierFamily = 'class' | 'control' | 'remove' | 'operator' | 'extra';

/** A procedural modifier. */
export interface Modifier {
  name: string;
  family: ModifierFamily;
  description: string;
  /** One-sentence hint of what is wrong (SWE-smith's `explanation`), written to metadata. */
  explanation: string;
  /** Tags the entity must carry. */
  conditions: Tag[];
  minComplexity: number;
  maxComplexity: number;
  /** Default per-node probability of mutating. */
  likelihood: number;
  /** Also in SWE-smith's `PM_TECHNIQUES`. */
  swesmith: boolean;
  apply(ctx: ModifierContext): void;
}

const INF = Number.POSITIVE_INFINITY;

function unwrapParens(n: PNode): PNode {
  let cur = n;
  while (cur.type === 'parenthesized_expression') {
    const kids = namedKids(cur);
    if (kids.length !== 1) break;
    cur = kids[0];
  }
  return cur;
}

function collect(root: PNode, types: string[]): PNode[] {
  const out: PNode[] = [];
  postOrder(root, (n) => {
    if (types.includes(n.type)) out.push(n);
  });
  return out;
}

// ---------- class modifiers ----------

function classRmBase(ctx: ModifierContext): void {
  for (const cls of collect(ctx.node, ['class_definition'])) {
    const bases = classBases(cls);
    if (bases.length === 0 || !ctx.flip()) continue;
    const args = field(cls, 'superclasses') as PNode;
    const items = namedKids(args);
    const victims = bases.length === 1 ? bases : [bases[ctx.rng.int(bases.length)]];
    if (victims.length === items.length) {
      ctx.edits.replace([{ start: args.start, end: args.end, text: '' }]);
      continue;
    }
    const v = victims[0];
    const i = items.indexOf(v);
    const edit: Edit =
      i + 1 < items.length ? { start: v.start, end: items[i + 1].start, text: '' } : { start: items[i - 1].end, end: v.end, text: '' };
    ctx.edits.replace([edit]);
  }
}

function methodDef(stmt: PNode): PNode | undefined {
  if (stmt.type === 'function_definition') return stmt;
  if (stmt.type === 'decorated_definition') {
    const d = field(stmt, 'definition');
    if (d?.type === 'function_definition') return d;
  }
  return undefined;
}

function nameOf(text: string, def: PNode): string {
  const n = field(def, 'name');
  return n ? text.slice(n.start, n.end) : '';
}

function isStoreTarget(n: PNode): boolean {
  const p = n.parent;
  if (!p) return false;
  if ((p.type === 'assignment' || p.type === 'augmented_assignment' || p.type === 'for_statement') && n.field === 'left') return true;
  return ['delete_statement', 'pattern_list', 'tuple_pattern', 'list_pattern', 'as_pattern_target'].includes(p.type);
}

function classRmFuncs(ctx: ModifierContext): void {
  const { text } = ctx;
  for (const cls of collect(ctx.node, ['class_definition'])) {
    const body = field(cls, 'body');
    if (!body) continue;
    const removed: PNode[] = [];
    const names = new Set<string>();
    for (const stmt of namedKids(body)) {
      const def = methodDef(stmt);
      if (def && ctx.flip()) {
        removed.push(stmt);
        names.add(nameOf(text, def));
      }
    }
    if (removed.length === 0) continue;
    const edits = planStatementRemovals(text, removed);
    if (edits.length === 0 || !ctx.edits.replace(edits)) continue;
    // The methods that were really removed (a removal can be refused when it shares a line).
    const gone = new Set(
      removed.filter((s) => edits.some((e) => e.start <= s.start && e.end >= s.end)).map((s) => nameOf(text, methodDef(s) as PNode)),
    );
    const owners = new Set(['self', 'cls', nameOf(text, cls)]);
    const isRef = (attr: PNode): boolean => {
      if (attr.type !== 'attribute') return false;
      const obj = field(attr, 'object');
      const prop = field(attr, 'attribute');
      return !!obj && !!prop && obj.type === 'identifier' && owners.has(text.slice(obj.start, obj.end)) && gone.has(text.slice(prop.start, prop.end));
    };
    // Calls to removed methods become `None` (still parses); bare reads too.
    postOrder(body, (n) => {
      if (n.type === 'call') {
        const fn = field(n, 'function');
        if (fn && isRef(fn)) ctx.edits.replace([{ start: n.start, end: n.end, text: 'None' }]);
      } else if (isRef(n) && !(n.parent?.type === 'call' && n.field === 'function') && !isStoreTarget(n)) {
        ctx.edits.replace([{ start: n.start, end: n.end, text: 'None' }]);
      }
    });
  }
}

interface BodyUnits {
  start: number;
  end: number;
  units: { text: string; stmts: PNode[] }[];
}

/** Splits a block into line units (a statement with the comment/blank lines above it). */
function bodyUnits(text: string, block: PNode, header: PNode): BodyUnits | null {
  const stmts = namedKids(block);
  if (stmts.length < 2 || stmts[0].startRow === header.startRow) return null;
  const groups: PNode[][] = [];
  for (const s of stmts) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1].endRow >= s.startRow) last.push(s);
    else groups.push([s]);
  }
  if (groups.length < 2) return null;
  const start = lineStart(text, stmts[0].start);
  const end = lineEndIncl(text, stmts[stmts.length - 1].end);
  let pos = start;
  const units = groups.map((g) => {
    const uEnd = lineEndIncl(text, g[g.length - 1].end);
    const u = { text: text.slice(pos, uEnd), stmts: g };
    pos = uEnd;
    return u;
  });
  return { start, end, units };
}

function joinUnits(region: string, parts: string[]): string {
  const eol = /\r?\n/.exec(region)?.[0] ?? '\n';
  let out = parts.map((p) => (p.endsWith('\n') ? p : p + eol)).join('');
  if (!region.endsWith('\n')) out = out.slice(0, out.length - eol.length);
  return out;
}

function classShuffleFuncs(ctx: ModifierContext): void {
  for (const cls of collect(ctx.node, ['class_definition'])) {
    const body = field(cls, 'body');
    if (!body || !ctx.flip()) continue;
    const split = bodyUnits(ctx.text, body, cls);
    if (!split) continue;
    const isMethod = (u: { stmts: PNode[] }) => u.stmts.length === 1 && !!methodDef(u.stmts[0]);
    const methods = split.units.filter(isMethod);
    if (methods.length === 0) continue;
    const order = [...split.units.filter((u) => !isMethod(u)), ...ctx.rng.shuffle([...methods])];
    const renderUnit = (u: (typeof split.units)[number]) => {
      const uStart = split.start + split.units.slice(0, split.units.indexOf(u)).reduce((a, x) => a + x.text.length, 0);
      return ctx.edits.render(uStart, uStart + u.text.length);
    };
    ctx.edits.replace([{ start: split.start, end: split.end, text: joinUnits(ctx.text.slice(split.start, split.end), order.map(renderUnit)) }]);
  }
}

// ---------- control flow ----------

function swapBlocks(ctx: ModifierContext, a: PNode, b: PNode): void {
  const ta = ctx.edits.node(a);
  const tb = ctx.edits.node(b);
  ctx.edits.replace([
    { start: a.start, end: a.end, text: tb },
    { start: b.start, end: b.end, text: ta },
  ]);
}

function ctrlInvertIf(ctx: ModifierContext): void {
  for (const n of collect(ctx.node, ['if_statement', 'elif_clause'])) {
    if (!ctx.flip()) continue;
    const ifStmt = n.type === 'if_statement' ? n : (n.parent as PNode);
    const alts = ifStmt.children.filter((c) => c.field === 'alternative');
    const elseClause = alts.find((c) => c.type === 'else_clause');
    if (!elseClause) continue;
    const elifs = alts.filter((c) => c.type === 'elif_clause');
    // Like SWE-smith: swap a body with a directly following `else`, never across an `elif`.
    if (n.type === 'if_statement' ? elifs.length > 0 : elifs[elifs.length - 1] !== n) continue;
    const body = field(n, 'consequence');
    const elseBody = field(elseClause, 'body');
    if (body && elseBody) swapBlocks(ctx, body, elseBody);
  }
}

function ctrlShuffle(ctx: ModifierContext): void {
  for (const fn of collect(ctx.node, ['function_definition'])) {
    if (!ctx.flip()) continue;
    const body = field(fn, 'body');
    if (!body) continue;
    const split = bodyUnits(ctx.text, body, fn);
    if (!split) continue;
    let pos = split.start;
    const rendered = split.units.map((u) => {
      const t = ctx.edits.render(pos, pos + u.text.length);
      pos += u.text.length;
      return t;
    });
    ctx.rng.shuffle(rendered);
    ctx.edits.replace([{ start: split.start, end: split.end, text: joinUnits(ctx.text.slice(split.start, split.end), rendered) }]);
  }
}

// ---------- removals ----------

function removeStatements(ctx: ModifierContext, pick: (n: PNode) => boolean): void {
  const chosen: PNode[] = [];
  const truncations: Edit[] = [];
  postOrder(ctx.node, (n) => {
    if (n === ctx.node || !pick(n)) return;
    if (!ctx.flip()) return;
    if (n.type === 'elif_clause') {
      // Removing an `elif` drops it and the rest of the chain (libcst sets `orelse` to None).
      const ifStmt = n.parent as PNode;
      truncations.push({ start: lineStart(ctx.text, n.start), end: lineEndIncl(ctx.text, ifStmt.end), text: '' });
    } else if (n.parent?.type === 'block') {
      chosen.push(n);
    }
  });
  const edits = [...planStatementRemovals(ctx.text, chosen), ...truncations];
  // Outer edits first so that inner ones they contain are absorbed.
  edits.sort((a, b) => b.end - b.start - (a.end - a.start));
  for (const e of edits) ctx.edits.replace([e]);
}

function isAssignStatement(n: PNode): boolean {
  if (n.type !== 'expression_statement') return false;
  const kids = namedKids(n);
  if (kids.length !== 1) return false;
  const k = kids[0];
  return k.type === 'augmented_assignment' || (k.type === 'assignment' && !!field(k, 'right') && !field(k, 'type'));
}

// ---------- operators ----------

const OP_GROUPS = [['+', '-'], ['*', '/', '//', '%'], ['&', '|', '^'], ['<<', '>>'], ['**', '*']];

function opChange(ctx: ModifierContext): void {
  for (const n of collect(ctx.node, ['binary_operator'])) {
    if (!ctx.flip()) continue;
    const op = field(n, 'operator');
    if (!op) continue;
    const group = OP_GROUPS.find((g) => g.includes(op.type));
    if (!group) continue;
    const next = ctx.rng.choice(group);
    if (next !== op.type) ctx.edits.replace([{ start: op.start, end: op.end, text: next }]);
  }
}

function opSwap(ctx: ModifierContext): void {
  for (const n of collect(ctx.node, ['binary_operator', 'boolean_operator'])) {
    if (!ctx.flip()) continue;
    const l = field(n, 'left');
    const r = field(n, 'right');
    if (l && r) swapBlocks(ctx, l, r);
  }
}

function opBreakChains(ctx: ModifierContext): void {
  for (const n of collect(ctx.node, ['binary_operator'])) {
    if (!ctx.flip()) continue;
    const l = field(n, 'left');
    const r = field(n, 'right');
    const ul = l && unwrapParens(l);
    const ur = r && unwrapParens(r);
    if (l && ul?.type === 'binary_operator') {
      const keep = field(ul, 'left');
      if (keep) ctx.edits.replace([{ start: l.start, end: l.end, text: ctx.edits.node(keep) }]);
    } else if (r && ur?.type === 'binary_operator') {
      const keep = field(ur, 'right');
      if (keep) ctx.edits.replace([{ start: r.start, end: r.end, text: ctx.edits.node(keep) }]);
    }
  }
}

/** Parses a Python integer literal; undefined for imaginary/long/odd forms. */
export function parseIntLiteral(raw: string): bigint | undefined {
  const s = raw.replace(/_/g, '');
  try {
    if (/^0[xX][0-9a-fA-F]+$/.test(s) || /^0[oO][0-7]+$/.test(s) || /^0[bB][01]+$/.test(s)) return BigInt(s);
    if (/^(0+|[1-9][0-9]*)$/.test(s)) return BigInt(s);
  } catch {
    return undefined;
  }
  return undefined;
}

function opChangeConst(ctx: ModifierContext): void {
  for (const n of collect(ctx.node, ['binary_operator'])) {
    if (!ctx.flip()) continue;
    for (const side of [field(n, 'left'), field(n, 'right')]) {
      if (side?.type !== 'integer') continue;
      const v = parseIntLiteral(ctx.text.slice(side.start, side.end));
      if (v === undefined) continue;
      ctx.edits.replace([{ start: side.start, end: side.end, text: String(v + (ctx.rng.random() < 0.5 ? -1n : 1n)) }]);
    }
  }
}

// ---------- extras ----------

const CMP_FLIP: Record<string, string> = {
  '<': '>=',
  '<=': '>',
  '>': '<=',
  '>=': '<',
  '==': '!=',
  '!=': '==',
  in: 'not in',
  'not in': 'in',
  is: 'is not',
  'is not': 'is',
};

function cmpFlip(ctx: ModifierContext): void {
  for (const n of collect(ctx.node, ['comparison_operator'])) {
    if (!ctx.flip()) continue;
    const ops = comparisonOperators(n).filter((o) => CMP_FLIP[o.type]);
    if (ops.length === 0) continue;
    const op = ctx.rng.choice(ops);
    ctx.edits.replace([{ start: op.start, end: op.end, text: CMP_FLIP[op.type] }]);
  }
}

const NO_PARENS = new Set([
  'identifier',
  'call',
  'attribute',
  'subscript',
  'parenthesized_expression',
  'true',
  'false',
  'none',
  'integer',
  'float',
  'string',
  'concatenated_string',
  'list',
  'tuple',
  'dictionary',
  'set',
  'unary_operator',
]);

function boolNegate(ctx: ModifierContext): void {
  for (const n of collect(ctx.node, ['if_statement', 'elif_clause', 'while_statement'])) {
    if (!ctx.flip()) continue;
    const cond = field(n, 'condition');
    if (!cond) continue;
    if (cond.type === 'not_operator') {
      const arg = field(cond, 'argument');
      if (arg) ctx.edits.replace([{ start: cond.start, end: cond.end, text: ctx.edits.node(arg) }]);
    } else {
      const inner = ctx.edits.node(cond);
      const keepBare = NO_PARENS.has(cond.type) || cond.type === 'comparison_operator' || cond.type === 'binary_operator';
      ctx.edits.replace([{ start: cond.start, end: cond.end, text: keepBare ? `not ${inner}` : `not (${inner})` }]);
    }
  }
}

function constSwap(ctx: ModifierContext): void {
  for (const n of collect(ctx.node, ['true', 'false', 'integer'])) {
    const raw = ctx.text.slice(n.start, n.end);
    const swapped = { True: 'False', False: 'True', '0': '1', '1': '0' }[raw];
    if (!swapped || !ctx.flip()) continue;
    ctx.edits.replace([{ start: n.start, end: n.end, text: swapped }]);
  }
}

const LOW_PRECEDENCE_BINOPS = new Set(['<<', '>>', '&', '|', '^']);

function plusMinusOne(ctx: ModifierContext, expr: PNode): void {
  const delta = ctx.rng.random() < 0.5 ? -1 : 1;
  if (expr.type === 'integer') {
    const v = parseIntLiteral(ctx.text.slice(expr.start, expr.end));
    if (v !== undefined) ctx.edits.replace([{ start: expr.start, end: expr.end, text: String(v + BigInt(delta)) }]);
    return;
  }
  const op = expr.type === 'binary_operator' ? field(expr, 'operator')?.type : undefined;
  const bare = NO_PARENS.has(expr.type) || (op !== undefined && !LOW_PRECEDENCE_BINOPS.has(op));
  const inner = ctx.edits.node(expr);
  ctx.edits.replace([{ start: expr.start, end: expr.end, text: `${bare ? inner : `(${inner})`} ${delta > 0 ? '+' : '-'} 1` }]);
}

function offByOne(ctx: ModifierContext): void {
  const { text } = ctx;
  for (const n of collect(ctx.node, ['call', 'slice'])) {
    if (n.type === 'call') {
      const fn = field(n, 'function');
      const args = field(n, 'arguments');
      if (!fn || fn.type !== 'identifier' || text.slice(fn.start, fn.end) !== 'range' || args?.type !== 'argument_list') continue;
      const pos = namedKids(args);
      if (pos.length === 0 || pos.length > 3 || pos.some((a) => a.type.includes('argument') || a.type.includes('splat'))) continue;
      if (!ctx.flip()) continue;
      plusMinusOne(ctx, pos.length === 1 ? pos[0] : pos[1]);
    } else {
      // slice children: [start] ':' [stop] [':' [step]]; prefer the stop bound.
      let colons = 0;
      let startExpr: PNode | undefined;
      let stopExpr: PNode | undefined;
      for (const c of n.children) {
        if (c.type === ':') colons++;
        else if (c.named && c.type !== 'comment') {
          if (colons === 0) startExpr = c;
          else if (colons === 1) stopExpr = c;
        }
      }
      const target = stopExpr ?? startExpr;
      if (!target || !ctx.flip()) continue;
      plusMinusOne(ctx, target);
    }
  }
}

function breakContinue(ctx: ModifierContext): void {
  for (const n of collect(ctx.node, ['break_statement', 'continue_statement'])) {
    if (!ctx.flip()) continue;
    ctx.edits.replace([{ start: n.start, end: n.end, text: n.type === 'break_statement' ? 'continue' : 'break' }]);
  }
}

function returnNone(ctx: ModifierContext): void {
  for (const n of collect(ctx.node, ['return_statement'])) {
    const value = namedKids(n)[0];
    if (!value || value.type === 'none' || !ctx.flip()) continue;
    ctx.edits.replace([{ start: value.start, end: value.end, text: 'None' }]);
  }
}

const F: Tag = 'is_function';
const C: Tag = 'is_class';

/** Every modifier, SWE-smith's 13 first (in SWE-smith's order), then the extras. */
export const ALL_MODIFIERS: readonly Modifier[] = [
  {
    name: 'func_pm_class_rm_base',
    family: 'class',
    description: 'Removes a base class from a class definition (the only one, or one at random).',
    explanation: 'The base class has been removed from the class definition.',
    conditions: [C, 'has_parent'],
    minComplexity: 10,
    maxComplexity: INF,
    likelihood: 0.25,
    swesmith: true,
    apply: classRmBase,
  },
  {
    name: 'func_pm_class_rm_funcs',
    family: 'class',
    description: 'Removes methods from a class and turns calls to them (self.m(...)) into None.',
    explanation: 'Method(s) and their reference(s) have been removed from the class.',
    conditions: [C],
    minComplexity: 10,
    maxComplexity: INF,
    likelihood: 0.15,
    swesmith: true,
    apply: classRmFuncs,
  },
  {
    name: 'func_pm_class_shuffle_funcs',
    family: 'class',
    description: 'Moves non-method statements first and shuffles the methods of a class.',
    explanation: 'The methods in a class have been shuffled.',
    conditions: [C],
    minComplexity: 10,
    maxComplexity: INF,
    likelihood: 0.25,
    swesmith: true,
    apply: classShuffleFuncs,
  },
  {
    name: 'func_pm_ctrl_invert_if',
    family: 'control',
    description: 'Swaps the body of an if (or last elif) with its else body.',
    explanation: 'The if-else conditions may be out of order, or the bodies are inverted.',
    conditions: [F, 'has_if_else'],
    minComplexity: 5,
    maxComplexity: INF,
    likelihood: 0.25,
    swesmith: true,
    apply: ctrlInvertIf,
  },
  {
    name: 'func_pm_ctrl_shuffle',
    family: 'control',
    description: 'Shuffles the top-level statements of a function body.',
    explanation: 'The lines inside a function may be out of order.',
    conditions: [F, 'has_loop'],
    minComplexity: 3,
    maxComplexity: 10,
    likelihood: 0.25,
    swesmith: true,
    apply: ctrlShuffle,
  },
  {
    name: 'func_pm_remove_assign',
    family: 'remove',
    description: 'Deletes assignment and augmented-assignment statements.',
    explanation: 'There is likely a missing assignment in the code.',
    conditions: [F, 'has_assignment'],
    minComplexity: 3,
    maxComplexity: INF,
    likelihood: 0.25,
    swesmith: true,
    apply: (ctx) => removeStatements(ctx, isAssignStatement),
  },
  {
    name: 'func_pm_remove_cond',
    family: 'remove',
    description: 'Deletes if statements (an elif drops the rest of its chain).',
    explanation: 'There is one or more missing conditionals that causes the bug.',
    conditions: [F, 'has_if'],
    minComplexity: 3,
    maxComplexity: INF,
    likelihood: 0.25,
    swesmith: true,
    apply: (ctx) => removeStatements(ctx, (n) => n.type === 'if_statement' || n.type === 'elif_clause'),
  },
  {
    name: 'func_pm_remove_loop',
    family: 'remove',
    description: 'Deletes for and while loops (with their bodies).',
    explanation: 'There is one or more missing loops that is causing the bug.',
    conditions: [F, 'has_loop'],
    minComplexity: 3,
    maxComplexity: INF,
    likelihood: 0.25,
    swesmith: true,
    apply: (ctx) => removeStatements(ctx, (n) => n.type === 'for_statement' || n.type === 'while_statement'),
  },
  {
    name: 'func_pm_remove_wrapper',
    family: 'remove',
    description: 'Deletes with and try statements (with their bodies).',
    explanation: 'There are missing wrappers (with, try blocks) in the code.',
    conditions: [F, 'has_wrapper'],
    minComplexity: 3,
    maxComplexity: INF,
    likelihood: 0.25,
    swesmith: true,
    apply: (ctx) => removeStatements(ctx, (n) => n.type === 'with_statement' || n.type === 'try_statement'),
  },
  {
    name: 'func_pm_op_break_chains',
    family: 'operator',
    description: 'Drops one operand of a chained binary operation (a + b + c -> a + c).',
    explanation: 'There are expressions or mathematical operations that are likely incomplete.',
    conditions: [F, 'has_binary_op'],
    minComplexity: 3,
    maxComplexity: INF,
    likelihood: 0.4,
    swesmith: true,
    apply: opBreakChains,
  },
  {
    name: 'func_pm_op_change_const',
    family: 'operator',
    description: 'Adds or subtracts 1 to integer operands of binary operations.',
    explanation: 'The constants in an expression might be incorrect.',
    conditions: [F, 'has_binary_op'],
    minComplexity: 3,
    maxComplexity: INF,
    likelihood: 0.4,
    swesmith: true,
    apply: opChangeConst,
  },
  {
    name: 'func_pm_op_change',
    family: 'operator',
    description: 'Replaces a binary operator with another of its group (+/-, * / // %, & | ^, << >>, ** *).',
    explanation: 'The operations in an expressions are likely incorrect.',
    conditions: [F, 'has_binary_op'],
    minComplexity: 3,
    maxComplexity: INF,
    likelihood: 0.4,
    swesmith: true,
    apply: opChange,
  },
  {
    name: 'func_pm_op_swap',
    family: 'operator',
    description: 'Swaps the operands of binary and boolean operations.',
    explanation: 'The operands in an expression are likely in the wrong order.',
    conditions: [F, 'has_binary_op'],
    minComplexity: 3,
    maxComplexity: INF,
    likelihood: 0.4,
    swesmith: true,
    apply: opSwap,
  },
  {
    name: 'func_pm_cmp_flip',
    family: 'extra',
    description: 'Negates a comparison operator (< to >=, == to !=, in to not in, is to is not).',
    explanation: 'A comparison in the code is likely inverted.',
    conditions: [F, 'has_comparison'],
    minComplexity: 1,
    maxComplexity: INF,
    likelihood: 0.3,
    swesmith: false,
    apply: cmpFlip,
  },
  {
    name: 'func_pm_bool_negate',
    family: 'extra',
    description: 'Negates the condition of an if/elif/while (adds or drops `not`).',
    explanation: 'A condition in the code is likely negated.',
    conditions: [F, 'has_condition'],
    minComplexity: 1,
    maxComplexity: INF,
    likelihood: 0.25,
    swesmith: false,
    apply: boolNegate,
  },
  {
    name: 'func_pm_const_swap',
    family: 'extra',
    description: 'Swaps True/False and the integer literals 0/1.',
    explanation: 'A constant in the code is likely wrong.',
    conditions: [F, 'has_bool_or_01_literal'],
    minComplexity: 1,
    maxComplexity: INF,
    likelihood: 0.25,
    swesmith: false,
    apply: constSwap,
  },
  {
    name: 'func_pm_off_by_one',
    family: 'extra',
    description: 'Shifts the stop of range() or a slice bound by one.',
    explanation: 'There is likely an off-by-one error in a range or slice.',
    conditions: [F, 'has_range_or_slice'],
    minComplexity: 1,
    maxComplexity: INF,
    likelihood: 0.4,
    swesmith: false,
    apply: offByOne,
  },
  {
    name: 'func_pm_break_continue',
    family: 'extra',
    description: 'Swaps break and continue statements.',
    explanation: 'A loop exits or continues at the wrong time.',
    conditions: [F, 'has_break_continue'],
    minComplexity: 1,
    maxComplexity: INF,
    likelihood: 0.4,
    swesmith: false,
    apply: breakContinue,
  },
  {
    name: 'func_pm_return_none',
    family: 'extra',
    description: 'Replaces a returned value with None.',
    explanation: 'A function likely returns the wrong value.',
    conditions: [F, 'has_return_value'],
    minComplexity: 1,
    maxComplexity: INF,
    likelihood: 0.25,
    swesmith: false,
    apply: returnNone,
  },
];

/** Public summary of every modifier: name, family and what it does. */
export const MODIFIERS: readonly { name: string; family: string; description: string }[] = ALL_MODIFIERS.map((m) => ({
  name: m.name,
  family: m.family,
  description: m.description,
}));

/** Looks modifiers up by name; throws naming the unknown ones and the valid names. */
export function resolveModifiers(names?: readonly string[]): Modifier[] {
  if (!names || names.length === 0) return [...ALL_MODIFIERS];
  const unknown = names.filter((n) => !ALL_MODIFIERS.some((m) => m.name === n));
  if (unknown.length > 0) {
    throw new Error(`unknown modifier(s) ${unknown.join(', ')}: choose from ${ALL_MODIFIERS.map((m) => m.name).join(', ')}`);
  }
  return ALL_MODIFIERS.filter((m) => names.includes(m.name));
}
