"""The suite stands on its own: a test that opens or lists a path beside the repository fails.

A pytest plugin (loaded by tests/conftest.py). An audit hook (sys.addaudithook) watches the
"open", "os.listdir" and "os.scandir" events and records every path that resolves inside the
repository's parent directory but outside the repository, e.g. a fixtures folder beside it. Raising inside
an audit hook could be swallowed by the code that opened the file, so the hook only records; the
runtest wrappers below fail the test (or its setup or teardown) that made the access. Accesses
outside any test (collection, module level) fail the run at the end.

Allowed beside the repository: the virtual environment and the Python installation, the home
directory (caches), and pytest's temporary directories. When the repository sits directly in the
system temporary directory (a clone in /tmp), entries that appear there during the run (tempfile
files, pytest's tmp_path) are allowed too, and so is the directory itself (tempfile opens it with
O_TMPFILE); entries that were already there are siblings.
"""
import os
import site
import sys
import sysconfig
import tempfile
import threading
from pathlib import Path

import pytest

ROOT = os.path.realpath(Path(__file__).resolve().parent.parent)
PARENT = os.path.dirname(ROOT)
WATCHED = frozenset({"open", "os.listdir", "os.scandir"})

_state = threading.local()
_violations: list[tuple[str, str]] = []      # (event, resolved path), since the last check
_active = False
_allowed: tuple[str, ...] = ()
_parent_is_temp = False
_parent_entries_at_start: frozenset = frozenset()


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _configure_allowed(extra=()) -> None:
    global _allowed, _parent_is_temp, _parent_entries_at_start
    places = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.expanduser("~"), *extra}
    places.update(p for p in sysconfig.get_paths().values() if p)
    places.update(site.getsitepackages() + [site.getusersitepackages()])
    resolved = {os.path.realpath(p) for p in places if p}
    # The parent itself (e.g. / or /tmp) and the repository's ancestors are never "allowed places":
    # that would allow everything beside the repository.
    _allowed = tuple(sorted(p for p in resolved if not _inside(ROOT, p)))
    _parent_is_temp = os.path.realpath(tempfile.gettempdir()) == PARENT
    try:
        _parent_entries_at_start = frozenset(os.listdir(PARENT)) if _parent_is_temp else frozenset()
    except OSError:
        _parent_entries_at_start = frozenset()


def outside_repository(path) -> str | None:
    """The resolved `path` when it lies beside the repository (inside its parent directory, outside
    the repository and the allowed places), else None. File descriptors are never beside."""
    if path is None or isinstance(path, int):
        return None
    try:
        path = os.fsdecode(os.fspath(path))
    except TypeError:
        return None
    resolved = os.path.realpath(path)
    if not _inside(resolved, PARENT) or _inside(resolved, ROOT):
        return None
    if any(_inside(resolved, place) for place in _allowed):
        return None
    if _parent_is_temp:
        if resolved == PARENT:
            return None                      # tempfile opens the directory itself (O_TMPFILE)
        entry = os.path.relpath(resolved, PARENT).split(os.sep)[0]
        if entry not in _parent_entries_at_start:
            return None                      # made during the run: a temporary file, not a sibling
    return resolved


def _audit(event, args, _watched=WATCHED):
    # Bound as a default: at interpreter exit the module's globals are gone but the hook stays.
    if event not in _watched:
        return
    try:
        if not _active or getattr(_state, "busy", False):
            return
        _state.busy = True                   # realpath must not re-enter the hook
        try:
            path = args[0] if args else None
            beside = outside_repository("." if path is None else path)
            if beside is not None:
                _violations.append((event, beside))
        finally:
            _state.busy = False
    except Exception:                        # never break the code under test (nor the exit)
        pass


def take_violations() -> list[tuple[str, str]]:
    """The accesses recorded since the last call, cleared."""
    taken = list(_violations)
    del _violations[:len(taken)]
    return taken


def _message(where: str, violations) -> str:
    lines = "\n".join(f"  {event}: {path}" for event, path in dict.fromkeys(violations))
    return (f"{where} reached outside the repository {ROOT} (its parent is {PARENT}):\n{lines}\n"
            "Tests must stand on their own: copy what they need into the repository "
            "(e.g. tests/fixtures/) and read it from there.")


_outside_tests: list[tuple[str, str]] = []


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    global _active
    from _pytest.tmpdir import get_user
    extra = [os.path.join(tempfile.gettempdir(), f"pytest-of-{get_user() or 'unknown'}")]
    if config.option.basetemp:
        extra.append(os.path.dirname(os.path.realpath(config.option.basetemp)))
    _configure_allowed(extra)
    if not getattr(sys, "_portal_path_guard_installed", False):
        sys.addaudithook(_audit)             # cannot be removed; _active switches it off
        sys._portal_path_guard_installed = True
    take_violations()
    _active = True


def pytest_unconfigure(config):
    global _active
    _active = False


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """A module that reads beside the repository when imported fails to collect."""
    report = yield
    violations = take_violations()
    if violations and report.outcome != "failed":
        report.outcome = "failed"
        report.longrepr = _message(f"collecting {collector.nodeid or collector.name}", violations)
    return report


def _run_phase(item, phase):
    """Generator body of the runtest wrappers: fail the phase that reached outside the repository;
    when the phase failed anyway (FileNotFoundError for a missing folder beside the repository), say why in a note."""
    _outside_tests.extend(take_violations())   # between tests: reported at the end
    try:
        result = yield
    except BaseException as exc:
        violations = take_violations()
        if violations:
            exc.add_note(_message(f"{item.nodeid} ({phase})", violations))
        raise
    violations = take_violations()
    if violations:
        pytest.fail(_message(f"{item.nodeid} ({phase})", violations), pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    return (yield from _run_phase(item, "setup"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    return (yield from _run_phase(item, "call"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    return (yield from _run_phase(item, "teardown"))


def pytest_sessionfinish(session, exitstatus):
    _outside_tests.extend(take_violations())
    if _outside_tests:
        session.config._portal_path_guard_report = _message("The run (outside any test)", _outside_tests)
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    report = getattr(config, "_portal_path_guard_report", None)
    if report:
        terminalreporter.section("path guard", red=True)
        terminalreporter.line(report)
