"""Who serves where and when: the one headcount of the portal (docs/kpi.md), and the live summary that
gives it for any scope without counting memberships on each page.

The definition (docs/kpi.md#active): a volunteer serves in a scope on day D when one of their memberships
in a unit of the scope has joined_on <= D and has not ended before D: left_on >= D (the leaving day is
still a day of service, as for hours, docs/rules/hours.md#h8), or no leaving date and a status other
than "left". Active, paused and trainee memberships all count: the status tells only today's state, so
a year-end figure can rest on dates alone. A "left" membership without a leaving date never counts
(nobody can say until when it counted). A volunteer is counted once per scope, however many units or
fields of the scope they serve in.

Scope keys: "all", "unit:ID", and the unit's county (C), main service field (F) and sector (S) in any
combination: "county:C", "field:F", "sector:S", "county_field:C:F", "county_sector:C:S",
"field_sector:F:S", "county_field_sector:C:F:S" (the role scopes of registry.scopes.unit_scope are
"all", "unit:ID", "county:C", "county_field:C:F", "field:F"; the others are the dashboards' breakdowns).

The live summary (`headcount_days`), kept in the write's transaction by summary_hooks.py: per scope key,
birth year (0: unknown) and day, how the number of people serving changes that day; the number serving on
D >= today is the sum of the rows with day <= D. Changes up to the day written sit in the base row (BASE),
later ones already known (a future joining day, the day after a leaving day) in their day's row: nothing
runs at midnight (`fold` tidies passed days). The birth year gives "aged 65+ on 31 December of Y" (born in
Y - 65 or before) for any year. `headcount_people` keeps each person's counted spans for the next write to
compare with. Units do not change county, field or sector in the portal; if one ever does, rebuild.
"""
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from itertools import combinations

from sqlalchemy import Date, SmallInteger, String, Text, and_, case, delete, func, or_, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from portal.platform import access
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.registry.models import Membership, MembershipStatus, Person, Unit

from .models import BASE

DIMENSIONS = ("county", "field", "sector")          # in the order they appear in a key
COLUMNS = {"county": Unit.county_code, "field": Unit.field_code, "sector": Unit.sector}
UNKNOWN_YEAR = 0
CHUNK = 1000


# --- the definition ----------------------------------------------------------------------------------

def serving_on(day: date):
    """SQL condition on Membership: the membership counts on `day`."""
    return and_(Membership.joined_on <= day,
                or_(Membership.left_on >= day,
                    and_(Membership.left_on.is_(None), Membership.status != MembershipStatus.LEFT)))


def span_of(joined_on: date, left_on: date | None, status: str) -> tuple[date, date | None] | None:
    """The days a membership counts, both ends included (None: open); None when it never counts."""
    if left_on is None:
        return None if status == MembershipStatus.LEFT else (joined_on, None)
    return (joined_on, left_on) if left_on >= joined_on else None


def age_65_cutoff(year: int) -> date:
    """Aged 65 or more on 31 December of `year` <=> born on or before this day."""
    return date(year - 65, 12, 31)


def birth_year_of(birth_date: date | None) -> int:
    return birth_date.year if birth_date else UNKNOWN_YEAR


# --- scope keys --------------------------------------------------------------------------------------

def key_of(dims: dict) -> str:
    """The key of a scope given as {"unit": id} or some of {"county", "field", "sector"}."""
    if dims.get("unit") is not None:
        return f"unit:{dims['unit']}"
    present = [d for d in DIMENSIONS if dims.get(d)]
    return "_".join(present) + ":" + ":".join(dims[d] for d in present) if present else "all"


def parse_key(key: str) -> dict:
    """The dimensions of a key (ValueError when it is not one)."""
    name, _sep, rest = key.partition(":")
    if key == "all":
        return {}
    if name == "unit" and rest.isdigit():
        return {"unit": int(rest)}
    names, values = name.split("_"), rest.split(":")
    if not rest or len(names) != len(values) or [d for d in DIMENSIONS if d in names] != names or not all(values):
        raise ValueError(f"not a scope key: {key!r}")
    return dict(zip(names, values, strict=True))


def keys_of_unit(unit_id: int, county: str, field: str, sector: str) -> set[str]:
    """Every key whose scope holds the unit."""
    values = {"county": county, "field": field, "sector": sector}
    out = {f"unit:{unit_id}"}
    for n in range(len(DIMENSIONS) + 1):
        for dims in combinations(DIMENSIONS, n):
            out.add(key_of({d: values[d] for d in dims}))
    return out


def unit_condition(key: str):
    """SQL condition on Unit: the units of the scope."""
    dims = parse_key(key)
    if "unit" in dims:
        return Unit.id == dims["unit"]
    return and_(true(), *[COLUMNS[d] == v for d, v in dims.items()])


