"""The warm runner's swap planner (python/swe_forge_swap.py) and the child's decline rules: every
decline kind, and the swaps that must work (run with pytest by src/warm/swap.test.ts)."""
import importlib
import os
import sys
import textwrap
import types

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

import swe_forge_swap as swap  # noqa: E402
import swe_forge_warm as warm  # noqa: E402

BASE = '''\
import functools
import os

X = 1


def add(a, b=2):
    """Adds."""
    return a + b


def deco(fn):
    @functools.wraps(fn)
    def wrapper(*a):
        return fn(*a)

    return wrapper


@deco
def wrapped(x):
    return x + 1


def make(k):
    def inner(x):
        return x * k

    return inner


tripler = make(3)


class C(object):
    y = 3

    def m(self):
        return self.y + 1

    @property
    def p(self):
        return 5


def gen():
    yield 1
    yield 2


G = gen()
next(G)


def later():
    return add(1)
'''


def _fresh_module(tmp_path, monkeypatch, prefix, source):
    """Import `source` as a fresh module from a temp folder; yields (module, path, live index factory)."""
    name = "%s_%d" % (prefix, id(tmp_path))
    path = tmp_path / (name + ".py")
    path.write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    m = importlib.import_module(name)
    yield m, str(path), lambda: swap.LiveIndex(str(tmp_path), str(tmp_path))
    sys.modules.pop(name, None)


@pytest.fixture
def mod(tmp_path, monkeypatch):
    """BASE imported as a fresh module: (module, path, live index factory)."""
    yield from _fresh_module(tmp_path, monkeypatch, "warmmod", BASE)


def plan(mod, new, fixtures=frozenset()):
    m, path, index = mod
    return swap.plan_file(path, BASE, new, index(), path, fixtures, [m])


def declined(mod, new, **kw):
    with pytest.raises(swap.Decline) as e:
        plan(mod, new, **kw)
    return e.value.kind


def test_function_bodies_are_swapped_everywhere_they_are_referenced(mod):
    m = mod[0]
    new = BASE.replace("return a + b", "return a - b").replace("return x + 1", "return x + 10").replace("return x * k", "return x * k * 2").replace("return self.y + 1", "return self.y + 2").replace("return 5", "return 6")
    swaps = plan(mod, new)
    swap.apply(swaps)
    assert m.add(5) == 3
    assert m.later() == -1  # a caller in the same module
    assert m.wrapped(1) == 11  # behind functools.wraps
    assert m.tripler(2) == 12  # a closure made at import
    assert m.make(2)(2) == 8  # one made after the swap
    assert m.C().m() == 5 and m.C().p == 6  # a method and a property


def test_a_line_shift_moves_the_functions_below_it(mod):
    m = mod[0]
    new = BASE.replace("    return a + b\n", "    c = a + b\n    return c\n")
    swap.apply(plan(mod, new))
    assert m.add(1) == 3
    # every function below the change now carries its new line numbers
    assert m.later.__code__.co_firstlineno == BASE.count("\n", 0, BASE.index("def later")) + 2


@pytest.mark.parametrize(
    "old, new, kind",
    [
        ("X = 1", "X = 2", "module-level"),
        ("import os\n", "import sys\n", "import"),
        ("class C(object):", "class C:", "class-header"),
        ("    y = 3", "    y = 4", "class-body"),
        ("@deco\ndef wrapped", "def wrapped", "decorator"),
        ("    @property\n    def p", "    @staticmethod\n    def p", "decorator"),
        ("def add(a, b=2):", "def add(a, b=3):", "signature"),
        ('"""Adds."""', '"""Subtracts."""', "docstring"),
        ("    return a + b", "    return a + b +", "parse"),
    ],
)
def test_import_time_changes_are_declined(mod, old, new, kind):
    assert old in BASE
    assert declined(mod, BASE.replace(old, new)) == kind


CLASSES = '''\
import abc


class Base(abc.ABC):
    @abc.abstractmethod
    def area(self):
        raise NotImplementedError


class Square(Base):
    side = 2

    def area(self):
        return self.side * self.side

    def grow(self):
        self.side += 1
        return self

    @property
    def double(self):
        return self.area() * 2

    def __eq__(self, other):
        return isinstance(other, Square) and other.side == self.side


class Child(Square):
    def twice(self):
        return self.grow().area()


class Aliased:
    def f(self):
        return 1

    g = f


def helper():
    return Square().area()
'''


@pytest.fixture
def classes(tmp_path, monkeypatch):
    """CLASSES imported as a fresh module: (module, path, live index factory)."""
    yield from _fresh_module(tmp_path, monkeypatch, "warmcls", CLASSES)


def _without(src, block):
    assert block in src
    return src.replace(block, "")


