"""The unit's honor-card list for thousands of volunteers: its order from set-based SQL, the engine for the page.

The list shows eligible volunteers first, then by the day they are expected to qualify (rules.list_key),
so ordering one page needs every volunteer's decision and outlook. Those follow from a few totals per
volunteer (rules.standing): the record book, the photo, the training starts, the fields, the day after
earlier cards, whether last month's hours are in, and the half-hours counted in the window and in its
last 12 months. The database sums them from the monthly summaries (hours.summaries.HourMonth) in one
statement for the whole unit, reading single entries only in the month where counting starts and for the
rare ranges that cross a month end. The exact engine (facts.eligibility) then runs for the page's
volunteers only, and the page shows its results. tests/test_eligibility_scale.py proves the order and the
decisions equal those of the engine over every hour entry, on random data.
"""
from collections import defaultdict
from datetime import date

from sqlalchemy import and_, case, exists, func, or_, select

from portal.hours.models import EntryStatus, HourEntry
from portal.hours.summaries import HourMonth
from portal.platform.dates import month_start
from portal.platform.extensions import db
from portal.records.models import BookKind, RecordBook
from portal.registry.models import PHOTO_ACCEPTED, Membership, Person
from portal.training.models import TrainingKind, TrainingRecord, TrainingStatus

from .facts import crosses_months, eligibility, first_day, month_index
from .models import ApplicationStatus, CardStatus, HonorCard, HonorCardApplication
from .rules import (
    MIN_HALF_HOURS,
    PreviousCard,
    day_after_previous,
    end_of_last_month,
    list_key,
    listed,
    may_be_applied_for,
    months_ahead,
    outlook,
    standing,
)


def unit_page(unit, within: str, q: str | None, on: date, page: int, per_page: int) -> tuple[list[dict], int]:
    """One page of the unit's list (rows as the template reads them) and how many volunteers the list has."""
    order = ranked(unit.id, within, q, on)
    ids = order[(page - 1) * per_page: page * per_page]
    people = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}
    results = eligibility(ids, on)
    open_apps = {a.person_id: a for a in db.session.scalars(select(HonorCardApplication).where(
        HonorCardApplication.person_id.in_(ids), HonorCardApplication.status == ApplicationStatus.SUBMITTED))} \
        if ids else {}
    months = months_ahead(within)
    rows = []
    for pid in ids:
        result, application = results[pid], open_apps.get(pid)
        rows.append({"person": people[pid], "result": result, "outlook": outlook(result, months),
                     "application": application, "may_apply": may_be_applied_for(result, application)})
    return rows, len(order)


def ranked(unit_id: int, within: str, q: str | None, on: date) -> list[int]:
    """The ids of the unit's current volunteers the "Show" choice lists, in the list's order (ties by name)."""
    current = (Membership.unit_id == unit_id, Membership.is_current)
    if q:   # the memberships' copy of the name (registry.sort_names): no people row needed to search
        current += (Membership.sort_name.contains(q, autoescape=True),)
    members = select(Membership.person_id).where(*current)
    # In name order from the unit's own index range (unit_id, sort_name), not by walking every person in
    # the country by name; a person with two memberships in the unit is one row.
    by_name = (select(Membership.person_id, func.min(Membership.sort_name).label("name")).where(*current)
               .group_by(Membership.person_id).subquery())
    book = exists().where(RecordBook.person_id == Person.id, RecordBook.kind != BookKind.CANCELLED)
    people = db.session.execute(
        select(Person.id, (Person.photo_status == PHOTO_ACCEPTED) & Person.photo_file_id.is_not(None), book)
        .join(by_name, by_name.c.person_id == Person.id).order_by(by_name.c.name, Person.id)).all()
    if not people:
        return []
    basic_from, special_from = {}, defaultdict(dict)
    trained = _trained(members).subquery()
    for pid, kind, field_code, start in db.session.execute(select(trained)):
        if kind == TrainingKind.BASIC:      # a basic record with a field is still basic training
            basic_from[pid] = min(start, basic_from.get(pid, start))
        else:
            special_from[pid][field_code] = start
    served = defaultdict(set)
    for pid, field_code in db.session.execute(select(Membership.person_id, Membership.field_code).where(
            Membership.person_id.in_(members), Membership.is_current)):
        served[pid].add(field_code)
    cards = defaultdict(list)
    for pid, valid_to, window_end in db.session.execute(
            select(HonorCard.person_id, HonorCard.valid_to, HonorCard.window_end)
            .where(HonorCard.person_id.in_(members), HonorCard.status != CardStatus.CANCELLED)):
        cards[pid].append(PreviousCard(valid_to, valid_to, window_end=window_end))
    totals, unsure = _hour_totals(members, on)
    exact = eligibility(unsure, on)
    months = months_ahead(within)
    keyed = []
    nothing = (frozenset(), False, 0, 0)
    for position, (pid, photo, has_book) in enumerate(people):
        fields, entered, counted, recent = totals.get(pid, nothing)
        result = exact.get(pid) or standing(
            on, record_book=has_book, photo_accepted=photo, basic_from=basic_from.get(pid),
            special_from=special_from.get(pid, {}), fields=served[pid] | fields,
            after_cards=day_after_previous(cards[pid]) if pid in cards else None,
            entered=entered, counted=counted, recent=recent)
        look = outlook(result, months)
        if listed(look, within):
            keyed.append((list_key(look), position, pid))
    keyed.sort()
    return [pid for _key, _position, pid in keyed]


