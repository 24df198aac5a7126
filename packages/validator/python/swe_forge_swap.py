# swe-forge warm runner: swapping patched function bodies into a live process
# (shipped with @swe-forge/validator; written into the working copy's .git/swe-forge-warm/).
#
# A patched file whose module the warm worker has imported can be swapped in place only when
# the patch changes nothing but the bodies of functions: every statement that runs when the
# module is imported (module-level code, class bodies and headers, imports, decorators,
# signatures and default values, docstrings) must be identical. Then compiling the patched
# source gives, for every function, a new code object, and assigning it to `__code__` of every
# live function object made from the old code (found by a scan of the garbage collector at
# warm-up, so functions held only by a decorator's closure, a registry or a bound method are
# found too) makes every caller run the patched body. Functions whose only difference is a line
# shift are swapped as well, so tracebacks and inspect.getsource see the patched file.
#
# Anything else is declined with a reason (the validator then runs the candidate in a fresh
# process): see DECLINE_KINDS.
import ast
import gc
import os
import types

# kind -> what it means (the validator counts declines by kind)
DECLINE_KINDS = {
    "parse": "a patched file does not parse",
    "module-level": "module-level code changed (runs at import)",
    "import": "an import statement changed",
    "class-header": "a class header (bases, keywords, decorators) changed",
    "class-body": "a class body statement other than a method changed",
    "decorator": "a decorator of a function changed (decorators run at import)",
    "signature": "a function signature, default value or annotation changed",
    "docstring": "a docstring changed (held by the function object, not its code)",
    "closure": "the free variables of a function changed (its closure cannot hold them)",
    "live-closure": "a function created before the run from changed code (a closure made at import) cannot be re-created",
    "suspended-generator": "a generator or coroutine suspended in changed code exists",
    "rewritten-code": "a live function's code differs from its source (rewritten by a decorator or an import hook)",
    "fixture": "a pytest fixture changed",
    "hook": "a pytest hook implementation changed",
    "c-extension": "the module is loaded from a compiled extension, not from the patched file",
}


class Decline(Exception):
    """The patch cannot be swapped in safely; `kind` is one of DECLINE_KINDS."""

    def __init__(self, kind, detail):
        Exception.__init__(self, "%s: %s" % (kind, detail))
        self.kind = kind
        self.detail = detail


_FUNC = (ast.FunctionDef, ast.AsyncFunctionDef)


def _dump(node):
    return ast.dump(node, include_attributes=False) if node is not None else ""


def _docstring(body):
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str):
        return body[0].value.value
    return None


def _header_parts(fn):
    # everything of a def that is evaluated when the def statement runs
    return {
        "decorator": "|".join(_dump(d) for d in fn.decorator_list),
        "signature": "|".join([fn.name, _dump(fn.args), _dump(fn.returns), _dump(getattr(fn, "type_params", None) and ast.Tuple(elts=list(fn.type_params), ctx=ast.Load()))]),
        "docstring": repr(_docstring(fn.body)),
    }


class Source:
    """A file's text and AST, with the exact source text of any node (ast offsets are UTF-8 bytes)."""

    def __init__(self, text, filename):
        self.text = text
        self.data = text.encode("utf-8")
        self.tree = ast.parse(self.data, filename)
        starts, pos = [0], 0
        for line in self.data.splitlines(True):
            pos += len(line)
            starts.append(pos)
        self.starts = starts

    def _at(self, line, col):
        return self.starts[line - 1] + col if line - 1 < len(self.starts) else len(self.data)

    def seg(self, node, end=None):
        """Text of `node` (or from its start to the start of `end`)."""
        a = self._at(node.lineno, node.col_offset)
        b = self._at(end.lineno, end.col_offset) if end is not None else self._at(node.end_lineno, node.end_col_offset)
        return self.data[a:b]


def _head_start(node):
    return node.decorator_list[0] if node.decorator_list else node


def _same_header(so, sn, o, n):
    # the text from the first decorator to the first body statement (a docstring is compared apart)
    return so.seg(_head_start(o), o.body[0]) == sn.seg(_head_start(n), n.body[0])


def _compare_bodies(so, sn, old_body, new_body, where, in_class):
    """Compare statement lists that run at import (a module or class body)."""
    if len(old_body) != len(new_body):
        kind = "class-body" if in_class else "module-level"
        raise Decline(kind, "%s: statements added or removed" % where)
    for o, n in zip(old_body, new_body):
        _compare_stmt(so, sn, o, n, where, in_class)


