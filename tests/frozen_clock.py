"""Run the suite with the clock frozen at a chosen instant (pytest plugin, loaded by tests/conftest.py).

    PORTAL_TEST_CLOCK="2028-02-29T09:00:00+08:00" .venv/bin/python -m pytest -m "not browser" ...

The clock is set to that instant before collection (module-level dates such as
`TODAY = today_taipei()` see it) and again before each test's setup, so that every test starts at
the instant, however long the run before it took: at 23:59 on 31 December each test has a minute
before the year changes. Within a test it ticks (freezegun, tick=True), so code that measures
elapsed time (sessions, TOTP steps, rate limits, timeouts) behaves as usual; a test's own
`freeze_time` takes over inside it. Under xdist the clock runs in every worker, not in the
controller. `make test-clock` runs the dated tests at 29 February and one minute before the new
year in Taipei. Browser tests are out of scope: Chromium keeps the real time.
"""
import importlib
import os
import pkgutil
from datetime import datetime

import pytest

ENV = "PORTAL_TEST_CLOCK"
_freezer = None
_clock = None            # freezegun's ticking factory: move_to() sets the time back to the instant
_instant = None


def clock_instant() -> datetime | None:
    """The instant PORTAL_TEST_CLOCK names (ISO 8601 with an offset), or None when unset."""
    value = os.environ.get(ENV, "").strip()
    if not value:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise pytest.UsageError(f"{ENV}={value!r} is not an ISO 8601 date-time") from None
    if instant.tzinfo is None:
        raise pytest.UsageError(f"{ENV}={value!r} needs an offset, e.g. 2028-02-29T09:00:00+08:00")
    return instant


def _import_the_portal():
    """Import every portal module, and the PostgreSQL driver, while `date` and `datetime` are still
    the real classes: a model imported under freezegun would see FakeDate in `Mapped[date]`, which
    SQLAlchemy cannot map, and psycopg's C module checks the size of datetime.date when loaded."""
    import portal
    for module in pkgutil.walk_packages(portal.__path__, "portal."):
        importlib.import_module(module.name)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pass


def pytest_report_header(config):
    instant = clock_instant()
    if instant is not None:
        return f"clock: every test starts at {instant.isoformat()} ({ENV}) and ticks"


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    global _freezer, _clock, _instant
    instant = clock_instant()
    is_xdist_controller = (not hasattr(config, "workerinput")
                           and getattr(config.option, "dist", "no") != "no")
    if instant is None or is_xdist_controller or _freezer is not None:
        return
    _import_the_portal()
    from freezegun import freeze_time
    # pytest's own durations keep the real clock (the per-test reset would make them meaningless).
    _freezer, _instant = freeze_time(instant, tick=True, ignore=["_pytest.timing"]), instant
    _clock = _freezer.start()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if _clock is not None:
        _clock.move_to(_instant)


def pytest_unconfigure(config):
    global _freezer, _clock
    if _freezer is not None:
        _freezer.stop()
        _freezer = _clock = None
