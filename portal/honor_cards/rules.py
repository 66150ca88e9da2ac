"""Honor-card (榮譽卡) eligibility that explains itself, and the validity arithmetic.

The engine takes plain facts and returns a result that says in words what is met and what
is missing; it knows nothing about the database or HTTP (the loader in facts.py builds the
facts in a few queries; operations.py writes the applications and cards). Rules (docs/rules/honor-cards.md, HC1–HC12):

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

Size: a little over 400 lines, because the engine and its words belong together: each
message reads the codes and parameters that evaluate() fills in (Check.message, Result.notes).
"""
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from flask_babel import get_locale
from flask_babel import gettext as _

from portal.platform.dates import add_months, add_years, month_end, month_start
from portal.platform.i18n import format_date, hours_text, month_label
from portal.registry.catalog import FIELD_BY_CODE

from .models import CardKind

MIN_HALF_HOURS = 600          # 300 hours (Act Art. 20)
MIN_YEARS = 3                 # 3 years of service (Act Art. 20)
VALID_YEARS = 3               # validity of a card (MOI honor-card rules)

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
    kind: CardKind                          # first | renewal
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
    def is_renewal(self) -> bool:
        return self.kind == CardKind.RENEWAL


# --- dates (calendar arithmetic: portal.platform.dates) -------------------------------------

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
    after_cards = day_after_previous(cards)
    candidates = [h for h in facts.hours if after_cards is None or h.day >= after_cards]
    fields = sorted(set(facts.fields_served) | {h.field_code for h in candidates if h.last_day <= end})

    trained = [facts.special_from[f] for f in fields if facts.special_from.get(f)]
    window_start = window_start_of(facts.basic_from, trained, after_cards)

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
    return Result(on=facts.on, kind=CardKind.RENEWAL if cards else CardKind.FIRST, window_start=window_start,
                  window_end=end, half_hours=counted, checks=checks, years_complete_on=complete_on, excluded=excluded,
                  by_field=by_field, recent_half_hours=recent, person_id=facts.person_id,
                  holding=next((c for c in reversed(cards) if c.valid_from <= facts.on <= c.valid_to), None))


def window_start_of(basic_from: date | None, trained: list, after_cards: date | None) -> date | None:
    """The counting window's first day: the later of the training start (basic training and the earliest
    special training of the fields served, `trained`) and the day after the previous cards; None untrained."""
    training_start = max(basic_from, min(trained)) if basic_from and trained else None
    return max(training_start, after_cards or date.min) if training_start else None


def day_after_previous(cards: list[PreviousCard]) -> date | None:
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


# --- looking ahead -------------------------------------------------------------------------

class OutlookStatus(StrEnum):
    """Where a volunteer stands, in the order the unit's list shows them."""
    ELIGIBLE = "eligible"
    SOON = "soon"           # expected within the months asked about
    LATER = "later"
    BLOCKED = "blocked"     # no training yet, or no hours counted lately


LIST_ORDER = tuple(OutlookStatus)


@dataclass
class Outlook:
    """When the volunteer can be expected to qualify, and why then."""
    status: OutlookStatus
    expected_on: date | None     # the first day an application is expected to be possible
    monthly_half_hours: float    # average counted per month over the last 12 months
    on: date | None = None       # the day of evaluation

    @property
    def eligible(self) -> bool:
        return self.status == OutlookStatus.ELIGIBLE

    @property
    def expected(self) -> bool:
        """Not eligible yet, but a day is expected (soon or later)."""
        return self.status in (OutlookStatus.SOON, OutlookStatus.LATER)

    @property
    def papers_only(self) -> bool:
        """Expected today already: only papers are missing (assumed to be completed now)."""
        return self.expected and self.expected_on <= self.on


