"""The rules every hour entry passes, whatever path it comes in by (docs/rules/hours.md).

Single form, batch grid, volunteer claim, claim approval, correction and file import all build
`Draft`s and run them through one `EntryChecker`: 0.5-hour steps, at most 24 hours a day across
units, no overlapping ranges in a unit, dates from 2001-01-20 to today, membership on the day and
the training gate. The checker is pure: facts.entry_checker loads what it needs for all drafts at
once (a fixed number of queries per request or file, never one per row).
"""
import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from portal.imports.values import MESSAGES as VALUE_MESSAGES
from portal.imports.values import Refused, cell_text
from portal.platform.i18n import format_date, hours_text, join_list, localized
from portal.registry.catalog import FIELD_BY_CODE

EARLIEST = date(2001, 1, 20)  # the Volunteer Service Act took effect (docs/rules/hours.md#h6)
MAX_HALF_HOURS_PER_DAY = 48
MAX_RANGE_DAYS = 366

_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_CODE = re.compile(r"^[0-9A-Za-z]{1,4}$")

# A training gate: None when hours of the person in the field on the day may be recorded, else the
# message naming what is missing (training.operations.gate_checker builds one).
GateCheck = Callable[[int, str, date], str | None]


def _day(iso: str) -> str:
    return format_date(date.fromisoformat(iso))


def _hours(half: int) -> str:
    return hours_text(half, grouped=False)


# Every message an hour entry can get: the import pipeline's value messages and the hours rules'.
MESSAGES: dict[str, Callable[..., str]] = {
    **VALUE_MESSAGES,
    "not_a_number": lambda **p: _("Enter the hours as a number such as 2 or 2.5 (digits and a decimal point only)."),
    "negative": lambda **p: _("Hours cannot be negative."),
    "zero": lambda **p: _("Hours must be more than 0."),
    "quarter_hour": lambda **p: _("Hours go in steps of 0.5 hour (30 minutes)."),
    "minutes": lambda **p: _("Minutes must be 0 or 30."),
    "over_24h_day": lambda **p: _(
        "At most 24 hours per day: on %(date)s this volunteer would have %(total)s hours in all units.",
        date=_day(p["date"]), total=_hours(p["total"])),
    "over_24h_range": lambda **p: _(
        "At most 24 hours per day: %(total)s hours in %(days)s days is more than %(max)s hours.",
        total=_hours(p["total"]), days=p["days"], max=p["days"] * 24),
    "before_act": lambda **p: _("Dates before %(date)s, when the Volunteer Service Act took effect, are not accepted.",
                                date=format_date(EARLIEST)),
    "future_date": lambda **p: _("Service dates cannot be in the future (today is %(today)s).",
                                 today=_day(p["today"])),
    "end_before_start": lambda **p: _("The end date is before the start date."),
    "not_member": lambda **p: _("This volunteer is not on your unit's roster."),
    "not_member_on": lambda **p: _("This volunteer was not serving in your unit on %(date)s.", date=_day(p["date"])),
    "overlap_entry": lambda **p: _("Overlaps entry #%(id)s (%(start)s to %(end)s) of this volunteer in your unit.",
                                   id=p["id"], start=_day(p["start"]), end=_day(p["end"])),
    "overlap_row": lambda **p: _("Overlaps row %(row)s (%(start)s to %(end)s) of the same volunteer.",
                                 row=p["row"], start=_day(p["start"]), end=_day(p["end"])),
    "duplicate_entry": lambda **p: _("The same entry already exists (entry #%(id)s).", id=p["id"]),
    "duplicate_row": lambda **p: _("The same entry is already in row %(row)s.", row=p["row"]),
    "field": lambda **p: _("Use a service field of your unit: %(fields)s.", fields=p["fields"]),
    "code_format": lambda **p: _("Codes have 1 to 4 letters or digits."),
    "money": lambda **p: _("Enter a whole amount in NT$ (0 or more)."),
    "count": lambda **p: _("Enter a whole number (0 or more)."),
    "action": lambda **p: _("Only import action A (add) is supported; correct or void entries on their own page."),
    "ambiguous_volunteer": lambda **p: _("Several volunteers on your roster match; type the ID number instead."),
    "no_match": lambda **p: _("No volunteer on your roster matches."),
    "too_many_days": lambda **p: _("A date range may cover at most %(n)s days.", n=p["n"]),
}


@dataclass
class Problem:
    """Why a value was refused: a stable code (for tests and files) and a message in the user's language."""
    code: str
    field: str
    params: dict = field(default_factory=dict)
    key: str | None = None
    render: Callable[[], str] | None = None

    @property
    def message(self) -> str:
        if self.render is not None:
            return self.render()
        return MESSAGES[self.key or self.code](**self.params)


def problem_of(exc: Refused, field_name: str) -> Problem:
    """A refused value as the problem of a form field or grid column."""
    return Problem(exc.code, field_name, exc.params, exc.key)


