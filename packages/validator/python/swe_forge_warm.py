# swe-forge warm runner (shipped with @swe-forge/validator; written into the working copy's
# .git/swe-forge-warm/ and loaded with `-p swe_forge_warm` when SWE_FORGE_WARM_SOCKET is set).
#
# The worker is the environment's own pytest command: it configures pytest, imports the project
# and collects the tests once. Instead of running them, its pytest_runtestloop serves requests
# from the validator on a unix socket (one JSON object per line). For each candidate it forks a
# child that swaps the patched function bodies in (swe_forge_swap), keeps only the selected
# tests and returns to pytest's own run loop, so the child's run is a normal pytest run: same
# plugins, fixtures, per-test timeouts and `-rA` summary, written to a log file the validator
# parses like any other run. The parent waits for the child with a deadline, kills the child's
# whole process group when it is over its time, and stays untouched whatever the child does.
import json
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time

import pytest

_SOCK = os.environ.get("SWE_FORGE_WARM_SOCKET")
# The sandbox gives the worker a private /tmp (bwrap): clear what a child left there.
_PRIVATE_TMP = os.environ.get("SWE_FORGE_WARM_PRIVATE_TMP") == "1"
_ROOT = os.path.realpath(os.environ.get("SWE_FORGE_ROOT") or os.getcwd())
# import + collection must finish within this many seconds (SIGALRM ends a worker stuck there)
_WARMUP_S = int(os.environ.get("SWE_FORGE_WARM_WARMUP_S") or 600)

_listener = [None]
_conn = [None]
_child = [None]  # in a forked child: its state (pipe, per-test timeouts hit, exit status)
_current = [None]  # in the worker: pid of the running child
_session = [None]
_keep = []  # file objects that must stay open in the child


def _bind(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    d, name = os.path.split(path)
    here = os.getcwd()
    # bind by a short relative name: unix socket paths are limited to ~107 bytes
    os.chdir(d)
    try:
        if os.path.exists(name):
            os.unlink(name)
        s.bind(name)
    finally:
        os.chdir(here)
    s.listen(1)
    return s


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    if not _SOCK or _listener[0] is not None:
        return
    # listen early, so the validator can connect while the project is imported and collected
    _listener[0] = _bind(_SOCK)
    # the warm module's own folder is not part of the project: children and their subprocesses
    # get the PYTHONPATH an isolated run would have
    here = os.path.dirname(os.path.abspath(__file__))
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and os.path.abspath(p) != here]
    os.environ["PYTHONPATH"] = os.pathsep.join(parts)
    signal.signal(signal.SIGTERM, _on_term)
    signal.alarm(_WARMUP_S)
    _libc[0] = _load_libc()


def _on_term(signum, frame):
    pid = _current[0]
    if pid:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    os._exit(128 + signum)


def _send(obj):
    data = (json.dumps(obj) + "\n").encode("utf-8")
    _conn[0].sendall(data)


def _unavailable(session):
    config = session.config
    if not hasattr(os, "fork"):
        return "this platform cannot fork"
    if config.pluginmanager.hasplugin("dsession") or getattr(config.option, "numprocesses", None):
        return "pytest-xdist distributes the run (use -p no:xdist)"
    if config.option.collectonly:
        return "the test command only collects (--collect-only)"
    if session.testsfailed and not config.option.continue_on_collection_errors:
        return "%d error(s) during collection and no --continue-on-collection-errors" % session.testsfailed
    try:
        n = len(os.listdir("/proc/self/task"))  # every OS thread, also ones threading does not know
    except OSError:
        n = threading.active_count()
    if n > 1:
        return "the project runs %d threads after collection: a forked child would lose them" % n
    return None