def user_key(user) -> str | None:
    """The scope of a staff or authority account (None: no scope)."""
    role, authority = user.role, getattr(user, "authority", None)
    if role in access.UNIT_STAFF:
        return f"unit:{user.unit_id}"
    if role == access.MINISTRY:
        return "all"
    if authority is None:
        return None
    return {access.COUNTY: f"county:{authority.county_code}",
            access.SECTOR_LOCAL: f"county_field:{authority.county_code}:{authority.field_code}",
            access.SECTOR_CENTRAL: f"field:{authority.field_code}"}.get(role)


# --- the live summary -----------------------------------------------------------------------------------

class HeadcountDay(db.Model):
    """How the number of people serving in `scope`, born in `birth_year`, changes on `day` (BASE: every
    change up to the row's last write or fold)."""
    __tablename__ = "headcount_days"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    birth_year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    people: Mapped[int]


class HeadcountPerson(db.Model):
    """What a person adds to headcount_days: birth year and counted spans "unit:start/end" (end empty
    when open), joined by ","; people with no span have no row."""
    __tablename__ = "headcount_people"

    person_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    birth_year: Mapped[int] = mapped_column(SmallInteger)
    spans: Mapped[str] = mapped_column(Text)


def merged(spans: Iterable[tuple[date, date | None]]) -> list[tuple[date, date | None]]:
    """Spans joined where they overlap or touch (None: open end)."""
    out: list[list] = []
    for start, end in sorted(spans, key=lambda s: s[0]):
        if out and (out[-1][1] is None or start <= out[-1][1] + timedelta(days=1)):
            if out[-1][1] is not None:
                out[-1][1] = None if end is None else max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(a, b) for a, b in out]


def encode(spans: dict[int, list]) -> str:
    return ",".join(f"{u}:{a.isoformat()}/{b.isoformat() if b else ''}"
                    for u in sorted(spans) for a, b in spans[u])


def decode(text: str) -> dict[int, list]:
    out = defaultdict(list)
    for part in filter(None, text.split(",")):
        unit, _sep, days = part.partition(":")
        a, _sep, b = days.partition("/")
        out[int(unit)].append((date.fromisoformat(a), date.fromisoformat(b) if b else None))
    return dict(out)


def load_states(run, people) -> dict[int, tuple[int, str]]:
    """person -> (birth year, encoded spans) from the raw tables, for people matched by `people(column)`;
    people without a counted span are left out."""
    by_person: dict[int, dict] = defaultdict(lambda: defaultdict(list))
    years = {}
    for p, u, joined, left, status, born in run(
            select(Membership.person_id, Membership.unit_id, Membership.joined_on, Membership.left_on,
                   Membership.status, Person.birth_date)
            .join(Person, Person.id == Membership.person_id).where(people(Membership.person_id))):
        span = span_of(joined, left, status)
        if span:
            by_person[p][u].append(span)
            years[p] = birth_year_of(born)
    return {p: (years[p], encode({u: merged(s) for u, s in units.items()})) for p, units in by_person.items()}


def unit_keys_of(run, unit_ids: Iterable[int]) -> dict[int, set[str]]:
    ids = sorted(set(unit_ids))
    out = {}
    for start in range(0, len(ids), CHUNK):
        out.update({u: keys_of_unit(u, c, f, s) for u, c, f, s in run(
            select(Unit.id, Unit.county_code, Unit.field_code, Unit.sector).where(Unit.id.in_(ids[start:start + CHUNK])))})
    return out


def contribution(state: tuple[int, str] | None, keys: dict[int, set[str]], today: date, sign: int, out: dict):
    """Add sign x a person's changes {(scope, birth year, day): people} to `out` (days up to today at BASE)."""
    if state is None:
        return
    year, spans = state[0], decode(state[1])
    per_key = defaultdict(list)
    for unit_id, unit_spans in spans.items():
        for key in keys.get(unit_id, ()):
            per_key[key].extend(unit_spans)
    for key, key_spans in per_key.items():
        for start, end in merged(key_spans):
            out[(key, year, start if start > today else BASE)] += sign
            if end is not None:
                after = end + timedelta(days=1)
                out[(key, year, after if after > today else BASE)] -= sign


def _insert(connection, table):
    return (postgresql if connection.dialect.name == "postgresql" else sqlite).insert(table)


def apply_changes(connection, changes: dict[tuple[str, int, date], int]):
    """Add the changes to headcount_days in key order (two writers lock shared rows in the same order);
    rows left at zero go."""
    rows = [{"scope": k, "birth_year": y, "day": d, "people": n} for (k, y, d), n in sorted(changes.items()) if n]
    if not rows:
        return
    table = HeadcountDay.__table__
    statement = _insert(connection, table)
    connection.execute(statement.on_conflict_do_update(
        index_elements=["scope", "birth_year", "day"], set_={"people": table.c.people + statement.excluded.people}), rows)
    connection.execute(delete(table).where(table.c.scope.in_(sorted({r["scope"] for r in rows})), table.c.people == 0))