def _compare_stmt(so, sn, o, n, where, in_class):
    if isinstance(o, _FUNC) and type(o) is type(n):
        if _same_header(so, sn, o, n) and _docstring(o.body) == _docstring(n.body):
            return  # the body may differ: that is what gets swapped
        ho, hn = _header_parts(o), _header_parts(n)
        for part in ("decorator", "signature", "docstring"):
            if ho[part] != hn[part]:
                raise Decline(part, "%s.%s" % (where, o.name))
        return
    if isinstance(o, ast.ClassDef) and isinstance(n, ast.ClassDef):
        if not _same_header(so, sn, o, n) and (o.name, [_dump(b) for b in o.bases], [_dump(k) for k in o.keywords], [_dump(d) for d in o.decorator_list]) != (
            n.name,
            [_dump(b) for b in n.bases],
            [_dump(k) for k in n.keywords],
            [_dump(d) for d in n.decorator_list],
        ):
            raise Decline("class-header", "%s.%s" % (where, o.name))
        _compare_bodies(so, sn, o.body, n.body, "%s.%s" % (where, o.name), True)
        return
    if type(o) is type(n) and so.seg(o) == sn.seg(n):
        return  # the same text: the same statement
    # compound statements at import level (if/try/with/for) may hold defs: compare their parts
    if type(o) is type(n) and isinstance(o, (ast.If, ast.Try, ast.With, ast.For, ast.While)) or (
        type(o) is type(n) and type(o).__name__ in ("TryStar", "AsyncWith", "AsyncFor")
    ):
        kind = "class-body" if in_class else "module-level"
        for field, value in ast.iter_fields(o):
            other = getattr(n, field)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                _compare_bodies(so, sn, value, other, where, in_class)
            elif isinstance(value, list) and value and isinstance(value[0], ast.ExceptHandler):
                if len(value) != len(other):
                    raise Decline(kind, "%s: except clauses changed" % where)
                for ho, hn in zip(value, other):
                    if (_dump(ho.type), ho.name) != (_dump(hn.type), hn.name):
                        raise Decline(kind, "%s: an except clause changed" % where)
                    _compare_bodies(so, sn, ho.body, hn.body, where, in_class)
            elif isinstance(value, list):
                if [_dump(v) for v in value] != [_dump(v) for v in other]:
                    raise Decline(kind, "%s: a %s statement changed" % (where, type(o).__name__))
            elif isinstance(value, ast.AST):
                if _dump(value) != _dump(other):
                    raise Decline(kind, "%s: a %s statement changed" % (where, type(o).__name__))
            elif value != other:
                raise Decline(kind, "%s: a %s statement changed" % (where, type(o).__name__))
        return
    if _dump(o) != _dump(n):
        if isinstance(o, (ast.Import, ast.ImportFrom)) or isinstance(n, (ast.Import, ast.ImportFrom)):
            raise Decline("import", "%s line %d" % (where, o.lineno))
        if isinstance(o, ast.ClassDef) or isinstance(n, ast.ClassDef):
            raise Decline("class-header", "%s line %d" % (where, o.lineno))
        raise Decline("class-body" if in_class else "module-level", "%s line %d" % (where, o.lineno))


def check_skeleton(old, new, name):
    """Raise Decline unless two Sources differ only inside function bodies."""
    _compare_bodies(old, new, old.tree.body, new.tree.body, name, False)


class Analysis:
    """The clean side of a file, parsed and compiled once (the worker caches it across candidates)."""

    def __init__(self, text, filename):
        self.source = Source(text, filename)
        self.code = compile(self.source.tree, filename, "exec", dont_inherit=True)


def _qual(code):
    return getattr(code, "co_qualname", code.co_name)


def _code_children(code):
    return [c for c in code.co_consts if isinstance(c, types.CodeType)]


def pair_codes(old_code, new_code):
    """
    Walk two compiled modules in parallel. Returns (pairs, unpaired): pairs of (old, new) code
    objects that correspond, and old code objects with no counterpart (nested code inside a
    changed function whose nested functions were added, removed or renamed).
    """
    pairs, unpaired = [], []
    stack = [(old_code, new_code)]
    while stack:
        o, n = stack.pop()
        pairs.append((o, n))
        oc, nc = _code_children(o), _code_children(n)
        if [_qual(c) for c in oc] == [_qual(c) for c in nc]:
            stack.extend(zip(oc, nc))
        else:
            todo = list(oc)
            while todo:
                c = todo.pop()
                unpaired.append(c)
                todo.extend(_code_children(c))
    return pairs, unpaired


def _real(path, cwd):
    try:
        return os.path.realpath(os.path.join(cwd, path))
    except Exception:
        return path


