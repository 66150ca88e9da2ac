"""Honor-card (榮譽卡) eligibility that explains itself, and the validity arithmetic.

The engine takes plain facts and returns a result that says in words what is met and what
is missing; it knows nothing about the database or HTTP (the loader in facts.py builds the
facts in a few queries). Rules (docs/rules/honor-cards.md, HC1–HC12):

- Prerequisites: record book, verified basic training, verified special training for every
  field served, an accepted ID photo, and hours entered at least up to the end of last month.
- Counting window: from the later of the training start (basic and the earliest special
  training of the fields served) and the day after the previous card's expiry, to the end of
  last month. Hours before a field's own special training do not count in that field (docs/rules/training.md#t5).
- Eligible with ≥ 3 years of service and ≥ 300 hours in the window. Hours and years used for
  an earlier card are never counted again: the window starts after the earlier card, and
  hours inside an earlier card's window are excluded in any case.
- Validity: 3 years from the later of the approval date and the previous card's expiry.

Hours are integer half-hours throughout. An entry that covers a date range counts only when
the whole range lies inside the window (never half of a month that an earlier card used).
"""
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from portal.platform import audit
from portal.platform.extensions import db
from portal.platform.numbering import next_in_sequence
from portal.platform.i18n import format_date
from portal.platform.timeutil import utcnow
from portal.registry.catalog import FIELD_BY_CODE

MIN_HALF_HOURS = 600          # 300 hours (Act Art. 20)
MIN_YEARS = 3                 # 3 years of service (Act Art. 20)
VALID_YEARS = 3               # validity of a card (MOI honor-card rules)

FIRST, RENEWAL, REISSUE = "first", "renewal", "reissue"

# Checks, in the order they are shown.
NOTE_REASONS = ("used", "previous_card", "before_window", "no_training", "before_training", "straddles",
                "this_month")
RECORD_BOOK, BASIC, SPECIAL, PHOTO, ENTERED, YEARS, HOURS = (
    "record_book", "basic_training", "special_training", "photo", "hours_entered", "years", "hours")


@dataclass(frozen=True)
class HourFact:
    """One hour entry: its service date (the first day of a range), half-hours and field."""
    day: date
    half_hours: int
    field_code: str
    until: date | None = None          # last day of a date range (MOHW 服務日期訖); None: one day

    @property
    def last_day(self) -> date:
        return self.until or self.day


@dataclass(frozen=True)
class PreviousCard:
    """An earlier card that is not cancelled: its validity and the window and hours it used."""
    valid_from: date
    valid_to: date
    window_start: date | None = None
    window_end: date | None = None
    half_hours: int = 0
    number: str = ""


@dataclass
class Facts:
    """Everything the rules need about one volunteer, as plain values."""
    on: date                                            # the day of evaluation
    record_book: bool = False
    photo_accepted: bool = False
    basic_from: date | None = None                      # effective date of verified basic training
    special_from: dict = field(default_factory=dict)    # field code -> effective date of verified special training
    fields_served: tuple = ()                           # fields of the current memberships
    hours: list = field(default_factory=list)           # HourFact
    previous_cards: list = field(default_factory=list)  # PreviousCard
    hours_entered_through: date | None = None           # default: the last day of the latest entry
    person_id: int | None = None


@dataclass
class Check:
    """One rule, met or not; `message` says it in words in the current language."""
    code: str
    met: bool
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        return _message(self)

    def __str__(self):
        return self.message


@dataclass
class Result:
    on: date
    kind: str                               # first | renewal
    window_start: date | None
    window_end: date
    half_hours: int                         # counted in the window
    checks: list
    years_complete_on: date | None          # last day of the third year of the window
    excluded: dict = field(default_factory=dict)     # reason -> half-hours not counted
    by_field: dict = field(default_factory=dict)     # field code -> half-hours counted
    recent_half_hours: int = 0              # counted in the 12 months before the window end
    person_id: int | None = None
    holding: PreviousCard | None = None     # a card in force on the day of evaluation

    @property
    def eligible(self) -> bool:
        return all(c.met for c in self.checks)

    @property
    def met(self) -> list:
        return [c for c in self.checks if c.met]

    @property
    def missing(self) -> list:
        return [c for c in self.checks if not c.met]

    @property
    def missing_half_hours(self) -> int:
        return max(MIN_HALF_HOURS - self.half_hours, 0)

    @property
    def hours(self) -> float:
        return self.half_hours / 2

    def check(self, code: str) -> Check | None:
        return next((c for c in self.checks if c.code == code), None)

    @property
    def notes(self) -> list[str]:
        """Hours seen but not counted, in words."""
        return [_note(reason, half) for reason, half in self.excluded.items() if half]

    @property
    def prerequisites_met(self) -> bool:
        return all(c.met for c in self.checks if c.code not in (YEARS, HOURS, ENTERED))


