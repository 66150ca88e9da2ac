"""Completeness by month, frozen (docs/kpi.md): what each scope's completeness was at the end of each month.

The completeness summaries (portal/records/summaries.py) know a unit's counts today and the changes already
known for later days; a passed day is folded into the base row, so last month's value cannot be read back
from them. The dashboards' trend therefore keeps its own row per scope and month, written while the month
runs and left alone once it has passed:
- `flask --app wsgi dashboards record` (run daily from cron, like `completeness fold`) writes today's counts of
  every scope — every unit, county, county field, field and the whole country — into the current month's
  rows, from one grouped read of the summaries;
- a dashboard opened on a day the job has not yet run writes its own scope's row (`keep`), from the counts
  it shows anyway.
So a month's row holds the last value written in that month, and `as_of` says on which day that was (the
month's last day when the job ran that day). Nothing rewrites a passed month: a year-end value is the
December row, frozen on 1 January. Months before the portal kept these rows have none ("not recorded").

Scopes are the keys of records.serving (`all`, `county:X`, `county_field:X:F`, `field:F`, `unit:N`).
"""
import time
from datetime import date

import click
from flask.cli import AppGroup
from sqlalchemy import Date, SmallInteger, String, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.records.completeness import COUNTS, Rate
from portal.records.models import CompletenessCounts, CompletenessDay
from portal.records.serving import unit_keys
from portal.registry.models import Unit

from . import bp


class CompletenessMonth(CompletenessCounts, db.Model):
    """A scope's completeness counts in one month, as last written in that month (on `as_of`)."""
    __tablename__ = "stats_completeness_months"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    month: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)

    @property
    def rate(self) -> Rate:
        return Rate.of(self)


def _upsert(rows: list[dict]):
    if not rows:
        return
    connection = db.session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    table = CompletenessMonth.__table__
    statement = dialect.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["scope", "year", "month"],
        set_={c: statement.excluded[c] for c in ("as_of", *COUNTS)})
    for start in range(0, len(rows), 1000):
        connection.execute(statement, sorted(rows[start:start + 1000], key=lambda r: r["scope"]))


def _row(scope: str, today: date, counts: dict) -> dict:
    return {"scope": scope, "year": today.year, "month": today.month, "as_of": today,
            **{c: int(counts.get(c, 0) or 0) for c in COUNTS}}


def written_on(scope: str, today: date) -> date | None:
    """The day the scope's row of today's month was last written (None: not yet this month)."""
    return db.session.scalar(select(CompletenessMonth.as_of).where(
        CompletenessMonth.scope == scope, CompletenessMonth.year == today.year,
        CompletenessMonth.month == today.month))


def keep(scope: str, rate: Rate, today: date):
    """Write `rate` as the scope's value of today's month (the caller commits)."""
    _upsert([_row(scope, today, {"people": rate.people, "complete": rate.complete, **rate.items})])


def record_all(today: date | None = None) -> int:
    """Today's counts of every scope into the current month's rows (one grouped read of the summaries);
    the rows written."""
    today = today or today_taipei()
    sums = [func.coalesce(func.sum(getattr(CompletenessDay, c)), 0).label(c) for c in COUNTS]
    per_unit = (select(CompletenessDay.unit_id, *sums).where(CompletenessDay.day <= today)
                .group_by(CompletenessDay.unit_id).subquery())
    totals: dict[str, dict[str, int]] = {}
    for row in db.session.execute(select(Unit.id, Unit.county_code, Unit.field_code,
                                         *[getattr(per_unit.c, c) for c in COUNTS])
                                  .outerjoin(per_unit, per_unit.c.unit_id == Unit.id)):
        for key in unit_keys(row.id, row.county_code, row.field_code):
            total = totals.setdefault(key, dict.fromkeys(COUNTS, 0))
            for c in COUNTS:
                total[c] += int(getattr(row, c) or 0)
    _upsert([_row(key, today, counts) for key, counts in totals.items()])
    return len(totals)


def months(scope: str, year: int) -> dict[int, CompletenessMonth]:
    """The scope's recorded months of `year` (month -> row)."""
    return {r.month: r for r in db.session.scalars(select(CompletenessMonth).where(
        CompletenessMonth.scope == scope, CompletenessMonth.year == year))}


def year_ends(scope: str, years) -> dict[int, CompletenessMonth]:
    """The scope's December rows of these years (year -> row): the frozen year-end values."""
    years = list(years)
    return {r.year: r for r in db.session.scalars(select(CompletenessMonth).where(
        CompletenessMonth.scope == scope, CompletenessMonth.year.in_(years), CompletenessMonth.month == 12))}


def year_end_rows(scopes: list[str], year: int) -> dict[str, CompletenessMonth]:
    """The December rows of `year` of these scopes (scope -> row)."""
    if not scopes:
        return {}
    return {r.scope: r for r in db.session.scalars(select(CompletenessMonth).where(
        CompletenessMonth.scope.in_(scopes), CompletenessMonth.year == year, CompletenessMonth.month == 12))}


dashboards_cli = AppGroup("dashboards", help="The authorities' dashboards (the completeness trend).")


@dashboards_cli.command("record")
def record_command():
    """Write today's completeness of every scope into this month's trend rows (run daily)."""
    started = time.monotonic()
    rows = record_all()
    db.session.commit()
    click.echo(f"dashboards: {rows:,} scopes recorded in {time.monotonic() - started:.1f} s")


bp.record_once(lambda state: state.app.cli.add_command(dashboards_cli))
