import { beforeAll, describe, expect, it } from 'vitest';
import type { PythonParser } from './parser.js';
import { loadParser } from './parser.js';
import { extractFileEntities, matchesFilter } from './entities.js';
import { ALL_MODIFIERS, MODIFIERS } from './modifiers.js';
import { mutateEntity } from './process-file.js';

let parser: PythonParser;
beforeAll(async () => {
  parser = await loadParser('wasm');
});

/** Runs one modifier on the named entity of a snippet; the mutated file text or null. */
function mutate(src: string, modifier: string, opts: { entity?: string; likelihood?: number; seed?: number } = {}): string | null {
  const root = parser.parse(src);
  const { entities } = extractFileEntities(root, src, 'm.py');
  const en = opts.entity ? entities.find((e) => e.entity.qualified_name === opts.entity) : entities[0];
  if (!en) throw new Error(`no entity ${opts.entity}`);
  const mod = ALL_MODIFIERS.find((m) => m.name === modifier);
  if (!mod) throw new Error(`no modifier ${modifier}`);
  const rejected = { unchanged: 0, reparse: 0 };
  const out = mutateEntity(parser, src, false, en, mod, { likelihood: opts.likelihood ?? 1, seed: opts.seed ?? 24, attempts: 5 }, rejected);
  return out ? out.after : null;
}

function eligible(src: string, modifier: string, entity?: string): boolean {
  const { entities } = extractFileEntities(parser.parse(src), src, 'm.py');
  const en = entity ? entities.find((e) => e.entity.qualified_name === entity)! : entities[0];
  const mod = ALL_MODIFIERS.find((m) => m.name === modifier)!;
  return matchesFilter(en.entity, { tags: mod.conditions, minComplexity: mod.minComplexity, maxComplexity: mod.maxComplexity });
}

const ARITH = `def f(a, b, c):
    x = a + b - c  # keep me
    if a > b:
        return x * 2
    return x // 3
`;

const CLASSY = `class Base:
    pass


class Thing(Base, Mixin, metaclass=Meta):
    """Doc."""

    limit = 3

    def a(self, x):
        if x > 1 and x < 10 or x == 42:
            return self.b(x) + 1
        return self.c(x)

    def b(self, x):
        if x < 0 or x > 100 or x == 7:
            return 0
        return x

    @property
    def c(self):
        return self.b(2) if self.limit > 2 else 0
`;

describe('the modifier table', () => {
  it('has SWE-smith\'s 13 Python modifiers under their strategy names, plus at least 5 extras', () => {
    const names = MODIFIERS.map((m) => m.name);
    for (const n of [
      'func_pm_class_rm_base',
      'func_pm_class_rm_funcs',
      'func_pm_class_shuffle_funcs',
      'func_pm_ctrl_invert_if',
      'func_pm_ctrl_shuffle',
      'func_pm_remove_assign',
      'func_pm_remove_cond',
      'func_pm_remove_loop',
      'func_pm_remove_wrapper',
      'func_pm_op_break_chains',
      'func_pm_op_change_const',
      'func_pm_op_change',
      'func_pm_op_swap',
    ]) {
      expect(names).toContain(n);
    }
    expect(ALL_MODIFIERS.filter((m) => !m.swesmith).length).toBeGreaterThanOrEqual(5);
    expect(ALL_MODIFIERS.find((m) => m.name === 'func_pm_class_rm_funcs')!.likelihood).toBe(0.15);
    expect(ALL_MODIFIERS.find((m) => m.name === 'func_pm_op_swap')!.likelihood).toBe(0.4);
    expect(ALL_MODIFIERS.find((m) => m.name === 'func_pm_remove_loop')!.likelihood).toBe(0.25);
  });

  it('likelihood 0 never mutates, for every modifier', () => {
    for (const m of ALL_MODIFIERS) {
      expect(mutate(CLASSY, m.name, { entity: m.family === 'class' ? 'Thing' : 'Thing.a', likelihood: 0 })).toBeNull();
      expect(mutate(ARITH, m.name, { likelihood: 0 })).toBeNull();
    }
  });
});