class LiveIndex:
    """Every live function and suspended generator whose code comes from a file under `root`, by real file path."""

    def __init__(self, root, cwd):
        self.root = root.rstrip(os.sep) + os.sep
        self.funcs = {}
        self.frames = {}
        real = {}
        skip = (os.sep + "site-packages" + os.sep, os.sep + "dist-packages" + os.sep)
        gen_types = (types.GeneratorType, types.CoroutineType, types.AsyncGeneratorType)
        for o in gc.get_objects():
            t = type(o)
            if t is types.FunctionType:
                code, bucket = o.__code__, self.funcs
            elif t in gen_types:
                code = getattr(o, "gi_code", None) or getattr(o, "cr_code", None) or getattr(o, "ag_code", None)
                bucket = self.frames
                if code is None:
                    continue
            else:
                continue
            fn = code.co_filename
            p = real.get(fn)
            if p is None:
                p = _real(fn, cwd)
                if not p.startswith(self.root) or any(s in p for s in skip):
                    p = ""
                real[fn] = p
            if p:
                bucket.setdefault(p, []).append(o)

    def functions(self, path):
        return self.funcs.get(path, [])

    def suspended(self, path):
        return [g for g in self.frames.get(path, []) if _frame_of(g) is not None]


def _frame_of(g):
    return getattr(g, "gi_frame", None) or getattr(g, "cr_frame", None) or getattr(g, "ag_frame", None)


def _key(code):
    return (code.co_firstlineno, _qual(code))


def plan_file(path, old, new_src, live, filename, fixture_codes=frozenset()):
    """
    The swaps that turn the live functions of one imported file into the patched version:
    a list of (function, new code). Raises Decline when that cannot be done safely.
    `old` is the clean text or its Analysis; `filename` is the name the module's code was
    compiled with (co_filename).
    """
    try:
        if not isinstance(old, Analysis):
            old = Analysis(old, filename)
        new = Source(new_src, filename)
    except SyntaxError as e:
        raise Decline("parse", "%s: %s" % (path, e))
    check_skeleton(old.source, new, os.path.basename(path))
    try:
        new_code = compile(new.tree, filename, "exec", dont_inherit=True)
    except SyntaxError as e:
        raise Decline("parse", "%s: %s" % (path, e))
    old_code = old.code
    pairs, unpaired = pair_codes(old_code, new_code)
    by_key = {}
    for o, n in pairs:
        by_key.setdefault(_key(o), []).append((o, n))
    unpaired_keys = {}
    for o in unpaired:
        unpaired_keys.setdefault(_key(o), []).append(o)

    swaps = []
    for f in live.functions(path):
        code = f.__code__
        k = _key(code)
        match = [(o, n) for o, n in by_key.get(k, []) if o == code]
        if not match:
            if any(o == code for o in unpaired_keys.get(k, [])):
                raise Decline("live-closure", "%s (%s:%d)" % (_qual(code), path, code.co_firstlineno))
            # not compiled from this source: only a problem where the source changed
            if any(o != n for o, n in by_key.get(k, [])):
                raise Decline("rewritten-code", "%s (%s:%d)" % (_qual(code), path, code.co_firstlineno))
            continue
        o, n = match[0]
        if o == n:
            continue
        if n.co_freevars != code.co_freevars:
            raise Decline("closure", "%s: free variables %s -> %s" % (_qual(code), code.co_freevars, n.co_freevars))
        if _body_changed(o, n):
            if id(code) in fixture_codes:
                raise Decline("fixture", _qual(code))
            if code.co_name.startswith("pytest_"):
                raise Decline("hook", _qual(code))
        swaps.append((f, n))
    changed = {id(o) for o, n in pairs if o != n and _body_changed(o, n)} | {id(o) for o in unpaired}
    for g in live.suspended(path):
        c = getattr(g, "gi_code", None) or getattr(g, "cr_code", None) or getattr(g, "ag_code", None)
        if any(o == c and id(o) in changed for o, _ in by_key.get(_key(c), [])) or any(o == c for o in unpaired_keys.get(_key(c), [])):
            raise Decline("suspended-generator", "%s (%s:%d)" % (_qual(c), path, c.co_firstlineno))
    return swaps


def _body_changed(o, n):
    """True when two code objects differ in more than their line numbers."""
    attrs = ("co_code", "co_names", "co_varnames", "co_freevars", "co_cellvars", "co_flags", "co_argcount", "co_kwonlyargcount", "co_posonlyargcount")
    if any(getattr(o, a, None) != getattr(n, a, None) for a in attrs):
        return True
    oc, nc = o.co_consts, n.co_consts
    if len(oc) != len(nc):
        return True
    for a, b in zip(oc, nc):
        if isinstance(a, types.CodeType) and isinstance(b, types.CodeType):
            if _body_changed(a, b):
                return True
        elif type(a) is not type(b) or a != b:
            return True
    return False


def apply(swaps):
    """Assign the new code objects (in the forked child only)."""
    for f, code in swaps:
        f.__code__ = code
    return len(swaps)