def refresh(connection, person_ids: Iterable[int], today: date | None = None):
    """Bring the spans of these people and the day rows of their scopes up to date with the raw tables,
    in the caller's transaction."""
    today = today or today_taipei()
    run = connection.execute
    stored_table = HeadcountPerson.__table__
    ids = sorted(set(person_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        if connection.dialect.name == "postgresql":
            # One refresher per person at a time (the completeness refresh takes the same locks first).
            run(select(Person.id).where(Person.id.in_(chunk)).order_by(Person.id).with_for_update())
        stored = {r.person_id: (r.birth_year, r.spans) for r in run(
            select(stored_table).where(stored_table.c.person_id.in_(chunk)).order_by(stored_table.c.person_id)
            .with_for_update())}
        fresh = load_states(run, lambda column, chunk=chunk: column.in_(chunk))
        changed = sorted(p for p in set(stored) | set(fresh) if stored.get(p) != fresh.get(p))
        if not changed:
            continue
        keys = unit_keys_of(run, {u for p in changed for s in (stored.get(p), fresh.get(p)) if s for u in decode(s[1])})
        changes: dict = defaultdict(int)
        for p in changed:
            contribution(stored.get(p), keys, today, -1, changes)
            contribution(fresh.get(p), keys, today, 1, changes)
        apply_changes(connection, changes)
        run(delete(stored_table).where(stored_table.c.person_id.in_(changed)))
        rows = [{"person_id": p, "birth_year": fresh[p][0], "spans": fresh[p][1]} for p in changed if p in fresh]
        if rows:
            run(stored_table.insert(), rows)


def rebuild(connection=None, today: date | None = None, step: int = 50_000, progress=None) -> int:
    """Recompute headcount_people and headcount_days from the raw tables in the caller's transaction;
    the number of people counted."""
    connection = connection or db.session.connection()
    today = today or today_taipei()
    run = connection.execute
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("LOCK TABLE headcount_people, headcount_days IN EXCLUSIVE MODE")
    run(delete(HeadcountPerson.__table__))
    run(delete(HeadcountDay.__table__))
    keys = unit_keys_of(run, run(select(Unit.id)).scalars())
    top = run(select(func.max(Membership.person_id))).scalar() or 0
    changes: dict = defaultdict(int)
    written = 0
    for low in range(0, top + 1, step):
        states = load_states(run, lambda column, low=low: and_(column >= low, column < low + step))
        for state in states.values():
            contribution(state, keys, today, 1, changes)
        if states:
            run(HeadcountPerson.__table__.insert(),
                [{"person_id": p, "birth_year": y, "spans": s} for p, (y, s) in sorted(states.items())])
        written += len(states)
        if progress:
            progress(written)
    apply_changes(connection, changes)
    return written


def fold(connection=None, today: date | None = None) -> int:
    """Move the rows of passed days into their base rows (the sums stay the same); the rows moved."""
    connection = connection or db.session.connection()
    today = today or today_taipei()
    table = HeadcountDay.__table__
    passed = connection.execute(select(table.c.scope, table.c.birth_year, table.c.people)
                                .where(table.c.day > BASE, table.c.day <= today)
                                .order_by(table.c.scope, table.c.birth_year, table.c.day).with_for_update()).all()
    if passed:
        changes: dict = defaultdict(int)
        for scope, year, people in passed:
            changes[(scope, year, BASE)] += people
        connection.execute(delete(table).where(table.c.day > BASE, table.c.day <= today))
        apply_changes(connection, changes)
    return len(passed)


def live_counts(keys: Iterable[str], day: date, year: int) -> dict[str, tuple[int, int]]:
    """(people serving on `day`, of them aged 65+ on 31 December of `year`) per key, from the summary;
    right for any day from the summary's last write on (today and later)."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    older = case((and_(HeadcountDay.birth_year != UNKNOWN_YEAR, HeadcountDay.birth_year <= year - 65),
                  HeadcountDay.people), else_=0)
    rows = db.session.execute(
        select(HeadcountDay.scope, func.coalesce(func.sum(HeadcountDay.people), 0), func.coalesce(func.sum(older), 0))
        .where(HeadcountDay.scope.in_(keys), HeadcountDay.day <= day).group_by(HeadcountDay.scope))
    found = {scope: (int(n), int(n65)) for scope, n, n65 in rows}
    return {k: found.get(k, (0, 0)) for k in keys}


def serving(user) -> int:
    """The staff home page's "volunteers serving": the people serving today in the user's scope."""
    key = user_key(user)
    return live_counts([key], today_taipei(), today_taipei().year)[key][0] if key else 0


def unit_keys(unit_id: int, county_code: str, field_code: str) -> set[str]:
    """The role scopes a unit belongs to (each matches one branch of registry.scopes.unit_scope)."""
    return {"all", f"unit:{unit_id}", f"county:{county_code}", f"county_field:{county_code}:{field_code}",
            f"field:{field_code}"}