def outlook(result: "Result | Standing", months: int) -> Outlook:
    """Eligible now; expected within `months` months (years by the calendar, hours at the pace of the
    last 12 months, missing papers assumed to be completed now); later; or blocked (no training yet,
    or no hours counted lately)."""
    rate = result.recent_half_hours / 12
    if result.eligible:
        return Outlook(OutlookStatus.ELIGIBLE, result.on, rate, result.on)
    if result.window_start is None:
        return Outlook(OutlookStatus.BLOCKED, None, rate, result.on)
    expected = result.on
    if result.years_complete_on and result.window_end < result.years_complete_on:
        expected = max(expected, month_end(result.years_complete_on) + timedelta(days=1))
    if result.missing_half_hours:
        if rate <= 0:
            return Outlook(OutlookStatus.BLOCKED, None, rate, result.on)
        expected = max(expected, add_months(result.on, math.ceil(result.missing_half_hours / rate)))
    status = OutlookStatus.SOON if expected <= add_months(result.on, months) else OutlookStatus.LATER
    return Outlook(status, expected, rate, result.on)


# --- the unit's list -------------------------------------------------------------------------

EVERYONE = "all"            # the "Show" choice that lists every volunteer (forms.WITHIN_CHOICES)


def months_ahead(within: str) -> int:
    """How many months ahead the list's "Show" choice looks ("all": a century)."""
    return 1200 if within == EVERYONE else int(within or 0)


def listed(look: Outlook, within: str) -> bool:
    """The list shows who is eligible now or soon; "all" shows everyone, with what is missing."""
    return within == EVERYONE or look.status in (OutlookStatus.ELIGIBLE, OutlookStatus.SOON)


def list_key(look: Outlook):
    """Eligible first, then by the expected day; those without one last (date.max: on 29 February
    on.replace(year=9999) would not exist)."""
    return LIST_ORDER.index(look.status), look.expected_on or date.max


@dataclass(slots=True)
class Standing:
    """What outlook() reads of a Result, decided from totals instead of hour entries (standing())."""
    on: date
    eligible: bool
    window_start: date | None
    window_end: date
    years_complete_on: date | None
    missing_half_hours: int
    recent_half_hours: int


def standing(on: date, *, record_book: bool, photo_accepted: bool, basic_from: date | None, special_from: dict,
             fields: set, after_cards: date | None, entered: bool, counted: int, recent: int) -> Standing:
    """The engine's decision for the unit's list from what the database sums (listing.py), the same as
    evaluate() gives (tests/test_eligibility_scale.py): `fields` are the fields served and those with hours
    from `after_cards` ending by the end of last month; `counted`/`recent` the half-hours from the later of
    basic training, the field's special training and `after_cards`, ending by the end of last month (an
    hour counted belongs to a field in `fields`, so the earliest special training never cuts it)."""
    end = end_of_last_month(on)
    trained = [special_from[f] for f in fields if special_from.get(f)]
    start = window_start_of(basic_from, trained, after_cards)
    complete_on = years_complete_on(start) if start else None
    counted, recent = (counted, recent) if start else (0, 0)
    # Every field trained (no field at all leaves no window, so no completion day either).
    eligible = (record_book and len(trained) == len(fields) and photo_accepted and entered
                and complete_on is not None and end >= complete_on and counted >= MIN_HALF_HOURS)
    return Standing(on, eligible, start, end, complete_on, max(MIN_HALF_HOURS - counted, 0), recent)


def may_be_applied_for(result: Result, open_application) -> bool:
    """A unit applies for an eligible volunteer who has no application waiting for the county."""
    return result.eligible and open_application is None


# --- words ---------------------------------------------------------------------------------

def _month(day: date) -> str:
    """115年10月 in Chinese, 2026-10 in English and outside a request (plain unit tests, command line)."""
    if get_locale() is None:
        return f"{day.year:04d}-{day.month:02d}"
    return month_label(day.year, day.month, style="long")


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
            return _("Hours entered up to %(month)s", month=_month(p["month"]))
        return _("Hours for %(month)s not yet entered", month=_month(p["month"]))
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
        counted = hours_text(p["counted"], grouped=False)   # these messages never grouped thousands
        if check.met:
            return _("%(hours)s hours in the window (300 needed)", hours=counted)
        return _("Still needs %(missing)s hours (%(hours)s of 300 counted)",
                 missing=hours_text(MIN_HALF_HOURS - p["counted"], grouped=False), hours=counted)
    return check.code


def _note(reason: str, half_hours: int) -> str:
    hours = hours_text(half_hours, grouped=False)
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