def _fixture_codes(session):
    # code objects of every fixture function: a change to one is declined
    out = set()
    try:
        defs = session._fixturemanager._arg2fixturedefs
    except Exception:
        return out
    for fds in defs.values():
        for fd in fds:
            f = getattr(fd, "func", None)
            seen = 0
            while f is not None and seen < 10:
                seen += 1
                inner = getattr(f, "_get_wrapped_function", None)
                if callable(inner):
                    try:
                        f = inner()
                    except Exception:
                        pass
                code = getattr(getattr(f, "__func__", f), "__code__", None)
                if code is not None:
                    out.add(id(code))
                f = getattr(f, "__wrapped__", None)
    return out


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    if not _SOCK or _child[0] is not None:
        return None
    t0 = time.monotonic()
    _listener[0].settimeout(_WARMUP_S)
    try:
        conn, _ = _listener[0].accept()
    except socket.timeout:
        os._exit(3)
    signal.alarm(0)
    conn.settimeout(None)
    _conn[0] = conn
    why = _unavailable(session)
    if why:
        _send({"op": "unavailable", "reason": why})
        os._exit(0)
    import swe_forge_swap

    live = swe_forge_swap.LiveIndex(_ROOT, os.getcwd())
    fixtures = _fixture_codes(session)
    modules = _module_files()
    cache = _OldCache()
    _send(
        {
            "op": "ready",
            "pid": os.getpid(),
            "collected": len(session.items),
            "collection_errors": session.testsfailed,
            "python": sys.version.split()[0],
            "pytest": pytest.__version__,
            "modules": len(sys.modules),
            "index_s": round(time.monotonic() - t0, 4),
        }
    )
    # objects that exist now are never collected by the worker: keep them out of its collections, so
    # a child's collections do not touch (and copy) every page it shares with the worker
    import gc

    gc.collect()
    gc.freeze()
    reader = conn.makefile("rb")
    tmp_before = set(_listdir("/tmp")) if _PRIVATE_TMP else None
    while True:
        line = reader.readline()
        if not line:
            os._exit(0)  # the validator went away
        req = json.loads(line)
        if req.get("op") == "quit":
            os._exit(0)
        if req.get("op") != "run":
            _send({"op": "error", "id": req.get("id"), "error": "unknown op %r" % req.get("op")})
            continue
        # parsing and compiling the clean files runs no project code: done here, kept for later candidates
        analyses = cache.get(req.get("files") or [], live, modules)
        result = _run_one(session, req, (live, fixtures, modules, analyses))
        if result is None:
            return None  # in the forked child: let pytest's own loop run the selected tests
        if tmp_before is not None:
            _clear_new(tmp_before)
        _send(result)


def _listdir(d):
    try:
        return os.listdir(d)
    except OSError:
        return []


def _clear_new(before):
    for name in _listdir("/tmp"):
        if name in before:
            continue
        p = os.path.join("/tmp", name)
        try:
            if os.path.ismount(p):
                continue
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p, ignore_errors=True)
            else:
                os.unlink(p)
        except OSError:
            pass


def _run_one(session, req, ctx):
    sys.stdout.flush()
    sys.stderr.flush()
    scratch = tempfile.mkdtemp(prefix="swe-forge-warm-")
    rfd, wfd = os.pipe()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        _become_child(session, req, wfd, ctx, scratch)
        return None
    _current[0] = pid
    os.close(wfd)
    try:
        msgs, status, timed_out = _wait(pid, rfd, float(req.get("timeout_s") or 3600))
    finally:
        _current[0] = None
        os.close(rfd)
        shutil.rmtree(scratch, ignore_errors=True)
    out = {"op": "result", "id": req.get("id"), "duration_s": round(time.monotonic() - t0, 4), "timed_out": timed_out}
    for m in msgs:
        out.update(m)
    if os.WIFSIGNALED(status):
        out["exit_code"] = None
        out["signal"] = signal.Signals(os.WTERMSIG(status)).name if os.WTERMSIG(status) in signal.valid_signals() else str(os.WTERMSIG(status))
    else:
        out["exit_code"] = os.WEXITSTATUS(status)
        out["signal"] = None
    return out


def _exited(pid):
    # True once the child is a zombie; it is not reaped, so its pid (= its group id) stays reserved
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None and info.si_pid == pid


def _wait(pid, rfd, timeout_s):
    deadline = time.monotonic() + timeout_s
    pidfd = None
    if hasattr(os, "pidfd_open"):
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            pidfd = None
    buf = b""
    pipe_open = True
    timed_out = False
    try:
        while True:
            if _exited(pid):
                break
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            fds = ([rfd] if pipe_open else []) + ([pidfd] if pidfd is not None else [])
            # without a pidfd, poll the child's state every few milliseconds
            r, _, _ = select.select(fds, [], [], min(left, 0.005 if pidfd is None else left))
            if pipe_open and rfd in r:
                chunk = os.read(rfd, 65536)
                if chunk:
                    buf += chunk
                else:
                    pipe_open = False
    finally:
        # the child's whole group: a timed-out child, and whatever it left running
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        if pidfd is not None:
            os.close(pidfd)
    _, status = os.waitpid(pid, 0)
    while pipe_open:
        r, _, _ = select.select([rfd], [], [], 0.05)
        if not r:
            break
        chunk = os.read(rfd, 65536)
        if not chunk:
            break
        buf += chunk
    msgs = []
    for line in buf.decode("utf-8", "replace").splitlines():
        try:
            msgs.append(json.loads(line))
        except ValueError:
            pass
    return msgs, status, timed_out


