# swe-forge warm runner: swapping patched function bodies into a live process
# (shipped with @swe-forge/validator; written into the working copy's .git/swe-forge-warm/).
#
# A patched file whose module the warm worker has imported can be swapped in place only when
# the patch changes nothing but the bodies of functions: every statement that runs when the
# module is imported (module-level code, class bodies and headers, imports, decorators,
# signatures and default values) must be identical. Then compiling the patched source gives,
# for every function, a new code object, and assigning it to `__code__` of every live function
# object made from the old code (found by a scan of the garbage collector at warm-up, so
# functions held only by a decorator's closure, a registry or a bound method are found too)
# makes every caller run the patched body. Functions whose only difference is a line shift are
# swapped as well, so tracebacks and inspect.getsource see the patched file.
#
# Three import-time changes are reproduced exactly instead of declined: a changed function
# docstring (set as `__doc__`, unless a doctest of the file runs), methods reordered in a
# module-level class (only their line numbers change), and plain methods removed from one
# (deleted from the live class; abstract methods and an implicit `__hash__ = None` recomputed).
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
    "docstring": "a function docstring changed in a file whose doctests run (pytest collected them from the old text)",
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


def _compare_bodies(so, sn, old_body, new_body, where, in_class, removals=None, cls=None, docs=None):
    """Compare statement lists that run at import (a module or class body)."""
    if cls is not None and _methods_moved(old_body, new_body):
        _compare_class_methods(so, sn, cls, old_body, new_body, where, removals, docs)
        return
    if len(old_body) != len(new_body):
        kind = "class-body" if in_class else "module-level"
        raise Decline(kind, "%s: statements added or removed" % where)
    for o, n in zip(old_body, new_body):
        _compare_stmt(so, sn, o, n, where, in_class, removals, docs)


def _method_names(body):
    return [s.name for s in body if isinstance(s, _FUNC)]


def _methods_moved(old_body, new_body):
    # methods removed or reordered (the statement lists no longer line up one to one)
    return _method_names(old_body) != _method_names(new_body)


# methods whose definition acts when the class is created (a removal cannot be undone by deleting it)
_CREATION_TIME_METHODS = {"__init_subclass__", "__set_name__", "__prepare__", "__class_getitem__", "__slots__"}
# decorators that only wrap the function into the class attribute (deleting the attribute undoes them)
_PLAIN_DECORATORS = {"staticmethod", "classmethod", "property", "cached_property"}


def _decorator_name(d):
    if isinstance(d, ast.Name):
        return d.id
    if isinstance(d, ast.Attribute):
        return d.attr
    return None


