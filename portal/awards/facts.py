"""Database rows → the engine's facts, for a page of people or a whole unit in a fixed number of queries.

Hours count up to the round's cut-off by the entry's last day (an entry ending after the cut-off does not
count). They come from the yearly summaries (hours.summaries.HourPersonYear) for the years before the
cut-off's, and from the monthly summaries (hours.summaries.HourMonth, month = the entry's first day)
for that year's months before the cut-off's month (and for that month too when the cut-off is its last day), plus
the single entries that start in the cut-off's month and end by the cut-off, minus the rare entries summed in an earlier month whose range ends after the
cut-off (honor_cards.facts.crosses_months). For a
unit the people are a subquery (its current members), never a list of thousands of ids.
tests/test_eligibility_scale.py proves the hours equal a sum over every raw entry.
"""
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import Select, func, select

from portal.certificates.models import PERFORMANCE
from portal.documents.models import Document, DocumentStatus
from portal.honor_cards.facts import crosses_months
from portal.hours.models import ACTIVE, HourEntry
from portal.hours.summaries import HourMonth, HourPersonYear
from portal.platform.dates import month_end
from portal.platform.extensions import db
from portal.records.models import CANCELLED as BOOK_CANCELLED
from portal.records.models import RecordBook

from .models import OPEN_STATUSES, Award, AwardApplication, AwardRound, AwardStatus, Scheme
from .rules import HEALTH_AND_WELFARE_FIELDS, Facts, Result, evaluate


def hours_up_to(people, cutoff: date, fields: tuple | None = None) -> dict[int, int]:
    """Half-hours of active entries ending by `cutoff` per person (`people`: ids or a subquery of ids),
    only in `fields` when given: up to four grouped queries over the summaries and the cut-off's month."""
    # A cut-off on a month's last day (the usual 31 December) takes its whole month from the summaries too.
    first = month_end(cutoff) + timedelta(days=1) if cutoff == month_end(cutoff) else cutoff.replace(day=1)
    # The years before the first month's year from the yearly summaries (a few rows per volunteer instead of
    # every month since 2001), that year's months before it from the monthly ones.
    years = (select(HourPersonYear.person_id, func.sum(HourPersonYear.half_hours))
             .where(HourPersonYear.person_id.in_(people), HourPersonYear.year < first.year))
    months = (select(HourMonth.person_id, func.sum(HourMonth.half_hours))
              .where(HourMonth.person_id.in_(people), HourMonth.year == first.year, HourMonth.month < first.month))
    single = (select(HourEntry.person_id, func.sum(HourEntry.half_hours))
              .where(HourEntry.person_id.in_(people), HourEntry.status == ACTIVE, HourEntry.start_on >= first,
                     HourEntry.start_on <= cutoff, HourEntry.end_on <= cutoff))
    later = (select(HourEntry.person_id, func.sum(HourEntry.half_hours))
             .where(HourEntry.person_id.in_(people), HourEntry.status == ACTIVE, crosses_months(),
                    HourEntry.end_on > cutoff, HourEntry.start_on < first))
    if fields is not None:
        years = years.where(HourPersonYear.field_code.in_(fields))
        months = months.where(HourMonth.field_code.in_(fields))
        single, later = (q.where(HourEntry.field_code.in_(fields)) for q in (single, later))
    queries = [(years, 1), (later, -1)]
    if first.month > 1:
        queries.append((months, 1))
    if first <= cutoff:
        queries.append((single, 1))
    counted = defaultdict(int)
    for query, sign in queries:
        for pid, half in db.session.execute(query.group_by(query.selected_columns[0])):
            counted[pid] += sign * int(half or 0)
    return counted


def load_facts(people: Iterable[int] | Select, award_round: AwardRound) -> dict[int, Facts]:
    """Facts per person: `people` are ids, or a subquery of ids (a unit's members) for a whole list."""
    if isinstance(people, Select):
        ids = people
        keys = db.session.scalars(select(func.distinct(people.subquery().c[0]))).all()
    else:
        keys = ids = sorted(set(people))
    if not keys:
        return {}
    fields = HEALTH_AND_WELFARE_FIELDS if award_round.scheme == Scheme.HEALTH_WELFARE else None
    counted = hours_up_to(ids, award_round.cutoff_on, fields)
    with_book = set(db.session.scalars(select(RecordBook.person_id).where(
        RecordBook.person_id.in_(ids), RecordBook.kind != BOOK_CANCELLED)))
    certificates = dict(db.session.execute(
        select(Document.person_id, func.max(Document.id)).where(
            Document.person_id.in_(ids), Document.kind == PERFORMANCE, Document.status == DocumentStatus.VALID)
        .group_by(Document.person_id)).all())
    received = defaultdict(set)
    for pid, tier in db.session.execute(select(Award.person_id, Award.tier).where(
            Award.person_id.in_(ids), Award.scheme == award_round.scheme, Award.status == AwardStatus.VALID)):
        received[pid].add(tier)
    applied = set(db.session.scalars(select(AwardApplication.person_id).where(
        AwardApplication.person_id.in_(ids), AwardApplication.round_id == award_round.id,
        AwardApplication.status.in_(OPEN_STATUSES))))
    return {pid: Facts(person_id=pid, scheme=award_round.scheme, cutoff_on=award_round.cutoff_on,
                       half_hours=counted.get(pid, 0), record_book=pid in with_book,
                       performance_certificate_id=certificates.get(pid), received_tiers=received[pid],
                       open_application=pid in applied)
            for pid in keys}


def eligibility(person_ids: Iterable[int], award_round: AwardRound) -> dict[int, Result]:
    return {pid: evaluate(f) for pid, f in load_facts(person_ids, award_round).items()}


def checks_today(application: AwardApplication) -> Result:
    """The engine's checks for an open application as of today, not counting the application itself."""
    facts = load_facts([application.person_id], application.round)[application.person_id]
    facts.open_application = False
    return evaluate(facts)
