"""The path guard (tests/path_guard.py): a test that opens or lists a path beside the repository
fails, with the path in the message; the repository, system places and temporary files are fine."""
import os
import sys
import uuid

import pytest

from tests import path_guard
from tests.path_guard import PARENT, ROOT, outside_repository

pytest_plugins = ["pytester"]


def beside() -> str:
    """A path beside the repository that does not exist (nothing is read): in a new folder of the parent
    directory, or, when the repository is a clone in the temporary directory (where only what was there
    before the run counts as a sibling), under an entry that was there before the run."""
    name = f"no-such-file-{uuid.uuid4().hex}.csv"
    if not path_guard._parent_is_temp:
        return os.path.join(PARENT, f"no-such-sibling-{uuid.uuid4().hex}", name)
    entries = (os.path.join(PARENT, entry) for entry in path_guard._parent_entries_at_start)
    siblings = sorted(path for path in entries if os.path.realpath(path) == path and outside_repository(path))
    if not siblings:
        pytest.skip("the repository has no sibling in the temporary directory")
    return os.path.join(siblings[0], name)


def test_paths_beside_the_repository_are_flagged_and_others_are_not(tmp_path):
    sibling = beside()
    assert outside_repository(sibling) == sibling
    if not path_guard._parent_is_temp:
        assert outside_repository(os.path.join(ROOT, "..")) == PARENT
        assert outside_repository(os.path.join(ROOT, "tests", "..", "..", "shared", "x")) == \
            os.path.join(PARENT, "shared", "x")
        assert outside_repository(ROOT + "-other") == ROOT + "-other"     # a longer name is not inside
    for fine in (ROOT, os.path.join(ROOT, "tests", "fixtures", "imports", "roster.csv"), sys.prefix,
                 os.path.dirname(os.__file__), "/etc/hosts", "/proc/self/status", str(tmp_path), 3, None):
        assert outside_repository(fine) is None, fine


def test_opening_and_listing_beside_the_repository_is_recorded():
    path_guard.take_violations()
    sibling = beside()
    with pytest.raises(OSError):
        open(sibling, "rb")
    with pytest.raises(OSError):
        os.listdir(sibling)
    with pytest.raises(OSError):
        os.scandir(sibling)
    open(os.path.join(ROOT, "pyproject.toml"), "rb").close()
    # Taken here so that this test passes; left in place they would fail it (next test).
    assert path_guard.take_violations() == [("open", sibling), ("os.listdir", sibling), ("os.scandir", sibling)]


def test_a_test_that_reads_beside_the_repository_fails_and_says_where(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    sibling = beside()
    pytester.makepyfile(test_reads=f"""
        import os

        def test_reads_a_sibling():
            try:
                open({sibling!r}, "rb")
            except OSError:
                pass                      # swallowed: the guard still fails the test

        def test_reads_inside_the_repository():
            open({os.path.join(ROOT, "pyproject.toml")!r}, "rb").close()
            os.listdir({ROOT!r})
    """)
    pytester.makepyfile(test_at_import=f"""
        try:
            open({sibling!r}, "rb")
        except OSError:
            pass

        def test_never_runs():
            pass
    """)
    result = pytester.runpytest_subprocess("-p", "tests.path_guard", "-p", "no:xdist", "-p", "no:playwright",
                                           "-p", "no:cacheprovider", "--continue-on-collection-errors")
    result.assert_outcomes(passed=1, failed=1, errors=1)
    result.stdout.fnmatch_lines([              # the collection error, then the failed test
        "*collecting test_at_import.py reached outside the repository*",
        f"*open: {sibling}",
        "*test_reads.py::test_reads_a_sibling (call) reached outside the repository*",
        f"*open: {sibling}",
    ])
