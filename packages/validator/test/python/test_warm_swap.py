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


@pytest.fixture
def mod(tmp_path, monkeypatch):
    """Import BASE as a fresh module from a temp folder; returns (module, path, live index factory)."""
    name = "warmmod_%d" % id(tmp_path)
    path = tmp_path / (name + ".py")
    path.write_text(BASE)
    monkeypatch.syspath_prepend(str(tmp_path))
    m = importlib.import_module(name)
    yield m, str(path), lambda: swap.LiveIndex(str(tmp_path), str(tmp_path))
    sys.modules.pop(name, None)


def plan(mod, new, fixtures=frozenset()):
    m, path, index = mod
    return swap.plan_file(path, BASE, new, index(), path, fixtures)


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