# --- dates ---------------------------------------------------------------------------------

def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 2, 28)


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return add_months(month_start(day), 1) - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def end_of_last_month(on: date) -> date:
    return month_start(on) - timedelta(days=1)


def years_complete_on(start: date, years: int = MIN_YEARS) -> date:
    """The last day of `years` years of service counted from `start` (inclusive of both ends).

    Service from 2022-06-01 to 2025-05-31 is exactly 3 years; to 2025-05-30 it is 2 years 364 days.
    """
    return add_years(start, years) - timedelta(days=1)


def validity(approved_on: date, previous_valid_to: date | None = None) -> tuple[date, date]:
    """(valid from, valid to): 3 years from the later of the approval date and the previous card's expiry.

    The end keeps the calendar day (docs/rules/honor-cards.md#hc5: approved 112-12-13 → valid to 115-12-13).
    """
    start = max(approved_on, previous_valid_to) if previous_valid_to else approved_on
    return start, add_years(start, VALID_YEARS)


def span(start: date, end: date) -> tuple[int, int, int]:
    """Whole years, months and days of service from `start` to `end`, both days included."""
    if end < start:
        return 0, 0, 0
    after = end + timedelta(days=1)
    months = (after.year - start.year) * 12 + after.month - start.month
    if after.day < start.day:
        months -= 1
    anchor_index = start.year * 12 + start.month - 1 + months
    anchor_year, anchor_month = anchor_index // 12, anchor_index % 12 + 1
    anchor_day = min(start.day, month_end(date(anchor_year, anchor_month, 1)).day)
    days = (after - date(anchor_year, anchor_month, anchor_day)).days
    return months // 12, months % 12, days


# --- the engine ----------------------------------------------------------------------------

def evaluate(facts: Facts) -> Result:
    """Apply the honor-card rules to one volunteer's facts on `facts.on`."""
    end = end_of_last_month(facts.on)
    cards = sorted(facts.previous_cards, key=lambda c: c.valid_to)
    after_cards = _day_after_previous(cards)
    candidates = [h for h in facts.hours if after_cards is None or h.day >= after_cards]
    fields = sorted(set(facts.fields_served) | {h.field_code for h in candidates if h.last_day <= end})

    trained = [facts.special_from[f] for f in fields if facts.special_from.get(f)]
    training_start = max(facts.basic_from, min(trained)) if facts.basic_from and trained else None
    window_start = max(training_start, after_cards or date.min) if training_start else None

    counted, excluded, by_field, recent = _count(facts, window_start, end, cards, after_cards)
    checks = [
        Check(RECORD_BOOK, facts.record_book),
        Check(BASIC, facts.basic_from is not None),
    ]
    checks += [Check(SPECIAL, bool(facts.special_from.get(f)), {"field": f}) for f in fields] or \
        [Check(SPECIAL, False, {"field": None})]
    checks.append(Check(PHOTO, facts.photo_accepted))
    entered = facts.hours_entered_through or max((h.last_day for h in facts.hours), default=None)
    checks.append(Check(ENTERED, entered is not None and entered >= month_start(end), {"month": month_start(end)}))

    complete_on = years_complete_on(window_start) if window_start else None
    years_met = complete_on is not None and end >= complete_on
    years_params = {"start": window_start, "end": end, "complete_on": complete_on}
    checks.append(Check(YEARS, years_met, years_params))
    checks.append(Check(HOURS, counted >= MIN_HALF_HOURS, {"counted": counted, "start": window_start, "end": end}))
    return Result(on=facts.on, kind=RENEWAL if cards else FIRST, window_start=window_start, window_end=end,
                  half_hours=counted, checks=checks, years_complete_on=complete_on, excluded=excluded,
                  by_field=by_field, recent_half_hours=recent, person_id=facts.person_id,
                  holding=next((c for c in reversed(cards) if c.valid_from <= facts.on <= c.valid_to), None))


def _day_after_previous(cards: list[PreviousCard]) -> date | None:
    """The first day that no earlier card used: after its expiry and after its counting window."""
    days = [c.valid_to + timedelta(days=1) for c in cards]
    days += [c.window_end + timedelta(days=1) for c in cards if c.window_end]
    return max(days, default=None)


