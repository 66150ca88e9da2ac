"""Awards for the demo set: this year's open rounds, last year's health-and-welfare round with its
awards, applications on their way, and a few awards of other schemes imported by authorities.

Rounds are written straight into the table; everything a person does goes through the real code:
applications, forwarding and approval through portal/awards/operations (so audit rows exist), and
other awards through the import pipeline (so each has its batch, file name and importing account).
A few long-serving volunteers ("veterans") get earlier monthly hours so that last year's round
gave them the bronze badge and their hours since then reach the silver one.
"""
import math
from datetime import date, timedelta

from flask_babel import force_locale
from sqlalchemy import func, insert, select

from portal.awards import importing
from portal.awards.facts import eligibility
from portal.awards.models import (
    SCHEMES,
    AwardRound,
    RoundStatus,
    Scheme,
)
from portal.awards.operations import apply, approve, forward
from portal.awards.rules import HEALTH_AND_WELFARE_FIELDS, THRESHOLDS
from portal.hours.models import EntryStatus, HourEntry
from portal.imports.pipeline import Context, OutcomeStatus, run
from portal.platform.extensions import db
from portal.records.models import RecordBook
from portal.registry.models import MembershipStatus
from portal.training.models import TrainingRecord

from .records import month_end

MERIT = "長期投入社區關懷與長者陪伴，協助據點活動與電話問安，服務態度熱忱。"
OTHER_AWARDS = [  # (account, unit code, award name, tier, issuer, year, date awarded)
    ("sector.education", "TPE-ED-01", "教育部青年志工績優獎", "銀質", "", 2023, "112/11/15"),
    ("sector.education", "KHH-ED-01", "教育部志願服務績優獎", "銅質", "", 2024, "113/12/04"),
    ("county.tpe", "TPE-EN-01", "臺北市績優環保志工", "", "", 2024, ""),
]


def previous_month_end(today: date) -> date:
    return date(today.year, today.month, 1) - timedelta(days=1)


def open_rounds(today: date) -> dict:
    """One open round per scheme this year: hours up to the end of last month, deadlines ahead."""
    rounds = {}
    for scheme in SCHEMES:
        rounds[scheme] = AwardRound(
            scheme=scheme, year=today.year, cutoff_on=previous_month_end(today), unit_deadline=today + timedelta(days=45),
            review_deadline=today + timedelta(days=75), ministry_deadline=today + timedelta(days=105))
        db.session.add(rounds[scheme])
    db.session.flush()
    return rounds


def last_years_round(today: date) -> AwardRound:
    """Last year's health-and-welfare round (Feb / Mar / Apr deadlines); closed once decided."""
    year = today.year - 1
    award_round = AwardRound(scheme=Scheme.HEALTH_WELFARE, year=year, cutoff_on=date(year, 1, 31),
                             unit_deadline=date(year, 2, 28), review_deadline=date(year, 3, 31),
                             ministry_deadline=date(year, 4, 30))
    db.session.add(award_round)
    db.session.flush()
    return award_round


def _hw_half_hours(person_id: int, after: date | None, until: date) -> int:
    query = select(func.sum(HourEntry.half_hours)).where(
        HourEntry.person_id == person_id, HourEntry.status == EntryStatus.ACTIVE, HourEntry.end_on <= until,
        HourEntry.field_code.in_(HEALTH_AND_WELFARE_FIELDS))
    if after is not None:
        query = query.where(HourEntry.end_on > after)
    return int(db.session.scalar(query) or 0)


def make_veteran(person, past_cutoff: date, cutoff: date) -> bool:
    """Earlier monthly hours so that the bronze badge was reached by `past_cutoff` and the silver one,
    with the hours served since, by `cutoff`. False when the person does not fit."""
    membership = person.memberships[0]
    since = _hw_half_hours(person.id, past_cutoff, cutoff)
    bronze, silver = THRESHOLDS[Scheme.HEALTH_WELFARE]["bronze"], THRESHOLDS[Scheme.HEALTH_WELFARE]["silver"]
    target = max(bronze, silver - since) if since else bronze + 400
    missing = target - _hw_half_hours(person.id, None, past_cutoff)
    if missing <= 0:
        return False
    months = math.ceil(missing / 40)               # 20 hours a month
    first = membership.joined_on.replace(day=1)
    for _ in range(months):
        first = (first - timedelta(days=1)).replace(day=1)
    rows, left, day = [], missing, first
    while left > 0:
        half = min(40, left)
        rows.append({"person_id": person.id, "unit_id": membership.unit_id, "start_on": day, "end_on": month_end(day),
                     "field_code": membership.field_code, "half_hours": half, "content": "長期關懷服務",
                     "persons_served": 12, "source": "unit", "status": "active"})
        left -= half
        day = month_end(day) + timedelta(days=1)
    db.session.execute(insert(HourEntry), rows)
    membership.joined_on = first
    for record in db.session.scalars(select(TrainingRecord).where(TrainingRecord.person_id == person.id)):
        record.completed_on = record.effective_on = first
    db.session.flush()
    return True