# -- reading single values ---------------------------------------------------------------

def parse_number(value) -> Decimal:
    """A non-negative decimal written with digits (full-width allowed); no exponents, NaN or infinity."""
    if isinstance(value, bool):
        raise Refused("not_a_number")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise Refused("not_a_number")
        if "e" in repr(value):
            raise Refused("not_a_number")
        number = Decimal(repr(value))
    else:
        text = cell_text(value).replace(" ", "")
        if not text:
            raise Refused("required")
        negative = text[0] in "-−"
        body = text[1:] if negative else text
        if not _NUMBER.match(body):
            raise Refused("not_a_number")
        try:
            number = Decimal(body)
        except InvalidOperation:
            raise Refused("not_a_number") from None
        if negative:
            number = -number
    if number < 0:
        raise Refused("negative")
    return number


def half_hours_of(value) -> int:
    """Hours typed or read from a cell (2, 2.5, ２．５) as a positive number of half-hours."""
    number = parse_number(value)
    if number == 0:
        raise Refused("zero")
    doubled = number * 2
    if doubled != doubled.to_integral_value():
        raise Refused("quarter_hour")
    return int(doubled)


def whole_number(value, code: str = "count", default: int = 0, maximum: int = 10_000_000) -> int:
    """A whole number ≥ 0 (persons served, NT$ amounts); empty gives the default."""
    if type(value) is float and value.is_integer() and 0 <= value <= maximum:
        return int(value)
    if value is None or value == "" or cell_text(value) == "":
        return default
    try:
        number = parse_number(value)
    except Refused:
        raise Refused(code) from None
    if number != number.to_integral_value() or number > maximum:
        raise Refused(code)
    return int(number)


def check_day(day: date, today: date):
    """Service dates run from the day the Volunteer Service Act took effect to today."""
    if day < EARLIEST:
        raise Refused("before_act")
    if day > today:
        raise Refused("future_date", today=today.isoformat())


@functools.lru_cache(maxsize=4096)
def code_value(value) -> str:
    """A code of the MOHW template (item, content, area): 1 to 4 letters or digits, kept as given."""
    text = cell_text(value)
    if text and not _CODE.match(text):
        raise Refused("code_format")
    return text


def field_names(codes: Iterable[str]) -> str:
    return join_list(localized(FIELD_BY_CODE.get(c)) or c for c in codes)


# -- the checker ------------------------------------------------------------------------

@dataclass(slots=True)
class Draft:
    """A proposed entry; `ref` is its row number in a file or grid (None for a single form)."""
    person_id: int
    unit_id: int
    start_on: date
    end_on: date
    half_hours: int
    field_code: str
    ref: int | None = None

    @property
    def key(self) -> tuple:
        return (self.person_id, self.unit_id, self.start_on, self.end_on, self.field_code, self.half_hours)

    @property
    def single_day(self) -> bool:
        return self.start_on == self.end_on


@dataclass(slots=True)
class _Known:
    """An entry the checker knows about: stored (id) or accepted earlier in this request (row)."""
    start_on: date
    end_on: date
    half_hours: int
    unit_id: int
    id: int | None = None
    row: int | None = None