def _count(facts: Facts, start: date | None, end: date, cards: list[PreviousCard], after_cards: date | None):
    """Half-hours counted in the window, by field and in its last 12 months; the rest by reason."""
    counted, by_field, recent = 0, {}, 0
    excluded = {reason: 0 for reason in NOTE_REASONS}
    recent_from = add_months(end, -11)
    windows = [(c.window_start, c.window_end) for c in cards if c.window_start and c.window_end]
    for h in facts.hours:
        if h.day > end:
            reason = "this_month"
        elif any(a <= h.day <= b for a, b in windows):
            reason = "used"
        elif start is None:
            reason = "no_training"
        elif h.last_day < start:
            reason = "previous_card" if after_cards and h.day < after_cards else "before_window"
        elif h.day < start or h.last_day > end:
            reason = "straddles"
        elif h.day < max(facts.basic_from, facts.special_from.get(h.field_code) or date.max):
            reason = "before_training"
        else:
            counted += h.half_hours
            by_field[h.field_code] = by_field.get(h.field_code, 0) + h.half_hours
            if h.day >= recent_from:
                recent += h.half_hours
            continue
        excluded[reason] += h.half_hours
    return counted, excluded, by_field, recent


def evaluate_many(facts: Iterable[Facts]) -> dict:
    return {f.person_id: evaluate(f) for f in facts}


# --- looking ahead -------------------------------------------------------------------------

@dataclass
class Outlook:
    """When the volunteer can be expected to qualify, and why then."""
    status: str                  # eligible | soon | later | blocked
    expected_on: date | None     # the first day an application is expected to be possible
    monthly_half_hours: float    # average counted per month over the last 12 months


def outlook(result: Result, months: int) -> Outlook:
    """Eligible now; expected within `months` months (years by the calendar, hours at the pace of the
    last 12 months, missing papers assumed to be completed now); later; or blocked (no training yet,
    or no hours counted lately)."""
    rate = result.recent_half_hours / 12
    if result.eligible:
        return Outlook("eligible", result.on, rate)
    if result.window_start is None:
        return Outlook("blocked", None, rate)
    expected = result.on
    if result.years_complete_on and result.window_end < result.years_complete_on:
        expected = max(expected, month_end(result.years_complete_on) + timedelta(days=1))
    if result.missing_half_hours:
        if rate <= 0:
            return Outlook("blocked", None, rate)
        expected = max(expected, add_months(result.on, math.ceil(result.missing_half_hours / rate)))
    return Outlook("soon" if expected <= add_months(result.on, months) else "later", expected, rate)


# --- words ---------------------------------------------------------------------------------