def plan_classes(classes, new):
    m, path, index = classes
    return swap.plan_file(path, CLASSES, new, index(), path, frozenset(), [m])


def test_a_removed_method_is_deleted_from_its_live_class_and_bodies_below_still_swap(classes):
    m = classes[0]
    new = _without(CLASSES, "    def grow(self):\n        self.side += 1\n        return self\n\n").replace("return Square().area()", "return Square().area() + 1")
    swaps = plan_classes(classes, new)
    assert [(r.cls.__name__, r.name) for r in swaps if isinstance(r, swap.Removal)] == [("Square", "grow")]
    swap.apply(swaps)
    assert not hasattr(m.Square(), "grow")
    with pytest.raises(AttributeError):
        m.Child().twice()  # a subclass sees the removal through its MRO
    assert m.helper() == 5  # a function below the removal got its new code
    assert m.Square().double == 8


def test_reordered_methods_keep_working_with_their_new_line_numbers(classes):
    m = classes[0]
    grow = "    def grow(self):\n        self.side += 1\n        return self\n\n"
    area = "    def area(self):\n        return self.side * self.side\n\n"
    new = CLASSES.replace(area + grow, grow + area)
    assert new != CLASSES
    swap.apply(plan_classes(classes, new))
    assert m.Square().area() == 4 and m.Square().grow().side == 3
    assert m.Square.area.__code__.co_firstlineno == new.count("\n", 0, new.index("    def area(self):\n        return self.side")) + 1


def test_removing_an_implementation_of_an_abstract_method_makes_the_class_abstract_again(classes):
    m = classes[0]
    swap.apply(plan_classes(classes, _without(CLASSES, "    def area(self):\n        return self.side * self.side\n\n")))
    with pytest.raises(TypeError):
        m.Square()  # as importing the patched module would make it
    with pytest.raises(TypeError):
        m.Child()


def test_removing_eq_restores_the_inherited_hash(classes):
    m = classes[0]
    assert m.Square.__hash__ is None  # __eq__ without __hash__
    swap.apply(plan_classes(classes, _without(CLASSES, "    def __eq__(self, other):\n        return isinstance(other, Square) and other.side == self.side\n")))
    assert m.Square.__hash__ is object.__hash__
    assert m.Square() != m.Square()


@pytest.mark.parametrize(
    "change, why",
    [
        (lambda s: _without(s, "    def f(self):\n        return 1\n\n"), "refers to a method by name"),  # g = f would fail
        (lambda s: s.replace("    def twice(self):", "    def thrice(self):\n        return 3\n\n    def twice(self):"), "a method was added"),
        (lambda s: _without(_without(s, "    side = 2\n\n"), "    def grow(self):\n        self.side += 1\n        return self\n\n"), "statements added or removed"),
    ],
)
def test_class_changes_a_deletion_cannot_reproduce_are_declined(classes, change, why):
    with pytest.raises(swap.Decline) as e:
        plan_classes(classes, change(CLASSES))
    assert e.value.kind == "class-body" and why in e.value.detail


def test_a_removed_decorated_method_is_declined_unless_its_decorator_only_wraps_it(classes):
    m = classes[0]
    swaps = plan_classes(classes, _without(CLASSES, "    @property\n    def double(self):\n        return self.area() * 2\n\n"))
    swap.apply(swaps)
    assert not hasattr(m.Square(), "double")
    src = CLASSES.replace("    def grow(self):", "    @abc.abstractmethod\n    def grow(self):")
    m2, path, index = classes
    with pytest.raises(swap.Decline) as e:
        swap.plan_file(path, src, _without(src, "    @abc.abstractmethod\n    def grow(self):\n        self.side += 1\n        return self\n\n"), index(), path, frozenset(), [m2])
    assert e.value.kind == "class-body" and "decorated" in e.value.detail


def test_a_changed_docstring_is_set_on_the_live_function_unless_doctests_of_the_file_run(mod):
    m, path, index = mod
    # a shuffled body (SWE-smith's ctrl_shuffle) moves the docstring away: __doc__ becomes None
    new = BASE.replace('    """Adds."""\n    return a + b\n', '    return a + b\n    """Adds."""\n')
    swap.apply(swap.plan_file(path, BASE, new, index(), path, frozenset(), [m], docstrings=True))
    assert m.add.__doc__ is None and m.add(1) == 3
    # without permission (a doctest of the file runs) a changed docstring is declined
    assert declined(mod, BASE.replace('"""Adds."""', '"""Subtracts."""')) == "docstring"