class EntryChecker:
    """Checks drafts against stored entries, memberships, the training gate and each other.

    facts.entry_checker builds it once with every person and the date window involved and feeds
    it the stored entries and memberships; `check()` returns the problems of one draft, `accept()`
    records a draft that will be written so later drafts are checked against it too.
    `duplicate_of()` tells whether the same entry already exists.
    """

    def __init__(self, gate: GateCheck, unit_fields: dict[int, list[str]] | None = None):
        self.unit_fields = unit_fields or {}
        self.gate = gate
        self.day_totals: dict[tuple[int, date], int] = defaultdict(int)
        self.singles: dict[tuple[int, int], dict[date, _Known]] = defaultdict(dict)
        self.ranges: dict[int, list[_Known]] = defaultdict(list)  # by person, all units
        self.keys: dict[tuple, _Known] = {}
        self.memberships: dict[tuple[int, int], list[tuple[date, date | None]]] = defaultdict(list)

    def add_stored(self, entry_id: int, person_id: int, unit_id: int, start_on: date, end_on: date,
                   half_hours: int, field_code: str):
        """An entry already in the database."""
        known = _Known(start_on, end_on, half_hours, unit_id, id=entry_id)
        self._remember(person_id, unit_id, start_on, end_on, field_code, half_hours, known)

    def add_membership(self, person_id: int, unit_id: int, joined_on: date, left_on: date | None):
        self.memberships[(person_id, unit_id)].append((joined_on, left_on))

    def _remember(self, person_id, unit_id, start_on, end_on, field_code, half_hours, known: _Known):
        self.keys.setdefault((person_id, unit_id, start_on, end_on, field_code, half_hours), known)
        if start_on == end_on:
            self.day_totals[(person_id, start_on)] += half_hours
            self.singles[(person_id, unit_id)].setdefault(start_on, known)
        else:
            self.ranges[person_id].append(known)

    def duplicate_of(self, draft: Draft) -> Problem | None:
        known = self.keys.get(draft.key)
        if known is None:
            return None
        if known.id is not None:
            return Problem("duplicate", "person", {"id": known.id}, key="duplicate_entry")
        return Problem("duplicate", "person", {"row": known.row}, key="duplicate_row")

    def refusals(self, d: Draft) -> list[Problem]:
        """Why the draft cannot be written: the same entry exists already, or every rule it breaks."""
        duplicate = self.duplicate_of(d)
        return [duplicate] if duplicate else self.check(d)

    def check(self, d: Draft) -> list[Problem]:
        problems = []
        spans = self.memberships.get((d.person_id, d.unit_id))
        if not spans:
            return [Problem("not_member", "person")]
        for day in {d.start_on, d.end_on}:
            if not any(j <= day and (left is None or day <= left) for j, left in spans):
                problems.append(Problem("not_member", "start_on", {"date": day.isoformat()}, key="not_member_on"))
                break
        fields = self.unit_fields.get(d.unit_id)
        if fields is not None and d.field_code not in fields:
            problems.append(Problem("field", "field_code", {"fields": field_names(fields)}))
        days = (d.end_on - d.start_on).days + 1
        if days > MAX_RANGE_DAYS:
            return problems + [Problem("too_many_days", "end_on", {"n": MAX_RANGE_DAYS})]
        problems += self._cap(d, days)
        problems += self._overlap(d, days)
        problems += self._gate(d)
        return problems

    def _cap(self, d: Draft, days: int) -> list[Problem]:
        if d.single_day:
            total = self.day_totals.get((d.person_id, d.start_on), 0) + d.half_hours
            if total > MAX_HALF_HOURS_PER_DAY:
                return [Problem("over_24h_day", "hours", {"date": d.start_on.isoformat(), "total": total})]
            return []
        # A range cannot hold more than 24 h a day, counting what is already recorded inside it.
        inside = sum(self.day_totals.get((d.person_id, d.start_on + timedelta(n)), 0) for n in range(days))
        inside += sum(k.half_hours for k in self.ranges.get(d.person_id, ())
                      if d.start_on <= k.start_on and k.end_on <= d.end_on)
        total = inside + d.half_hours
        if total > MAX_HALF_HOURS_PER_DAY * days:
            return [Problem("over_24h_day", "hours", {"total": total, "days": days}, key="over_24h_range")]
        return []

    def _overlap(self, d: Draft, days: int) -> list[Problem]:
        """Same volunteer, same unit, overlapping dates: a conflict unless both are single days."""
        other = None
        for k in self.ranges.get(d.person_id, ()):
            if k.unit_id == d.unit_id and k.start_on <= d.end_on and d.start_on <= k.end_on:
                other = k
                break
        if other is None and not d.single_day:
            singles = self.singles.get((d.person_id, d.unit_id), {})
            if days <= len(singles):
                other = next((singles[d.start_on + timedelta(n)] for n in range(days)
                              if d.start_on + timedelta(n) in singles), None)
            else:
                other = next((k for day, k in sorted(singles.items()) if d.start_on <= day <= d.end_on), None)
        if other is None:
            return []
        dates = {"start": other.start_on.isoformat(), "end": other.end_on.isoformat()}
        if other.id is not None:
            return [Problem("overlap", "start_on", {"id": other.id, **dates}, key="overlap_entry")]
        return [Problem("overlap", "start_on", {"row": other.row, **dates}, key="overlap_row")]

    def _gate(self, d: Draft) -> list[Problem]:
        # Trained volunteers count from the effective date, untrained ones only before 2026:
        # checking both ends of the range covers every day in between.
        for day in (d.start_on,) if d.single_day else (d.start_on, d.end_on):
            if self.gate(d.person_id, d.field_code, day) is not None:
                return [Problem("training", "field_code",
                                render=lambda p=d.person_id, f=d.field_code, x=day: self.gate(p, f, x))]
        return []

    def accept(self, d: Draft, entry_id: int | None = None):
        known = _Known(d.start_on, d.end_on, d.half_hours, d.unit_id, id=entry_id, row=d.ref)
        self._remember(d.person_id, d.unit_id, d.start_on, d.end_on, d.field_code, d.half_hours, known)


def window_of(drafts: Iterable[Draft]) -> tuple[date, date] | None:
    starts, ends = [], []
    for d in drafts:
        starts.append(d.start_on)
        ends.append(d.end_on)
    if not starts:
        return None
    return min(starts), max(ends)


def unit_fields(units) -> dict[int, list[str]]:
    return {u.id: u.field_codes for u in units}