def _hour_totals(members, on: date) -> tuple[dict[int, tuple[set, bool, int, int]], set[int]]:
    """Per trained volunteer (basic training verified; the others have no window): the fields with hours from
    the day after earlier cards ending by the end of last month, whether hours reach last month, and the
    half-hours counted and counted in the last 12 months (rules.standing); and the volunteers these totals
    cannot place (the engine must). Two queries: the summaries with the single entries of each counting
    start month, and the entries crossing a month end."""
    end = end_of_last_month(on)
    end_m, recent_m = end.year * 12 + end.month - 1, end.year * 12 + end.month - 12
    rows = db.session.execute(_totals_query(members, end)).all()
    crossing = defaultdict(list)            # entries ending after the first of last month, by person
    for e in db.session.execute(
            select(HourEntry.person_id, HourEntry.field_code, HourEntry.start_on, HourEntry.end_on,
                   HourEntry.half_hours)
            .where(HourEntry.person_id.in_(members), HourEntry.status == EntryStatus.ACTIVE, crosses_months(),
                   HourEntry.end_on >= month_start(end))):
        crossing[e.person_id].append(e)
    out, unread = {}, set()
    for r in rows:
        cross = crossing.get(r.person_id, ())
        fields, entered, counted, recent = out.setdefault(r.person_id, (set(), bool(cross), 0, 0))
        # Entries summed in whole months but ending after last month do not count (they cross the window end).
        over = [(e.start_on.year * 12 + e.start_on.month - 1, e.half_hours) for e in cross
                if e.field_code == r.field_code and e.start_on <= end < e.end_on]
        if (r.after_entries or 0) - sum(1 for m, _h in over if m > r.used_m) > 0 or r.used_raw:
            fields.add(r.field_code)
        if r.cut_m is not None:
            if r.cut_raw is None:
                unread.add(r.person_id)
            raw = r.cut_raw or 0
            counted += (r.counted_whole or 0) + raw - sum(h for m, h in over if m > r.cut_m)
            recent += (r.recent_whole or 0) + (raw if r.cut_m >= recent_m else 0) \
                - sum(h for m, h in over if m > r.cut_m and m >= recent_m)
        out[r.person_id] = (fields, entered or r.last_m >= end_m, counted, recent)
    # Unread start months leave `counted` short, which matters only below 300 hours (rare: a range crossing
    # the end of last month took it there): those few volunteers go to the engine.
    return out, {pid for pid in unread if out[pid][2] < MIN_HALF_HOURS}


def _trained(members):
    """The earliest start of each kind of verified training per volunteer (and field): training.facts.
    verified_starts as one grouped statement over the members, not a list of thousands of ids."""
    start = func.coalesce(TrainingRecord.effective_on, TrainingRecord.completed_on, date.min)
    return (select(TrainingRecord.person_id, TrainingRecord.kind, TrainingRecord.field_code,
                   func.min(start).label("day"))
            .where(TrainingRecord.person_id.in_(members), TrainingRecord.status == TrainingStatus.VERIFIED)
            .group_by(TrainingRecord.person_id, TrainingRecord.kind, TrainingRecord.field_code))