def _names_in(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _compare_class_methods(so, sn, cls, old_body, new_body, where, removals, docs=None):
    """
    A class body whose methods were removed or reordered (SWE-smith's class_rm_funcs and
    class_shuffle_funcs): the other statements must be identical and in the same order, no method
    may be added or defined twice, nothing in the class body may refer to a method by name, and a
    removed method must be a plain one (or a property / staticmethod / classmethod). Then the live
    class equals the patched one once the removed methods are deleted from it (`removals`).
    """
    qual = where  # already ends with the class name
    if removals is None or cls.decorator_list or cls.keywords:
        raise Decline("class-body", "%s: methods removed or reordered in a decorated class or one with a metaclass" % qual)
    old_f = [s for s in old_body if isinstance(s, _FUNC)]
    new_f = [s for s in new_body if isinstance(s, _FUNC)]
    old_names, new_names = [f.name for f in old_f], [f.name for f in new_f]
    if len(set(old_names)) != len(old_names) or len(set(new_names)) != len(new_names):
        raise Decline("class-body", "%s: a method name is defined twice" % qual)
    if not set(new_names) <= set(old_names):
        raise Decline("class-body", "%s: a method was added" % qual)
    old_rest = [s for s in old_body if not isinstance(s, _FUNC)]
    new_rest = [s for s in new_body if not isinstance(s, _FUNC)]
    if len(old_rest) != len(new_rest):
        raise Decline("class-body", "%s: statements added or removed" % qual)
    methods = set(old_names)
    for o, n in zip(old_rest, new_rest):
        if _names_in(o) & methods:
            raise Decline("class-body", "%s line %d refers to a method by name" % (qual, o.lineno))
        _compare_stmt(so, sn, o, n, qual, True, None, docs)
    by_name = {f.name: f for f in new_f}
    for o in old_f:
        if any(_names_in(d) & methods for d in o.decorator_list):
            raise Decline("class-body", "%s.%s: a decorator refers to a method by name" % (qual, o.name))
        n = by_name.get(o.name)
        if n is not None:
            _compare_stmt(so, sn, o, n, qual, True, None, docs)
            continue
        if o.name in _CREATION_TIME_METHODS:
            raise Decline("class-body", "%s.%s: removing it changes what happened when the class was created" % (qual, o.name))
        if any(_decorator_name(d) not in _PLAIN_DECORATORS for d in o.decorator_list):
            raise Decline("class-body", "%s.%s: a decorated method was removed (its decorator ran at import)" % (qual, o.name))
        defines_hash = any(isinstance(t, ast.Name) and t.id == "__hash__" for s in old_rest for t in ast.walk(s)) or "__hash__" in old_names
        removals.append((qual, o.name, defines_hash))


def _compare_stmt(so, sn, o, n, where, in_class, removals=None, docs=None):
    if isinstance(o, _FUNC) and type(o) is type(n):
        if _same_header(so, sn, o, n) and _docstring(o.body) == _docstring(n.body):
            return  # the body may differ: that is what gets swapped
        ho, hn = _header_parts(o), _header_parts(n)
        for part in ("decorator", "signature", "docstring"):
            if ho[part] != hn[part]:
                if part == "docstring" and docs is not None:
                    # held by the function object: set with the new code (see DocChange)
                    docs["%s.%s" % (where, o.name)] = _docstring(n.body)
                    continue
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
        _compare_bodies(so, sn, o.body, n.body, "%s.%s" % (where, o.name), True, removals, o, docs)
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
                _compare_bodies(so, sn, value, other, where, in_class, None, None, docs)
            elif isinstance(value, list) and value and isinstance(value[0], ast.ExceptHandler):
                if len(value) != len(other):
                    raise Decline(kind, "%s: except clauses changed" % where)
                for ho, hn in zip(value, other):
                    if (_dump(ho.type), ho.name) != (_dump(hn.type), hn.name):
                        raise Decline(kind, "%s: an except clause changed" % where)
                    _compare_bodies(so, sn, ho.body, hn.body, where, in_class, None, None, docs)
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


def check_skeleton(old, new, name, docs=None):
    """
    Raise Decline unless two Sources differ only inside function bodies, or by methods removed
    from or reordered in a class at module level, or (when `docs` is a dict) by function
    docstrings, which it fills as {qualname: new docstring}. Returns the removed methods as
    (class qualname, method name, whether the class body binds __hash__).
    """
    removals = []
    found = {} if docs is not None else None
    _compare_bodies(old, new, old.tree.body, new.tree.body, name, False, removals, None, found)
    if found:
        docs.update((q[len(name) + 1 :], d) for q, d in found.items())
    return [(where[len(name) + 1 :], method, defines_hash) for where, method, defines_hash in removals]


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
        oq, nq = [_qual(c) for c in oc], [_qual(c) for c in nc]
        if oq == nq:
            stack.extend(zip(oc, nc))
        elif len(set(oq)) == len(oq) and len(set(nq)) == len(nq):
            # reordered, removed or added (uniquely named) children: pair them by name
            by_name = dict(zip(nq, nc))
            for c in oc:
                m = by_name.get(_qual(c))
                if m is not None:
                    stack.append((c, m))
                    continue
                todo = [c]
                while todo:
                    d = todo.pop()
                    unpaired.append(d)
                    todo.extend(_code_children(d))
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


class DocChange:
    """A function whose docstring the patch changed: its `__doc__` is set in the child (see apply)."""

    def __init__(self, func, doc):
        self.func = func
        self.doc = doc


class Removal:
    """A method removed by the patch: deleted from its live class in the child (see apply)."""

    def __init__(self, cls, name, defines_hash=False):
        self.cls = cls
        self.name = name
        self.defines_hash = defines_hash  # the class body binds __hash__ itself


def _live_class(modules, qualname):
    # the class object a module-level class statement made (None when it cannot be found for sure)
    for m in modules:
        obj = m
        for part in qualname.split("."):
            obj = getattr(obj, "__dict__", {}).get(part)
        if isinstance(obj, type) and obj.__qualname__ == qualname and obj.__module__ == m.__name__:
            return obj
    return None


def plan_file(path, old, new_src, live, filename, fixture_codes=frozenset(), modules=(), docstrings=False):
    """
    The swaps that turn the live functions of one imported file into the patched version:
    a list of (function, new code), and a Removal per method the patch removed from a class.
    Raises Decline when that cannot be done safely. `old` is the clean text or its Analysis;
    `filename` is the name the module's code was compiled with (co_filename); `modules` the
    live modules imported from the file (where removed methods' classes are looked up).
    `docstrings`: a changed function docstring is set on the live function (DocChange) instead
    of declined; only when no doctest of the file runs (pytest collected them from the old text).
    """
    try:
        if not isinstance(old, Analysis):
            old = Analysis(old, filename)
        new = Source(new_src, filename)
    except SyntaxError as e:
        raise Decline("parse", "%s: %s" % (path, e))
    docs = {} if docstrings else None
    removed = check_skeleton(old.source, new, os.path.basename(path), docs)
    removals = []
    for qual, name, defines_hash in removed:
        cls = _live_class(modules, qual)
        if cls is None or name not in cls.__dict__:
            raise Decline("class-body", "%s.%s: the live class does not hold the removed method" % (qual, name))
        removals.append(Removal(cls, name, defines_hash))
    gone = tuple("%s.%s" % (q, n) for q, n, _ in removed)
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
            if gone and any(o == code for o in unpaired_keys.get(k, [])) and any(_qual(code) == g or _qual(code).startswith(g + ".") for g in gone):
                continue  # a removed method (or code inside it): deleted from its class, not swapped
            if any(o == code for o in unpaired_keys.get(k, [])):
                raise Decline("live-closure", "%s (%s:%d)" % (_qual(code), path, code.co_firstlineno))
            # not compiled from this source: only a problem where the source changed
            if any(o != n for o, n in by_key.get(k, [])):
                raise Decline("rewritten-code", "%s (%s:%d)" % (_qual(code), path, code.co_firstlineno))
            continue
        o, n = match[0]
        if docs and _qual(code) in docs:
            swaps.append(DocChange(f, docs[_qual(code)]))
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
    return swaps + removals


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
    """Assign the new code objects and delete removed methods (in the forked child only)."""
    classes = []
    for s in swaps:
        if isinstance(s, DocChange):
            s.func.__doc__ = s.doc
        elif isinstance(s, Removal):
            cls = s.cls
            hash_was_implicit = s.name == "__eq__" and not s.defines_hash and cls.__dict__.get("__hash__", 0) is None
            delattr(cls, s.name)
            if hash_was_implicit:
                # a class body defining __eq__ without __hash__ gets __hash__ = None; without __eq__ it inherits it
                delattr(cls, "__hash__")
            classes.append(cls)
        else:
            f, code = s
            f.__code__ = code
    if classes:
        import abc

        seen, todo = set(), list(classes)
        while todo:  # abstract methods are computed when a class is created: recompute them
            c = todo.pop()
            if id(c) in seen:
                continue
            seen.add(id(c))
            if isinstance(c, abc.ABCMeta):
                abc.update_abstractmethods(c)
            todo.extend(type.__subclasses__(c))
    return len(swaps)
