"""The whole load, in order: authorities and units, the people pass (people now, their other tables from
the spools), the hours pass with the summary triggers switched off (the hours pass writes the summaries
itself, see hours.py), the number counters, then the benchmark's accounts and workflows through the
portal's own operations. One transaction."""
import time
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, insert, select

from portal.hours import summaries
from portal.insurance import flags as cover_flags
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.records import serving
from portal.records import summaries as completeness
from portal.registry import sort_names
from portal.registry.models import Authority, AuthorityKind, Person
from portal.registry.operations import authority_for, seed_reference_data
from portal.stats import headcounts, trend

from . import tables
from .hours import CARD_COLUMNS, CHANGE_COLUMNS, HOUR_COLUMNS, MONTH_COLUMNS, HoursPass
from .people import Roles
from .plan import Plan
from .sink import Sink, sink_for
from .spool import Spool
from .workflow import Benchmark, set_up_benchmark

HOURS_POST_PEOPLE = 200
FREE_DAYS = 40      # the hours_post volunteers have no entries in the last 40 days


@dataclass(frozen=True)
class Options:
    volunteers: int
    units: int
    since: int
    seed: int = 2026
    password: str = "synth-Password-2026!"
    documents: int = 20


class NotEmpty(Exception):
    """The database already holds people: the set goes into an empty one."""


PERSON_TABLES = {
    "memberships": tables.MEMBERSHIP_COLUMNS, "training_records": tables.TRAINING_COLUMNS,
    "record_books": tables.BOOK_COLUMNS, "record_book_requests": tables.BOOK_REQUEST_COLUMNS,
    "insurance_enrolments": tables.ENROLMENT_COLUMNS,
}
HOUR_TABLES = {"hour_changes": CHANGE_COLUMNS, "honor_cards": CARD_COLUMNS, "hour_months": MONTH_COLUMNS}
LOADED = ("units", "unit_fields", "insurance_policies", "people", *PERSON_TABLES, "hour_entries", *HOUR_TABLES,
          "hour_unit_months", "hour_unit_years", "hour_person_years", "number_sequences")


def id_tables() -> list[str]:
    """The loaded tables with an id column (their ids are given explicitly, their sequences moved on)."""
    return [t for t in LOADED if "id" in db.metadata.tables[t].columns]