describe('class modifiers', () => {
  it('func_pm_class_rm_base removes one positional base and keeps keywords', () => {
    const out = mutate(CLASSY, 'func_pm_class_rm_base', { entity: 'Thing' })!;
    const header = out.split('\n').find((l) => l.startsWith('class Thing'))!;
    expect(header).toContain('metaclass=Meta');
    expect([header.includes('Base'), header.includes('Mixin')].filter(Boolean)).toHaveLength(1);
    expect(out.replace(header, '')).toBe(CLASSY.replace(/^class Thing.*$/m, ''));
  });

  it('func_pm_class_rm_base drops the parentheses when the only base goes', () => {
    const src = 'class A(B):\n    def f(self):\n        return 1\n';
    expect(mutate(src, 'func_pm_class_rm_base')).toBe('class A:\n    def f(self):\n        return 1\n');
  });

  it('func_pm_class_rm_funcs removes methods and leaves no call to them', () => {
    const out = mutate(CLASSY, 'func_pm_class_rm_funcs', { entity: 'Thing' })!;
    // likelihood 1: every method goes; the class keeps its docstring and attribute
    expect(out).not.toMatch(/def (a|b|c)\(/);
    expect(out).toContain('limit = 3');
    expect(out).not.toMatch(/self\.(a|b|c)\b/);
    expect(parser.hasError(out)).toBe(false);
  });

  it('func_pm_class_rm_funcs turns calls to a removed method into None', () => {
    const src = 'class A:\n    def f(self):\n        return self.g(1) + self.h()\n\n    def g(self, x):\n        return x\n\n    def h(self):\n        return 2\n';
    // find a seed that removes g but keeps f and h
    for (let seed = 0; seed < 200; seed++) {
      const out = mutate(src, 'func_pm_class_rm_funcs', { likelihood: 0.34, seed });
      if (out && !out.includes('def g(') && out.includes('def f(') && out.includes('def h(')) {
        expect(out).toContain('return None + self.h()');
        return;
      }
    }
    throw new Error('no seed removed only g');
  });

  it('func_pm_class_rm_funcs keeps the class body valid with pass when everything goes', () => {
    const src = 'class A:\n    def f(self):\n        return 1\n';
    expect(mutate(src, 'func_pm_class_rm_funcs')).toBe('class A:\n    pass\n');
  });

  it('func_pm_class_shuffle_funcs keeps every method, puts non-methods first', () => {
    const out = mutate(CLASSY, 'func_pm_class_shuffle_funcs', { entity: 'Thing' })!;
    expect(out).not.toBe(CLASSY);
    for (const d of ['def a(self, x):', 'def b(self, x):', '@property\n    def c(self):', 'limit = 3', '"""Doc."""']) expect(out).toContain(d);
    expect(out.indexOf('limit = 3')).toBeLessThan(out.indexOf('def '));
    expect([...out].sort().join('')).toBe([...CLASSY].sort().join(''));
  });

  it('class modifiers need complexity >= 10', () => {
    expect(eligible(CLASSY, 'func_pm_class_rm_funcs', 'Thing')).toBe(true);
    expect(eligible('class A(B):\n    def f(self):\n        return 1\n', 'func_pm_class_rm_base')).toBe(false);
  });
});

describe('control-flow modifiers', () => {
  const IFELSE = 'def f(x):\n    if x > 0:\n        y = 1\n    else:\n        y = 2\n    return y\n';
  it('func_pm_ctrl_invert_if swaps the if and else bodies only', () => {
    expect(mutate(IFELSE, 'func_pm_ctrl_invert_if')).toBe('def f(x):\n    if x > 0:\n        y = 2\n    else:\n        y = 1\n    return y\n');
  });

  it('func_pm_ctrl_invert_if never swaps across an elif, but swaps the last elif with else', () => {
    const src = 'def f(x):\n    if x > 0:\n        y = 1\n    elif x < 0:\n        y = 2\n    else:\n        y = 3\n    return y\n';
    expect(mutate(src, 'func_pm_ctrl_invert_if')).toBe('def f(x):\n    if x > 0:\n        y = 1\n    elif x < 0:\n        y = 3\n    else:\n        y = 2\n    return y\n');
  });

  it('func_pm_ctrl_shuffle reorders the body lines and keeps each line intact', () => {
    const src = 'def f(xs):\n    total = 0\n    for x in xs:\n        total += x\n    total *= 2\n    return total\n';
    const out = mutate(src, 'func_pm_ctrl_shuffle')!;
    expect(out).not.toBe(src);
    expect(out.split('\n').sort()).toEqual(src.split('\n').sort());
    expect(out.startsWith('def f(xs):\n')).toBe(true);
  });

  it('func_pm_ctrl_shuffle obeys max complexity 10', () => {
    const big = `def f(x):\n    for i in x:\n        pass\n${'    if x == 1 and x < 2:\n        pass\n'.repeat(3)}    return x\n`;
    expect(eligible(big, 'func_pm_ctrl_shuffle')).toBe(false);
  });
});

describe('removal modifiers', () => {
  const SRC = `def f(xs, path):
    total = 0
    count: int = 0
    for x in xs:
        total += x
    while total > 100:
        total -= 1
    if total > 10:
        total = 10
    with open(path) as fh:
        fh.write(str(total))
    try:
        total = int(total)
    except ValueError:
        pass
    return total
`;
  it('func_pm_remove_assign removes plain and augmented assignments, not annotated ones', () => {
    const out = mutate(SRC, 'func_pm_remove_assign')!;
    expect(out).not.toContain('total = 0');
    expect(out).not.toContain('total += x');
    expect(out).toContain('count: int = 0');
    // a body left empty keeps a `pass`
    expect(out).toContain('for x in xs:\n        pass\n');
    expect(parser.hasError(out)).toBe(false);
  });

  it('func_pm_remove_loop removes for and while loops with their bodies', () => {
    const out = mutate(SRC, 'func_pm_remove_loop')!;
    expect(out).not.toContain('for x in xs');
    expect(out).not.toContain('while total');
    expect(out).not.toContain('total -= 1');
    expect(out).toContain('if total > 10');
  });

  it('func_pm_remove_cond removes if statements; an elif drops the rest of the chain', () => {
    expect(mutate(SRC, 'func_pm_remove_cond')).toBe(SRC.replace('    if total > 10:\n        total = 10\n', ''));
    const chain = 'def g(x):\n    if x:\n        return 1\n    elif x is None:\n        return 2\n    else:\n        return 3\n    return 4\n';
    // likelihood 1 removes the whole if (the elif removal is absorbed)
    expect(mutate(chain, 'func_pm_remove_cond')).toBe('def g(x):\n    return 4\n');
  });

  it('func_pm_remove_wrapper removes with and try statements', () => {
    const out = mutate(SRC, 'func_pm_remove_wrapper')!;
    expect(out).not.toContain('with open');
    expect(out).not.toContain('try:');
    expect(out).not.toContain('except ValueError');
    expect(out).toContain('while total > 100');
  });

  it('a removal shares no line with a kept statement', () => {
    const src = 'def f(x):\n    a = 1; b = 2\n    c = 3\n    return a + b + c\n';
    const out = mutate(src, 'func_pm_remove_assign')!;
    expect(out).toBe('def f(x):\n    a = 1; b = 2\n    return a + b + c\n');
  });
});

describe('operator modifiers', () => {
  it('func_pm_op_change swaps operators within their group', () => {
    for (let seed = 0; seed < 5; seed++) {
      const out = mutate(ARITH, 'func_pm_op_change', { seed });
      if (!out) continue;
      expect(out).toMatch(/x = a [+-] b [+-] c  # keep me/);
      expect(out).toMatch(/return x (\*|\/|\/\/|%) 2/);
    }
  });

  it('func_pm_op_swap swaps operands', () => {
    const src = 'def f(a, b):\n    if a and b:\n        pass\n    return a - b\n';
    expect(mutate(src, 'func_pm_op_swap')).toBe('def f(a, b):\n    if b and a:\n        pass\n    return b - a\n');
  });

  it('func_pm_op_break_chains drops an operand of a chain', () => {
    const src = 'def f(a, b, c):\n    if a:\n        pass\n    return a + b * c\n';
    expect(mutate(src, 'func_pm_op_break_chains')).toBe('def f(a, b, c):\n    if a:\n        pass\n    return a + c\n');
    const left = 'def f(a, b, c):\n    return (a - b) * c\n';
    expect(mutate(left, 'func_pm_op_break_chains')).toBe('def f(a, b, c):\n    return a * c\n');
  });

  it('func_pm_op_change_const moves integer operands by one', () => {
    const src = 'def f(a):\n    return a * 10 + 0x10\n';
    const out = mutate(src, 'func_pm_op_change_const')!;
    expect(out).toMatch(/return a \* (9|11) \+ (15|17)\n/);
  });

  it('operator modifiers need a binary operation', () => {
    expect(eligible('def f(a, b):\n    if a < b and b < 3:\n        return a\n', 'func_pm_op_swap')).toBe(false);
  });
});

describe('extra modifiers', () => {
  it('func_pm_cmp_flip negates comparison operators', () => {
    const src = 'def f(a, b):\n    return a < b, a not in b, a is b, a == b\n';
    expect(mutate(src, 'func_pm_cmp_flip')).toBe('def f(a, b):\n    return a >= b, a in b, a is not b, a != b\n');
  });

  it('func_pm_bool_negate adds or drops not', () => {
    const src = 'def f(a, b):\n    if not a:\n        return 1\n    while a or b:\n        a = 0\n';
    expect(mutate(src, 'func_pm_bool_negate')).toBe('def f(a, b):\n    if a:\n        return 1\n    while not (a or b):\n        a = 0\n');
  });

  it('func_pm_const_swap swaps True/False and 0/1 only', () => {
    const src = 'def f(a):\n    return True, False, 0, 1, 2\n';
    expect(mutate(src, 'func_pm_const_swap')).toBe('def f(a):\n    return False, True, 1, 0, 2\n');
  });

  it('func_pm_off_by_one shifts range stops and slice bounds', () => {
    const src = 'def f(xs, n):\n    for i in range(n):\n        pass\n    return xs[1:n], range(0, len(xs)), xs[:3]\n';
    const out = mutate(src, 'func_pm_off_by_one')!;
    expect(out).toMatch(/range\(n [+-] 1\)/);
    expect(out).toMatch(/xs\[1:n [+-] 1\]/);
    expect(out).toMatch(/range\(0, len\(xs\) [+-] 1\)/);
    expect(out).toMatch(/xs\[:(2|4)\]/);
  });

  it('func_pm_break_continue swaps break and continue', () => {
    const src = 'def f(xs):\n    for x in xs:\n        if x:\n            break\n        continue\n';
    expect(mutate(src, 'func_pm_break_continue')).toBe('def f(xs):\n    for x in xs:\n        if x:\n            continue\n        break\n');
  });

  it('func_pm_return_none returns None instead of a value', () => {
    const src = 'def f(a):\n    if a:\n        return None\n    return a + 1\n';
    expect(mutate(src, 'func_pm_return_none')).toBe('def f(a):\n    if a:\n        return None\n    return None\n');
  });
});

describe('traps', () => {
  it('keeps a trailing `# type: ignore` comment on the entity\'s last line', () => {
    const src = 'def f(a, b):\n    c = a + b\n    return c - 1  # type: ignore\n';
    const out = mutate(src, 'func_pm_op_swap')!;
    expect(out).toBe('def f(a, b):\n    c = b + a\n    return 1 - c  # type: ignore\n');
  });

  it('leaves multi-line strings with shallow indentation untouched', () => {
    const src = 'class A:\n    def f(self, a):\n        text = """\nline one\n  line two\n"""\n        return text + a\n';
    const out = mutate(src, 'func_pm_op_swap', { entity: 'A.f' })!;
    expect(out).toBe(src.replace('text + a', 'a + text'));
  });

  it('keeps CRLF line endings byte for byte', () => {
    const src = 'def f(a, b):\r\n    x = a - b\r\n    return x\r\n';
    expect(mutate(src, 'func_pm_op_swap')).toBe('def f(a, b):\r\n    x = b - a\r\n    return x\r\n');
    const removed = mutate('def f(a):\r\n    x = 1\r\n    y = 2\r\n    return x\r\n', 'func_pm_remove_assign', { likelihood: 1 })!;
    expect(removed).toBe('def f(a):\r\n    return x\r\n');
  });

  it('different seeds give different choices, the same seed the same', () => {
    const src = `def f(xs):\n${Array.from({ length: 12 }, (_, i) => `    v${i} = xs[${i}] + ${i}\n`).join('')}    return xs\n`;
    const a = mutate(src, 'func_pm_remove_assign', { likelihood: 0.3, seed: 1 });
    const b = mutate(src, 'func_pm_remove_assign', { likelihood: 0.3, seed: 2 });
    expect(a).not.toBeNull();
    expect(a).not.toBe(b);
    expect(mutate(src, 'func_pm_remove_assign', { likelihood: 0.3, seed: 1 })).toBe(a);
  });

  it('never touches a byte outside the mutated entity', () => {
    const head = '# -*- coding: utf-8 -*-\r\nimport os  # noqa\r\n\r\n\r\ndef untouched(a):\r\n    return a + 1  # type: ignore\r\n\r\n\r\n';
    const tail = '\r\n\r\nX = """\r\nshallow\r\n  text\r\n"""  # trailing\r\n';
    let mutated = 0;
    for (const m of ALL_MODIFIERS) {
      for (const [body, entity] of [
        [CLASSY, m.family === 'class' ? 'Thing' : 'Thing.a'],
        [ARITH, 'f'],
      ] as const) {
        const src = head + body.replace(/\n/g, '\r\n') + tail;
        for (let seed = 0; seed < 3; seed++) {
          const out = mutate(src, m.name, { entity, likelihood: 1, seed });
          if (!out) continue;
          mutated++;
          expect(out.startsWith(head)).toBe(true);
          expect(out.endsWith(tail)).toBe(true);
          expect(out.replace(/\r\n/g, '')).not.toContain('\n');
        }
      }
    }
    expect(mutated).toBeGreaterThan(ALL_MODIFIERS.length);
  });

  it('every mutation of the snippets re-parses without errors', () => {
    for (const m of ALL_MODIFIERS) {
      for (let seed = 0; seed < 10; seed++) {
        const out = mutate(CLASSY, m.name, { entity: m.family === 'class' ? 'Thing' : 'Thing.a', likelihood: 0.5, seed });
        if (out) expect(parser.hasError(out)).toBe(false);
      }
    }
  });
});