def test_a_changed_docstring_is_declined_when_a_doctest_of_its_file_runs(tmp_path, monkeypatch):
    old = 'def f():\n    """\n    >>> f()\n    1\n    """\n    return 1\n'
    new = 'def f():\n    """\n    >>> f()\n    2\n    """\n    return 2\n'
    (tmp_path / "docmod.py").write_text(old)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(warm, "_ROOT", str(tmp_path))
    m = importlib.import_module("docmod")
    try:
        files = [{"path": "docmod.py", "old": old, "new": new}]
        live = swap.LiveIndex(str(tmp_path), str(tmp_path))
        with pytest.raises(swap.Decline) as e:
            warm._plan_swaps(files, live, frozenset(), tests=["docmod.py::docmod.f", "tests/test_x.py::t"])
        assert e.value.kind == "docstring"
        swaps, swapped = warm._plan_swaps(files, live, frozenset(), tests=["tests/test_x.py::t"])
        swap.apply(swaps)
        assert m.f() == 2 and "2" in m.f.__doc__ and swapped == [{"path": "docmod.py", "functions": 1}]
    finally:
        sys.modules.pop("docmod", None)


def test_a_new_free_variable_is_declined(mod):
    # m() now uses super(): its code needs a __class__ cell the live function has not got
    assert declined(mod, BASE.replace("return self.y + 1", "return super().__hash__() and self.y + 1")) == "closure"


def test_a_closure_made_at_import_from_changed_nested_code_is_declined(mod):
    # the nested function is renamed: the live `tripler` cannot be matched to new code
    new = BASE.replace("    def inner(x):\n        return x * k\n\n    return inner", "    def inner2(x):\n        return x * k\n\n    return inner2")
    assert declined(mod, new) == "live-closure"


def test_a_generator_suspended_in_changed_code_is_declined(mod):
    assert declined(mod, BASE.replace("    yield 2", "    yield 3")) == "suspended-generator"


def test_code_rewritten_after_compilation_is_declined(mod):
    m = mod[0]
    # as an import hook or a decorator might: the live code no longer matches the source
    m.add.__code__ = m.add.__code__.replace(co_consts=m.add.__code__.co_consts + (None,))
    assert declined(mod, BASE.replace("return a + b", "return a - b")) == "rewritten-code"


def test_fixtures_and_hooks_are_declined(mod):
    m = mod[0]
    assert declined(mod, BASE.replace("return a + b", "return a - b"), fixtures=frozenset([id(m.add.__code__)])) == "fixture"
    hook_src = BASE + "\n\ndef pytest_runtest_setup(item):\n    return None\n"
    m2, path, index = mod
    with open(path, "w") as f:
        f.write(hook_src)
    ns = {}
    exec(compile(hook_src, path, "exec"), ns)
    live = index()
    with pytest.raises(swap.Decline) as e:
        swap.plan_file(path, hook_src, hook_src.replace("return None", "return 1"), live, path)
    assert e.value.kind == "hook"


def test_a_module_loaded_from_a_compiled_extension_is_declined(tmp_path, monkeypatch):
    src = tmp_path / "fastmod.py"
    src.write_text("def f():\n    return 1\n")
    fake = types.ModuleType("fastmod")
    fake.__file__ = str(tmp_path / "fastmod.cpython-311-x86_64-linux-gnu.so")
    monkeypatch.setitem(sys.modules, "fastmod", fake)
    monkeypatch.setattr(warm, "_ROOT", str(tmp_path))
    live = swap.LiveIndex(str(tmp_path), str(tmp_path))
    with pytest.raises(swap.Decline) as e:
        warm._plan_swaps([{"path": "fastmod.py", "old": "def f():\n    return 1\n", "new": "def f():\n    return 2\n"}], live, frozenset())
    assert e.value.kind == "c-extension"


def test_a_file_not_imported_yet_is_left_to_the_import_system(tmp_path, monkeypatch):
    monkeypatch.setattr(warm, "_ROOT", str(tmp_path))
    live = swap.LiveIndex(str(tmp_path), str(tmp_path))
    swaps, swapped = warm._plan_swaps([{"path": "notyet.py", "old": "", "new": "def f():\n    return 2\n"}], live, frozenset())
    assert swaps == [] and swapped == []
    with pytest.raises(swap.Decline) as e:
        warm._plan_swaps([{"path": "notyet.py", "old": "", "new": "def f(:\n"}], live, frozenset())
    assert e.value.kind == "parse"


def test_an_unexpected_failure_while_planning_is_a_decline_of_kind_error():
    assert warm.decline_of(swap.Decline("docstring", "f")) == ("docstring", "f")
    kind, detail = warm.decline_of(KeyError("boom"))
    assert kind == "error" and "KeyError" in detail


def test_every_decline_kind_is_documented():
    kinds = set(swap.DECLINE_KINDS)
    assert kinds == {"parse", "module-level", "import", "class-header", "class-body", "decorator", "signature", "docstring", "closure", "live-closure", "suspended-generator", "rewritten-code", "fixture", "hook", "c-extension"}