# --- in the forked child ---------------------------------------------------------------


def _child_send(obj):
    try:
        os.write(_child[0]["wfd"], (json.dumps(obj) + "\n").encode("utf-8"))
    except OSError:
        pass


def _load_libc():
    # loaded in the worker, once: a child only calls prctl
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True)
    except Exception:
        return None


_libc = [None]


def _pdeathsig():
    # die with the worker: a child must never outlive it
    try:
        if _libc[0] is not None:
            _libc[0].prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _redirect(config, fd):
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    # pytest's fd capture restores the descriptors it saved when it suspends: point those at the log too
    capman = config.pluginmanager.getplugin("capturemanager")
    glob = getattr(capman, "_global_capturing", None)
    for cap in (getattr(glob, "out", None), getattr(glob, "err", None)):
        saved = getattr(cap, "targetfd_save", None)
        if isinstance(saved, int):
            try:
                os.dup2(fd, saved)
            except OSError:
                pass
    if glob is not None:
        try:
            glob.readouterr()  # whatever an earlier, killed child left in the shared capture files
        except Exception:
            pass
    try:
        import faulthandler

        if faulthandler.is_enabled():
            # like pytest's own: on a descriptor of its own, which test output capture does not replace
            _keep.append(os.fdopen(os.dup(fd), "w"))
            faulthandler.enable(file=_keep[-1], all_threads=True)
    except Exception:
        pass
    tr = config.pluginmanager.getplugin("terminalreporter")
    # the run's duration in the summary line counts from now, not from the worker's start
    try:
        from _pytest import timing

        if hasattr(tr, "_session_start"):
            tr._session_start = timing.Instant()
        elif hasattr(tr, "_sessionstarttime"):
            tr._sessionstarttime = timing.time()
    except Exception:
        pass


def _module_files():
    # real path of each imported module's file -> module objects, and extension modules by stem
    by_file, ext = {}, {}
    for name, m in list(sys.modules.items()):
        f = getattr(m, "__file__", None)
        if not f:
            continue
        try:
            p = os.path.realpath(f)
        except Exception:
            continue
        if p.endswith(".py"):
            by_file.setdefault(p, []).append(m)
        elif p.endswith((".so", ".pyd")):
            stem = os.path.join(os.path.dirname(p), os.path.basename(p).split(".")[0])
            ext[stem] = name
    return by_file, ext


def _plan_swaps(files, live, fixtures, modules=None, analyses=None, tests=()):
    """
    The swaps for a candidate's patched files, and a summary per file; raises Decline.
    `modules` is `_module_files()` (computed once by the worker), `analyses` the clean side of
    imported files by real path (parsed and compiled once by the worker).
    """
    import importlib

    import swe_forge_swap

    importlib.invalidate_caches()  # patched or new files on disk are imported from there
    by_file, ext = modules or _module_files()
    swaps, swapped = [], []
    for f in files:
        p = os.path.realpath(os.path.join(_ROOT, f["path"]))
        if not p.endswith(".py"):
            continue
        if p not in by_file:
            if p[:-3] in ext:
                raise swe_forge_swap.Decline("c-extension", "%s is loaded from a compiled extension (%s)" % (f["path"], ext[p[:-3]]))
            try:
                compile(f["new"], p, "exec", dont_inherit=True)
            except SyntaxError as e:
                raise swe_forge_swap.Decline("parse", "%s: %s" % (f["path"], e))
            continue  # not imported yet: an import in this run reads the patched file from disk
        filename = _code_filename(p, live, by_file)
        old = (analyses or {}).get(p)
        if old is None or old.source.text != f["old"]:
            old = f["old"]
        # a doctest of this file (node id `path::name`) was collected from the old docstrings
        doctests = any(t.startswith(f["path"] + "::") for t in tests)
        plan = swe_forge_swap.plan_file(p, old, f["new"], live, filename, fixtures, by_file[p], docstrings=not doctests)
        swaps.extend(plan)
        removed = [s for s in plan if isinstance(s, swe_forge_swap.Removal)]
        entry = {"path": f["path"], "functions": sum(1 for s in plan if isinstance(s, tuple))}
        if removed:
            entry["removed"] = ["%s.%s" % (r.cls.__qualname__, r.name) for r in removed]
        swapped.append(entry)
    return swaps, swapped


def _code_filename(p, live, by_file):
    # the name the module's functions were compiled with (what co_filename says)
    fns = live.functions(p)
    return fns[0].__code__.co_filename if fns else (getattr(by_file[p][0], "__file__", None) or p)