def roles_for(plan: Plan, today: date) -> Roles:
    """The benchmark's volunteers: the first of the largest unit's own block serves per shift (~2,000
    entries), the next ones (up to 200, a third of the unit at most) keep the last 40 days free."""
    block = plan.block(plan.units[0])
    count = min(HOURS_POST_PEOPLE, max(1, (len(block) - 1) // 3))
    return Roles(volunteer=plan.volunteer_at(block[0]),
                 hours_post=frozenset(plan.volunteer_at(block[1 + n]) for n in range(count) if 1 + n < len(block)),
                 free_from=today - timedelta(days=FREE_DAYS))


def authorities(plan: Plan) -> tuple[dict, dict]:
    """The county authorities and the local sector authority of every (county, field) the units need."""
    seed_reference_data()
    counties = {a.county_code: a.id for a in db.session.scalars(
        select(Authority).where(Authority.kind == AuthorityKind.COUNTY))}
    sectors = {}
    for unit in plan.units:
        key = (unit.county, unit.field)
        if key not in sectors:
            sectors[key] = authority_for(AuthorityKind.SECTOR_LOCAL, *key).id
    return counties, sectors


def load(options: Options, echo) -> dict:
    started = time.monotonic()
    if db.session.scalar(select(func.count()).select_from(Person)):
        raise NotEmpty()
    today = today_taipei()
    plan = Plan.build(options.seed, options.volunteers, options.units, options.since, today)
    roles = roles_for(plan, today)
    counties, sectors = authorities(plan)
    connection = db.session.connection()
    sink = sink_for(connection, echo)
    next_ids = {t: sink.next_id(t) for t in id_tables()}
    next_ids.update(units_base=next_ids["units"], people_base=next_ids["people"])
    layout = tables.Layout(plan, roles, next_ids, counties, sectors)
    echo(f"synth: {plan.volunteers:,} volunteers, {len(plan.units):,} units (largest {plan.units[0].size:,}), "
         f"hours since {options.since}, seed {options.seed}, {connection.dialect.name}")
    sink.load("units", tables.UNIT_COLUMNS, tables.unit_rows(layout))
    sink.load("unit_fields", tables.UNIT_FIELD_COLUMNS, tables.unit_field_rows(layout))
    with cover_flags.suspended(connection):      # rebuilt after the load (insurance.flags)
        sink.load("insurance_policies", tables.POLICY_COLUMNS, tables.policy_rows(layout))
        spools = {name: Spool() for name in PERSON_TABLES}
        sink.load("people", tables.PEOPLE_COLUMNS, tables.PeoplePass(layout, spools).rows())
        with sort_names.suspended(connection):
            for name, columns in PERSON_TABLES.items():
                sink.load(name, columns, spools[name].rows())
        hour_spools = {name: Spool() for name in HOUR_TABLES}
        hours = HoursPass(layout, hour_spools)
        with summaries.suspended(connection):
            sink.load("hour_entries", HOUR_COLUMNS, hours.rows())
    for name, columns in HOUR_TABLES.items():
        sink.load(name, columns, hour_spools[name].rows())
    with sink.timed("hour_unit_months"), sink.bare("hour_unit_months", keys=True):
        unit_months(connection)
    with sink.timed("hour_unit_years"), sink.bare("hour_unit_years", keys=True):
        summaries.roll_up_years(connection)
    with sink.timed("hour_person_years"), sink.bare("hour_person_years", keys=True):
        summaries.roll_up_person_years(connection)
    sink.load("number_sequences", tables.SEQUENCE_COLUMNS, tables.sequence_rows(layout))
    sink.finish(id_tables())
    with sink.timed("accounts, documents"):
        bench = set_up_benchmark(options, plan, layout, roles, today)
    with sink.timed("statistics"):
        statistics(connection)
    with sink.timed("completeness, headcounts"):
        derived_summaries(connection, today)
    with sink.timed("hours without insurance (cover flags)"):
        cover_flags.rebuild(connection)
    db.session.commit()
    analyse(sink)
    return manifest(options, plan, layout, hours, bench, sink, time.monotonic() - started)


# Kept by session events on every portal write; the bulk load passed them by, so they are rebuilt whole.
DERIVED = ("completeness_pairs", "completeness_days", "completeness_county_days", "headcount_days",
           "headcount_people", "headcount_years", "stats_completeness_months")


def statistics(connection):
    """Planner statistics of the loaded tables before the derived summaries read them, in the load's own
    transaction (ANALYZE samples the rows this transaction inserted). Without them PostgreSQL takes the new
    tables for nearly empty and hashes a whole table for each EXISTS of the completeness chunks: on the
    national set one backend grew to 22 GB and was killed for want of memory."""
    if connection.dialect.name == "postgresql":
        for table in LOADED:
            connection.exec_driver_sql(f"ANALYZE {table}")


def derived_summaries(connection, today: date):
    """Completeness, the live headcount, the frozen year-end headcounts of past years and this month's
    completeness row of every scope, from the loaded rows (what `flask completeness rebuild`,
    `flask stats rebuild`, `flask stats refresh` and `flask dashboards record` do by hand)."""
    completeness.rebuild(connection, today)
    serving.rebuild(connection, today)
    for year in headcounts.past_years(today):
        headcounts.freeze(year, connection)
    trend.record_all(today)


def unit_months(connection):
    """hour_unit_months from hour_months, as portal.hours.summaries.rebuild rolls them up."""
    month = summaries.HourMonth
    connection.execute(insert(summaries.HourUnitMonth).from_select(
        ["unit_id", "field_code", "year", "month", "half_hours", "entries"],
        select(month.unit_id, month.field_code, month.year, month.month, func.sum(month.half_hours),
               func.sum(month.entries)).group_by(month.unit_id, month.field_code, month.year, month.month)))


def analyse(sink: Sink):
    """Fresh statistics for the planner (and the visibility map for index-only scans) on PostgreSQL."""
    if db.engine.dialect.name != "postgresql":
        return
    with sink.timed("vacuum analyze"), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in (*LOADED, *DERIVED, "users", "documents"):
            conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")


def manifest(options: Options, plan: Plan, layout: tables.Layout, hours: HoursPass, bench: Benchmark, sink: Sink,
             seconds: float) -> dict:
    return {
        "volunteers": plan.volunteers, "units": len(plan.units), "hour_entries": hours.entries,
        "since": options.since, "seed": options.seed, "seconds": round(seconds, 1), "password": options.password,
        "accounts": bench.accounts, "big_unit": bench.big_unit, "award_round_id": bench.award_round_id,
        "verify_token": bench.verify_token, "hours_post": bench.hours_post,
        "tables": sink.stats,
    }