def _totals_query(members, end: date):
    """Per (trained volunteer, field with hours): the summaries summed from the month after counting starts
    (the later of basic training, the field's special training and the day after earlier cards) to last
    month, and from its last 12 months; the single entries of the start month itself (read only where that
    month has hours); entries after earlier cards, for the fields; the latest month with hours."""
    end_m, recent_m = end.year * 12 + end.month - 1, end.year * 12 + end.month - 12
    start = func.coalesce(TrainingRecord.effective_on, TrainingRecord.completed_on, date.min)
    verified = and_(TrainingRecord.person_id.in_(members), TrainingRecord.status == TrainingStatus.VERIFIED)
    special = (select(TrainingRecord.person_id, TrainingRecord.field_code, func.min(start).label("day"),
                      month_index(func.min(start)).label("m"))
               .where(verified, TrainingRecord.kind == TrainingKind.SPECIAL)
               .group_by(TrainingRecord.person_id, TrainingRecord.field_code).subquery())
    # Per volunteer with basic training: its start, and the last day earlier cards used. Grouped by the table's
    # own column (its statistics give PostgreSQL the number of volunteers; a subquery's column would not, and
    # with 200 guessed it hashes the summary rows instead of these).
    last_used = case((HonorCard.window_end > HonorCard.valid_to, HonorCard.window_end), else_=HonorCard.valid_to)
    used = func.max(last_used)
    params = (select(TrainingRecord.person_id, func.min(start).label("basic"),
                     month_index(func.min(start)).label("basic_m"), used.label("used"),
                     func.coalesce(month_index(used), -1).label("used_m"))
              .outerjoin(HonorCard, and_(HonorCard.person_id == TrainingRecord.person_id,
                                         HonorCard.status != CardStatus.CANCELLED))
              .where(verified, TrainingRecord.kind == TrainingKind.BASIC)
              .group_by(TrainingRecord.person_id).cte("params")
              .prefix_with("MATERIALIZED", dialect="postgresql"))     # once, not once per summary row
    # Where counting starts per trained (volunteer, field), worked out once here and not on every summary row
    # (a summary row then costs a few integer comparisons: the aggregate reads hundreds of thousands).
    start_m = case((params.c.basic_m >= special.c.m, params.c.basic_m), else_=special.c.m)
    fields = (select(special.c.person_id, special.c.field_code,
                     case((params.c.used_m > start_m, params.c.used_m), else_=start_m).label("cut_m"),
                     case((params.c.basic >= special.c.day, params.c.basic), else_=special.c.day).label("from_day"))
              .join(params, params.c.person_id == special.c.person_id).subquery())
    h = HourMonth
    m = h.year * 12 + h.month - 1
    cut_m = fields.c.cut_m
    sums = (select(h.person_id, h.field_code, func.min(params.c.used).label("used"),
                   func.min(params.c.used_m).label("used_m"), func.min(cut_m).label("cut_m"),
                   func.min(fields.c.from_day).label("from_day"),
                   func.sum(case((and_(m > cut_m, m <= end_m), h.half_hours))).label("counted_whole"),
                   func.sum(case((and_(m > cut_m, m >= recent_m, m <= end_m), h.half_hours))).label("recent_whole"),
                   func.sum(case((m == cut_m, h.entries))).label("cut_entries"),
                   func.sum(case((and_(m > params.c.used_m, m <= end_m), h.entries))).label("after_entries"),
                   func.sum(case((m == params.c.used_m, h.entries))).label("used_entries"),
                   func.max(m).label("last_m"))
            .join(params, params.c.person_id == h.person_id)
            .outerjoin(fields, and_(fields.c.person_id == h.person_id, fields.c.field_code == h.field_code))
            .group_by(h.person_id, h.field_code)
            .subquery())
    e = HourEntry
    same = and_(e.person_id == sums.c.person_id, e.field_code == sums.c.field_code, e.status == EntryStatus.ACTIVE,
                e.end_on <= end)
    cut_raw = (select(func.coalesce(func.sum(e.half_hours), 0))
               .where(same, e.start_on >= sums.c.from_day, or_(sums.c.used.is_(None), e.start_on > sums.c.used),
                      e.start_on < first_day(sums.c.cut_m + 1)).scalar_subquery())
    used_raw = exists().where(same, e.start_on > sums.c.used, e.start_on < first_day(sums.c.used_m + 1))
    # The start month's single entries are read only when they can matter: with 300 hours counted in the
    # field's whole months already, the hours and the pace no longer move the list (NULL: not read).
    return select(sums.c.person_id, sums.c.field_code, sums.c.used_m, sums.c.cut_m, sums.c.counted_whole,
                  sums.c.recent_whole, sums.c.after_entries, sums.c.last_m,
                  case((and_(sums.c.cut_entries > 0, sums.c.cut_m <= end_m),
                        case((func.coalesce(sums.c.counted_whole, 0) < MIN_HALF_HOURS, cut_raw))),
                       else_=0).label("cut_raw"),
                  case((and_(sums.c.used_entries > 0, sums.c.used_m <= end_m), used_raw), else_=False)
                  .label("used_raw"))