def veterans(people, count: int, prefer) -> list:
    """Active, trained volunteers with a record book in a health-and-welfare unit, one per unit."""
    with_book = set(db.session.scalars(select(RecordBook.person_id)))
    chosen, units = [], set()
    for person in [prefer] + [p for p in people if p is not prefer]:
        m = person.memberships[0]
        if person.id in with_book and m.status == MembershipStatus.ACTIVE and m.field_code in HEALTH_AND_WELFARE_FIELDS \
                and m.unit_id not in units:
            chosen.append(person)
            units.add(m.unit_id)
        if len(chosen) == count:
            break
    return chosen


def load_awards(people, accounts: dict, today: date, volunteer) -> dict:
    """Rounds, applications, awards and imports; returns counts for the summary line."""
    rounds = open_rounds(today)
    past = last_years_round(today)
    clerk, sector, ministry = (accounts.get(n) for n in ("clerk.tpe-sw-01", "sector.tpe.health", "ministry"))
    fitted = [p for p in veterans(people, 4, volunteer)
              if make_veteran(p, past.cutoff_on, rounds[Scheme.GENERAL].cutoff_on)]
    awards = applications = 0
    past_day = past.unit_deadline - timedelta(days=10)
    for person, result in eligibility([p.id for p in fitted], past).items():
        if not result.eligible:
            continue
        unit = next(p for p in fitted if p.id == person).memberships[0].unit
        application = apply(past, result, unit, MERIT, clerk if unit.code == "TPE-SW-01" else None, past_day)
        forward(application, sector if unit.code == "TPE-SW-02" else None, "資料齊全，轉陳衛生福利部。", past_day)
        approve(application, ministry, past.ministry_deadline + timedelta(days=20))
        awards += 1
    past.status = RoundStatus.CLOSED
    now = rounds[Scheme.HEALTH_WELFARE]
    for n, (person, result) in enumerate(sorted(eligibility([p.id for p in fitted], now).items())):
        if not result.eligible:
            continue
        unit = next(p for p in fitted if p.id == person).memberships[0].unit
        application = apply(now, result, unit, MERIT, clerk if unit.code == "TPE-SW-01" else None, today)
        if n % 2:
            forward(application, sector if unit.code == "TPE-SW-02" else None, today=today)
        applications += 1
    imported = import_other_awards(people, accounts, today)
    db.session.flush()
    return {"rounds": len(rounds) + 1, "awards": awards + imported, "applications": applications}


def import_other_awards(people, accounts: dict, today: date) -> int:
    """A few awards of other schemes, each authority importing its own file through the pipeline."""
    by_unit = {}
    for person in people:
        m = person.memberships[0]
        if m.status == MembershipStatus.ACTIVE:
            by_unit.setdefault(m.unit.code, person)
    files = {}
    for username, unit_code, title, tier, issuer, year, awarded_on in OTHER_AWARDS:
        person = by_unit.get(unit_code)
        if person is not None and username in accounts:
            files.setdefault(username, []).append([person.id_number, person.name, title, tier, issuer, str(year),
                                                   awarded_on])
    written = 0
    for username, rows in files.items():
        user = accounts[username]
        header = [c.header for c in importing.COLUMNS]
        body = "\r\n".join(",".join(r) for r in [header] + rows) + "\r\n"
        ctx = Context(authority=user.authority, user=user, today=today)
        with force_locale("en"):
            outcome = run(importing.KIND, body.encode("utf-8"), ctx, commit=True,
                          filename=f"{user.authority.name}獎項名冊.csv")
        written += outcome.committed if outcome.status == OutcomeStatus.COMMITTED else 0
    return written
