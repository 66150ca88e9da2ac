"""The sign-in rules on plain values, both sides of every edge (docs/rules/accounts.md AC4; safe redirects).

The sign-in workflow (counting failures on the account, the lock page, the second step) is tested in
test_auth.py and test_mfa.py.
"""
from datetime import datetime, timedelta

import pytest

from portal.auth.rules import after_failure, is_locked, safe_next

NOW = datetime(2026, 3, 10, 8, 0)


def test_locked_until_a_later_moment_only():
    assert is_locked(NOW + timedelta(seconds=1), NOW) is True
    assert is_locked(NOW, NOW) is False                       # the lock ends at its moment
    assert is_locked(NOW - timedelta(seconds=1), NOW) is False
    assert is_locked(None, NOW) is False


def test_four_failures_in_a_row_do_not_lock_the_fifth_does():
    failed, until = 0, None
    for expected in (1, 2, 3, 4):
        failed, until = after_failure(failed, 5, 15, NOW)
        assert (failed, until) == (expected, None)
    assert after_failure(failed, 5, 15, NOW) == (0, NOW + timedelta(minutes=15))   # the count starts again


@pytest.mark.parametrize("failed,max_failures,minutes,expected", [
    (0, 1, 15, (0, NOW + timedelta(minutes=15))),     # a limit of one locks at once
    (1, 3, 30, (2, None)),
    (2, 3, 30, (0, NOW + timedelta(minutes=30))),
    (7, 5, 1, (0, NOW + timedelta(minutes=1))),       # already past the limit (the setting was lowered)
])
def test_the_lock_follows_the_configured_numbers(failed, max_failures, minutes, expected):
    assert after_failure(failed, max_failures, minutes, NOW) == expected


@pytest.mark.parametrize("target", ["/", "/hours/?page=2", "/awards/rounds/3#top", "/a/b"])
def test_same_site_paths_are_followed(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", [
    None, "", "hours", "https://evil.example/", "//evil.example/x", "/\\evil.example", "/ok\\x",
    "/\x00x", "/x\ny", "/x\ty", "/\x1f", "http:/x", "javascript:alert(1)", "/a//b", "/x\x7f",
])
def test_other_targets_are_refused(target):
    assert safe_next(target) is None


def test_printable_characters_and_spaces_in_the_query_are_allowed():
    assert safe_next("/search?q=a b") == "/search?q=a b"     # a space (32) is not a control character
