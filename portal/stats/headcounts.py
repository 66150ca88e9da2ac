"""Year-end headcounts, frozen (docs/kpi.md#frozen): per scope key and year, the people serving on 31 December
and, of them, those aged 65+ that day, written once the year is over by `flask stats freeze --year Y` (one
set-based statement over memberships, units and people) or by `flask stats refresh` for every past year
not yet frozen. The current year is read live from records.serving (kept by every write).

A frozen year does not move when a past membership is corrected later: freezing it again
(`stats freeze --year Y`) takes the correction in, on purpose.
"""
from collections import defaultdict
from datetime import date, datetime
from itertools import combinations

from sqlalchemy import SmallInteger, String, and_, case, cast, delete, distinct, func, literal, select, union_all
from sqlalchemy.orm import Mapped, mapped_column

from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei, utcnow
from portal.records.models import BASE
from portal.records.serving import (
    COLUMNS,
    DIMENSIONS,
    HeadcountDay,
    HeadcountPerson,
    age_65_cutoff,
    contribution,
    load_states,
    serving_on,
    unit_condition,
    unit_keys_of,
)
from portal.registry.models import Membership, Person, Unit


class HeadcountYear(db.Model):
    """People serving in `scope` on 31 December of `year`, and of them aged 65+ that day. A frozen year has
    an "all" row (0 when nobody served); a key without a row then had nobody."""
    __tablename__ = "headcount_years"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    people: Mapped[int]
    people_65: Mapped[int]
    frozen_at: Mapped[datetime] = mapped_column(default=utcnow)


def year_end(year: int) -> date:
    return date(year, 12, 31)


def _groupings(year: int):
    """One grouped select per kind of key over the (person, unit) pairs serving on 31 December."""
    pairs = (select(Membership.person_id, Unit.id.label("unit_id"), *[c.label(d) for d, c in COLUMNS.items()],
                    case((Person.birth_date <= age_65_cutoff(year), Membership.person_id)).label("older"))
             .select_from(Membership).join(Unit, Unit.id == Membership.unit_id)
             .join(Person, Person.id == Membership.person_id)
             .where(serving_on(year_end(year))).distinct().cte("serving"))
    counts = (func.count(distinct(pairs.c.person_id)).label("people"),
              func.count(distinct(pairs.c.older)).label("people_65"))
    selects = [select(literal("all").label("scope"), *counts),
               select((literal("unit:") + cast(pairs.c.unit_id, String)).label("scope"), *counts)
               .group_by(pairs.c.unit_id)]
    for n in range(1, len(DIMENSIONS) + 1):
        for dims in combinations(DIMENSIONS, n):
            key = literal("_".join(dims) + ":") + pairs.c[dims[0]]
            for d in dims[1:]:
                key = key + literal(":") + pairs.c[d]
            selects.append(select(key.label("scope"), *counts).group_by(*[pairs.c[d] for d in dims]))
    return union_all(*selects)


def freeze(year: int, connection=None) -> int:
    """Freeze `year` (it must be over): replace its rows by the counts of 31 December; the rows written."""
    connection = connection or db.session.connection()
    table = HeadcountYear.__table__
    connection.execute(delete(table).where(table.c.year == year))
    counts = _groupings(year).subquery()
    connection.execute(table.insert().from_select(
        ["scope", "year", "people", "people_65", "frozen_at"],
        select(counts.c.scope, literal(year), counts.c.people, counts.c.people_65, literal(utcnow()))
        .where((counts.c.scope == "all") | (counts.c.people > 0))))
    # Counted, not the statement's rowcount: PostgreSQL reports -1 for this INSERT ... SELECT.
    return connection.execute(select(func.count()).select_from(table).where(table.c.year == year)).scalar_one()


def frozen(keys, year: int) -> dict[str, tuple[int, int]] | None:
    """(people, aged 65+) per key of a frozen year (0 for a key without a row); None: not frozen."""
    keys = sorted(set(keys) | {"all"})
    rows = {r.scope: (r.people, r.people_65) for r in db.session.execute(
        select(HeadcountYear.scope, HeadcountYear.people, HeadcountYear.people_65)
        .where(HeadcountYear.year == year, HeadcountYear.scope.in_(keys)))}
    if "all" not in rows:
        return None
    return {k: rows.get(k, (0, 0)) for k in keys}


def frozen_years() -> set[int]:
    return set(db.session.scalars(select(HeadcountYear.year).where(HeadcountYear.scope == "all")))


def past_years(today: date) -> range:
    """The years that can be frozen: from the first year anyone joined to last year."""
    first = db.session.scalar(select(func.min(Membership.joined_on)))
    return range(first.year, today.year) if first else range(0)


# --- the recomputation (the definition run over the raw tables) ---------------------------------------

def recounted(key: str, day: date, year: int) -> tuple[int, int]:
    """(people serving, of them aged 65+ on 31 December of `year`) in the scope on `day`, from the raw
    memberships: what the summaries must give, and too slow for a page at national size."""
    older = case((Person.birth_date <= age_65_cutoff(year), Membership.person_id))
    row = db.session.execute(
        select(func.count(distinct(Membership.person_id)), func.count(distinct(older)))
        .select_from(Membership).join(Unit, Unit.id == Membership.unit_id).join(Person, Person.id == Membership.person_id)
        .where(serving_on(day), unit_condition(key))).one()
    return int(row[0]), int(row[1])


def differences(today: date | None = None, step: int = 50_000) -> int:
    """How many people's stored spans and (scope, birth year, day) sums differ from a recomputation."""
    today = today or today_taipei()
    run = db.session.execute
    keys = unit_keys_of(run, run(select(Unit.id)).scalars())
    expected: dict = defaultdict(int)
    differ = 0
    top = max(run(select(func.max(Membership.person_id))).scalar() or 0,
              run(select(func.max(HeadcountPerson.person_id))).scalar() or 0)
    for low in range(0, top + 1, step):
        def people(column, low=low):
            return and_(column >= low, column < low + step)
        fresh = load_states(run, people)
        stored = {p: (y, s) for p, y, s in run(select(HeadcountPerson.person_id, HeadcountPerson.birth_year,
                                                      HeadcountPerson.spans).where(people(HeadcountPerson.person_id)))}
        differ += sum(1 for p in set(fresh) | set(stored) if fresh.get(p) != stored.get(p))
        for state in fresh.values():
            contribution(state, keys, today, 1, expected)
    found: dict = defaultdict(int)
    for scope, year, day, people in run(select(HeadcountDay.scope, HeadcountDay.birth_year, HeadcountDay.day,
                                               HeadcountDay.people)):
        found[(scope, year, day if day > today else BASE)] += people
    return differ + sum(1 for k in set(expected) | set(found) if expected.get(k, 0) != found.get(k, 0))
