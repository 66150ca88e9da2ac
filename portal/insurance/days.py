"""Date arithmetic in SQL, in each backend's own words (PostgreSQL dates, SQLite ISO text): the day after and
before a date column, and the first and last day of its year. Used by the cover gaps (cover.py) and the kept
flags (flags.py)."""
from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class next_day(FunctionElement):  # noqa: N801 (an SQL function's name)
    """The day after a date column, in each backend's date arithmetic."""
    type = Date()
    inherit_cache = True


class prev_day(FunctionElement):  # noqa: N801
    """The day before a date column."""
    type = Date()
    inherit_cache = True


class year_start(FunctionElement):  # noqa: N801
    """1 January of a date column's year."""
    type = Date()
    inherit_cache = True


class year_end(FunctionElement):  # noqa: N801
    """31 December of a date column's year."""
    type = Date()
    inherit_cache = True


@compiles(next_day)
def _next_day_default(element, compiler, **kw):
    return f"({compiler.process(element.clauses, **kw)} + 1)"      # PostgreSQL: date + integer


@compiles(next_day, "sqlite")
def _next_day_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '+1 day')"


@compiles(prev_day)
def _prev_day_default(element, compiler, **kw):
    return f"({compiler.process(element.clauses, **kw)} - 1)"


@compiles(prev_day, "sqlite")
def _prev_day_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '-1 day')"


@compiles(year_start)
def _year_start_default(element, compiler, **kw):
    return f"make_date(CAST(extract(year FROM {compiler.process(element.clauses, **kw)}) AS INTEGER), 1, 1)"


@compiles(year_start, "sqlite")
def _year_start_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, 'start of year')"


@compiles(year_end)
def _year_end_default(element, compiler, **kw):
    return f"make_date(CAST(extract(year FROM {compiler.process(element.clauses, **kw)}) AS INTEGER), 12, 31)"


@compiles(year_end, "sqlite")
def _year_end_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, 'start of year', '+1 year', '-1 day')"
