"""Figures of years that are over, kept for a while by each worker.

A past year's hours, record books and honor cards still change now and then (an entry made late for
December, a county importing old cards), but not from one page view to the next, and at the ministry's
scope each is a count over hundreds of thousands of rows. So a worker keeps them for
STATS_PAST_SECONDS (config, 600 by default; 0 turns the memo off) per scope and figure; this year's
figures are always read live. The page says how old the past years may be (templates/stats).
"""
import threading
import time
from collections.abc import Callable

from flask import current_app

MAX_ENTRIES = 20_000        # one per scope and figure: every county, field and unit a worker ever showed

_entries: dict[tuple, tuple[float, dict]] = {}
_lock = threading.Lock()


def per_year(key: tuple, years: list[int], this_year: int, read: Callable[[list[int]], dict[int, int]]) -> dict:
    """{year: value} for `years`: the past ones from the memo when fresh (else read and kept), the current
    (and any later) year read now; `read(years)` returns {year: value} for the years it is given."""
    seconds = current_app.config.get("STATS_PAST_SECONDS", 600)
    past = sorted(y for y in years if y < this_year)
    now = [y for y in years if y >= this_year]
    out = read(now) if now else {}
    if not past:
        return out
    if seconds <= 0:
        return {**read(past), **out}
    memo_key = (*key, tuple(past))
    with _lock:
        found = _entries.get(memo_key)
    if found and found[0] > time.monotonic():
        return {**found[1], **out}
    values = read(past)
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[memo_key] = (time.monotonic() + seconds, values)
    return {**values, **out}


def forget():
    """Drop every kept figure (tests)."""
    with _lock:
        _entries.clear()