def format_half_hours(half_hours: int) -> str:
    """600 -> "300", 85 -> "42.5"."""
    return str(half_hours // 2) if half_hours % 2 == 0 else f"{half_hours / 2:.1f}"


def month_label(day: date) -> str:
    """115年10月 in Chinese, 2026-10 in English."""
    if _chinese():
        return f"{day.year - 1911}年{day.month}月"
    return f"{day.year:04d}-{day.month:02d}"


def _chinese() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "zh"


def _date(day: date | None) -> str:
    """ROC in Chinese, ISO in English; ISO outside a request (plain unit tests, command line)."""
    if get_locale() is None:
        return day.isoformat() if day else ""
    return format_date(day)


def field_name(code: str | None) -> str:
    entry = FIELD_BY_CODE.get(code)
    if entry is None:
        return code or ""
    return entry.name if _chinese() else entry.name_en


def span_words(start: date, end: date) -> str:
    years, months, days = span(start, end)
    return _("%(years)s years %(months)s months %(days)s days", years=years, months=months, days=days)


def _message(check: Check) -> str:
    p = check.params
    if check.code == RECORD_BOOK:
        return _("Record book issued") if check.met else _("No record book issued yet")
    if check.code == BASIC:
        return _("Basic training verified") if check.met else _("Basic training not verified")
    if check.code == SPECIAL:
        if p.get("field") is None:
            return _("No verified special training for any field served")
        if check.met:
            return _("Special training for %(field)s verified", field=field_name(p["field"]))
        return _("Special training for %(field)s not verified", field=field_name(p["field"]))
    if check.code == PHOTO:
        return _("ID photo accepted") if check.met else _("No accepted ID photo")
    if check.code == ENTERED:
        if check.met:
            return _("Hours entered up to %(month)s", month=month_label(p["month"]))
        return _("Hours for %(month)s not yet entered", month=month_label(p["month"]))
    if check.code == YEARS:
        if p.get("start") is None:
            return _("Years of service cannot be counted until the training is verified")
        if check.met:
            return _("%(span)s of service since %(start)s (3 years needed)",
                     span=span_words(p["start"], p["end"]), start=_date(p["start"]))
        if p["start"] > p["end"]:
            return _("The next counting window starts on %(start)s; 3 years of service complete on %(date)s",
                     start=_date(p["start"]), date=_date(p["complete_on"]))
        return _("3 years of service complete on %(date)s (so far %(span)s since %(start)s)",
                 date=_date(p["complete_on"]), span=span_words(p["start"], p["end"]), start=_date(p["start"]))
    if check.code == HOURS:
        counted = format_half_hours(p["counted"])
        if check.met:
            return _("%(hours)s hours in the window (300 needed)", hours=counted)
        return _("Still needs %(missing)s hours (%(hours)s of 300 counted)",
                 missing=format_half_hours(MIN_HALF_HOURS - p["counted"]), hours=counted)
    return check.code


def _note(reason: str, half_hours: int) -> str:
    hours = format_half_hours(half_hours)
    if reason == "used":
        return _("%(hours)s hours were used for an earlier card and are not counted again.", hours=hours)
    if reason == "previous_card":
        return _("%(hours)s hours served before the previous card expired are not counted.", hours=hours)
    if reason == "before_window":
        return _("%(hours)s hours before the counting window are not counted.", hours=hours)
    if reason == "no_training":
        return _("%(hours)s hours cannot be counted until the training is verified.", hours=hours)
    if reason == "before_training":
        return _("%(hours)s hours served before the special training of their field are not counted.", hours=hours)
    if reason == "straddles":
        return _("%(hours)s hours in entries that cross the edge of the counting window are not counted.", hours=hours)
    return _("%(hours)s hours of this month will count from next month.", hours=hours)


def window_words(result: Result) -> str:
    if result.window_start is None:
        return _("No counting window yet: the training is not verified.")
    if result.window_start > result.window_end:
        return _("The next counting window starts on %(start)s.", start=_date(result.window_start))
    return _("Counting window %(start)s – %(end)s", start=_date(result.window_start), end=_date(result.window_end))


# --- applications, review, cards (flush, never commit; the view commits) --------------------

class HonorCardError(ValueError):
    """The rules refuse the action; str() is the message in the user's language."""


def _user_id(user) -> int | None:
    return getattr(user, "id", None)


def open_application_of(person_id: int):
    from .models import SUBMITTED, HonorCardApplication
    return db.session.scalar(select(HonorCardApplication).where(
        HonorCardApplication.person_id == person_id, HonorCardApplication.status == SUBMITTED))


def apply_for(people: list, unit, user, *, on: date, letter=None, note: str = "") -> list:
    """Applications of `unit` for each person (Person objects serving in the unit) eligible on `on`.

    All or nothing: HonorCardError lists every volunteer who cannot be applied for, and why.
    """
    from .facts import eligibility
    from .models import HonorCardApplication
    results = eligibility([p.id for p in people], on)
    problems = []
    for person in people:
        result = results.get(person.id)
        if open_application_of(person.id) is not None:
            problems.append(_("%(name)s already has an application waiting for the county.", name=person.name))
        elif result is None or not result.eligible:
            reasons = "; ".join(c.message for c in result.missing) if result else ""
            problems.append(_("%(name)s is not eligible: %(reasons)s", name=person.name, reasons=reasons))
    if problems:
        raise HonorCardError(" ".join(problems))
    applications = []
    for person in people:
        result = results[person.id]
        application = HonorCardApplication(
            person_id=person.id, unit_id=unit.id, kind=result.kind, applied_on=on, applied_by_id=_user_id(user),
            window_start=result.window_start, window_end=result.window_end, half_hours=result.half_hours,
            letter_file_id=getattr(letter, "id", None), note=note or "")
        db.session.add(application)
        applications.append(application)
    db.session.flush()
    for application, person in zip(applications, people):
        audit.record("honor_card.apply", application, person=person.id, unit=unit.id, kind=application.kind,
                     window=f"{application.window_start}..{application.window_end}",
                     hours=format_half_hours(application.half_hours), letter=application.letter_file_id)
    return applications


def cancel_application(application, user):
    from .models import CANCELLED_APP
    if not application.is_open:
        raise HonorCardError(_("Only an application that the county has not reviewed yet can be cancelled."))
    application.status, application.cancelled_at = CANCELLED_APP, utcnow()
    application.cancelled_by_id = _user_id(user)
    db.session.flush()
    audit.record("honor_card.cancel_application", application, person=application.person_id)


def return_application(application, reason: str, user):
    from .models import RETURNED
    if not application.is_open:
        raise HonorCardError(_("This application has already been decided or cancelled."))
    reason = (reason or "").strip()
    if not reason:
        raise HonorCardError(_("Please give the reason for returning the application."))
    application.status, application.return_reason = RETURNED, reason[:300]
    application.decided_at, application.decided_by_id = utcnow(), _user_id(user)
    db.session.flush()
    audit.record("honor_card.return", application, person=application.person_id, reason=application.return_reason)


def next_card_number(county_code: str, on: date) -> str:
    """HC-<county>-<ROC year>-<6-digit sequence per county and year>, e.g. HC-TPE-115-000001."""
    roc, number = next_in_sequence("honor_card", county_code, on)
    return f"HC-{county_code}-{roc:03d}-{number:06d}"


def latest_card(person_id: int):
    """The person's latest card that is not cancelled (a replaced card counts by its reissue)."""
    from .models import VALID, HonorCard
    return db.session.scalar(select(HonorCard).where(HonorCard.person_id == person_id, HonorCard.status == VALID)
                             .order_by(HonorCard.valid_to.desc(), HonorCard.id.desc()).limit(1))


def approve_application(application, authority, user, *, on: date):
    """Approve: re-check eligibility on the application day, number the card and set its validity
    (3 years from the later of today and the previous card's expiry). The caller commits, then
    issues the e-card with documents.issue_documents() (the PDF is rendered outside the transaction)."""
    from .facts import eligibility_of
    from .models import APPROVED, HonorCard
    if not application.is_open:
        raise HonorCardError(_("This application has already been decided or cancelled."))
    result = eligibility_of(application.person_id, application.applied_on)
    if result is None or not result.eligible:
        reasons = "; ".join(c.message for c in result.missing) if result else ""
        raise HonorCardError(_("%(name)s is no longer eligible: %(reasons)s Return the application instead.",
                               name=application.person.name, reasons=reasons))
    previous = latest_card(application.person_id)
    valid_from, valid_to = validity(on, previous.valid_to if previous else None)
    card = HonorCard(person_id=application.person_id, number=next_card_number(authority.county_code, on),
                     kind=RENEWAL if previous else FIRST, county_code=authority.county_code,
                     authority_id=authority.id, application_id=application.id, approved_on=on,
                     valid_from=valid_from, valid_to=valid_to, window_start=result.window_start,
                     window_end=result.window_end, half_hours=result.half_hours, source="application",
                     issued_by_id=_user_id(user))
    db.session.add(card)
    application.status, application.decided_at, application.decided_by_id = APPROVED, utcnow(), _user_id(user)
    application.window_start, application.window_end = result.window_start, result.window_end
    application.half_hours = result.half_hours
    db.session.flush()
    audit.record("honor_card.approve", application, person=application.person_id, card=card.number)
    audit.record("honor_card.issue", card, person=card.person_id, number=card.number, kind=card.kind,
                 valid=f"{card.valid_from}..{card.valid_to}", window=f"{card.window_start}..{card.window_end}",
                 hours=format_half_hours(card.half_hours or 0))
    return card


def cancel_card(card, reason: str, user, *, on: date):
    """註銷: the card stops being valid at once, and so does its verification page."""
    from .models import CANCELLED, VALID
    if card.status != VALID:
        raise HonorCardError(_("Only a valid card can be cancelled."))
    reason = (reason or "").strip()
    if not reason:
        raise HonorCardError(_("Please give the reason for cancelling the card."))
    card.status, card.cancelled_on, card.cancel_reason = CANCELLED, on, reason[:300]
    card.cancelled_by_id = _user_id(user)
    db.session.flush()
    audit.record("honor_card.cancel", card, number=card.number, reason=card.cancel_reason)
    from .documents import revoke_card_document
    revoke_card_document(card, reason, user)


def reissue_card(card, authority, user, *, on: date, render=None):
    """補發: a new card number with the same validity, window and hours; the old card is replaced."""
    from .models import REISSUE, REPLACED, VALID, HonorCard
    if card.status != VALID:
        raise HonorCardError(_("Only a valid card can be reissued."))
    new = HonorCard(person_id=card.person_id, number=next_card_number(card.county_code, on), kind=REISSUE,
                    county_code=card.county_code, authority_id=authority.id, approved_on=on,
                    valid_from=card.valid_from, valid_to=card.valid_to, window_start=card.window_start,
                    window_end=card.window_end, half_hours=card.half_hours, replaces_id=card.id, source="reissue",
                    issued_by_id=_user_id(user))
    card.status = REPLACED
    db.session.add(new)
    db.session.flush()
    audit.record("honor_card.reissue", new, number=new.number, replaces=card.number)
    from .documents import issue_card_document
    issue_card_document(new, authority, user, render=render, replaces=card)
    return new