class _OldCache:
    """The clean side of imported files, parsed and compiled in the worker once per file (a few kept)."""

    def __init__(self, size=64):
        self.size = size
        self.items = {}

    def get(self, files, live, modules):
        import swe_forge_swap

        by_file = modules[0]
        out = {}
        for f in files:
            p = os.path.realpath(os.path.join(_ROOT, f["path"]))
            if p not in by_file:
                continue
            a = self.items.pop(p, None)
            if a is None or a.source.text != f["old"]:
                try:
                    a = swe_forge_swap.Analysis(f["old"], _code_filename(p, live, by_file))
                except Exception:
                    continue  # the child reports it
            self.items[p] = a  # most recently used last
            while len(self.items) > self.size:
                self.items.pop(next(iter(self.items)))
            out[p] = a
        return out


def decline_of(exc):
    """(kind, detail) of an exception raised while planning a swap: a Decline's own, else `error`."""
    kind = getattr(exc, "kind", None)
    if kind:
        return kind, getattr(exc, "detail", str(exc))
    return "error", "%s: %s" % (type(exc).__name__, exc)


def _become_child(session, req, wfd, ctx, scratch):
    live, fixtures, modules, analyses = ctx
    config = session.config
    _child[0] = {"wfd": wfd, "timeouts": [], "exit": None, "t0": time.monotonic()}
    for s in (_conn[0], _listener[0]):
        try:
            s.close()
        except Exception:
            pass
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for k in ("SWE_FORGE_WARM_SOCKET", "SWE_FORGE_WARM_PRIVATE_TMP", "SWE_FORGE_WARM_WARMUP_S"):
        os.environ.pop(k, None)  # a test that starts pytest in a subprocess starts a plain one
    os.setpgid(0, 0)
    _pdeathsig()
    fd = os.open(os.path.join(_ROOT, req["log"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    _redirect(config, fd)
    os.close(fd)
    # a private scratch folder (tempfile, pytest's tmp_path), removed by the worker afterwards
    os.environ["TMPDIR"] = scratch
    tempfile.tempdir = scratch
    try:
        swaps, swapped = _plan_swaps(req.get("files") or [], live, fixtures, modules, analyses, req.get("tests") or ())
    except Exception as e:
        kind, detail = decline_of(e)
        _child_send({"declined": kind, "detail": detail})
        os._exit(0)
    import linecache

    import swe_forge_swap

    swe_forge_swap.apply(swaps)
    linecache.checkcache()  # tracebacks and inspect.getsource read the patched files
    import gc

    gc.unfreeze()  # the tests see the garbage collector exactly as in a fresh process
    _child_send({"swapped": swapped, "plan_s": round(time.monotonic() - _child[0]["t0"], 4)})
    wanted = set(req.get("tests") or [])
    keep = [it for it in session.items if it.nodeid in wanted]
    drop = [it for it in session.items if it.nodeid not in wanted]
    found = set(it.nodeid for it in keep)
    missing = sorted(wanted - found)
    if missing:
        _child_send({"missing": missing[:1000], "n_missing": len(missing)})
    if drop:
        config.hook.pytest_deselected(items=drop)
    session.items[:] = keep
    table = req.get("test_timeouts")
    if table and config.pluginmanager.hasplugin("timeout"):
        default = table.get("*")
        for it in keep:
            seconds = table.get(it.nodeid, default)
            if seconds and it.get_closest_marker("timeout") is None:
                it.add_marker(pytest.mark.timeout(seconds, method="signal"))
    # a fresh run of the selected tests: collection errors of other files are not this run's
    session.testsfailed = 0
    session.shouldstop = False
    session.shouldfail = False
    tr = config.pluginmanager.getplugin("terminalreporter")
    if tr is not None:
        try:
            tr.stats.pop("error", None)
        except Exception:
            pass


def pytest_runtest_logreport(report):
    st = _child[0]
    if st is None:
        return
    if report.failed and "from pytest-timeout" in (getattr(report, "longreprtext", "") or ""):
        st["timeouts"].append(report.nodeid)
        if _session[0] is not None:
            _session[0].shouldstop = "swe-forge: %s exceeded its per-test timeout" % report.nodeid


def pytest_sessionstart(session):
    _session[0] = session


def pytest_sessionfinish(session, exitstatus):
    if _child[0] is not None:
        _child[0]["exit"] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    st = _child[0]
    if st is None:
        return
    _child_send({"timeouts": st["timeouts"], "pytest_exit": st["exit"], "child_s": round(time.monotonic() - st["t0"], 4)})
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    # skip interpreter teardown of the whole imported project
    os._exit(st["exit"] if st["exit"] is not None else 3)
