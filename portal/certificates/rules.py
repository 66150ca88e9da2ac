"""The certificate rules, pure: facts in, decision and reasons out (no database, no request).

P1 performance certificate: at least one year of service and 150 hours, counted from the service
summary (memberships and hour entries). P2: due within 7 days of the request; the clerk prepares,
a volunteer supervisor countersigns. P3: English documents need the Latin name and the units'
English names. V4: every printed character must be in the font.
"""
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.platform import pdf
from portal.platform.i18n import format_date, hours_text
from portal.platform.timeutil import today_taipei

from .models import PERFORMANCE, REQUEST_KINDS, RequestOrigin, RequestStatus

MIN_HALF_HOURS = 300          # 150 hours (docs/rules/certificates.md#p1)
DUE_DAYS = 7                  # issued within 7 days of the request (docs/rules/certificates.md#p2)


def _hours(half_hours: int) -> str:
    return hours_text(half_hours, grouped=False)


# ---------------------------------------------------------------------------------------------
# Service summary: what the certificates count from the hours and the memberships

@dataclass(frozen=True)
class HourRow:
    """Hours of one entry as the certificates see them."""
    person_id: int
    unit_id: int
    field_code: str
    start_on: date
    end_on: date
    half_hours: int


@dataclass
class YearRow:
    year: int
    unit_id: int
    field_code: str
    half_hours: int


@dataclass
class Period:
    unit_id: int
    field_code: str
    joined_on: date
    left_on: date | None
    half_hours: int = 0


@dataclass
class ServiceSummary:
    person_id: int
    first_service_date: date | None = None
    last_service_date: date | None = None
    total_half_hours: int = 0
    rows: list[YearRow] = field(default_factory=list)      # by year, unit and field
    periods: list[Period] = field(default_factory=list)    # memberships, with their hours

    def unit_ids(self) -> list[int]:
        return list(dict.fromkeys([p.unit_id for p in self.periods] + [r.unit_id for r in self.rows]))


def summarise(person_ids: list[int], memberships: Iterable, rows: Iterable[HourRow]) -> dict[int, ServiceSummary]:
    """Each person's service: first_service_date is the earliest of the membership start dates and the
    hour entries; hours count per year by their start date and go to the membership period of the same
    unit and field (else of the unit; else a period of their own). `memberships` in date order."""
    summaries = {pid: ServiceSummary(pid) for pid in person_ids}
    for m in memberships:
        s = summaries[m.person_id]
        s.periods.append(Period(m.unit_id, m.field_code, m.joined_on, m.left_on))
        s.first_service_date = min(filter(None, [s.first_service_date, m.joined_on]))
    by_year: dict[tuple, int] = defaultdict(int)
    for r in rows:
        s = summaries.get(r.person_id)
        if s is None:
            continue
        s.total_half_hours += r.half_hours
        s.first_service_date = min(filter(None, [s.first_service_date, r.start_on]))
        s.last_service_date = max(filter(None, [s.last_service_date, r.end_on]))
        by_year[(r.person_id, r.start_on.year, r.unit_id, r.field_code)] += r.half_hours
        period = next((p for p in s.periods if p.unit_id == r.unit_id and p.field_code == r.field_code), None)
        if period is None:
            period = next((p for p in s.periods if p.unit_id == r.unit_id), None)
        if period is None:
            period = Period(r.unit_id, r.field_code, r.start_on, r.end_on)
            s.periods.append(period)
        period.half_hours += r.half_hours
    for (pid, year, uid, fcode), half in sorted(by_year.items()):
        summaries[pid].rows.append(YearRow(year, uid, fcode, half))
    return summaries


# ---------------------------------------------------------------------------------------------
# Eligibility for the performance certificate (P1)

def one_year_after(day: date) -> date:
    """The first anniversary; from 29 February it is 28 February (365 days later)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return date(day.year + 1, 2, 28)


@dataclass
class Eligibility:
    eligible: bool
    on: date
    first_service_date: date | None
    one_year_on: date | None
    half_hours: int
    reasons: list[str]


def performance_eligibility(summary: ServiceSummary, on: date | None = None) -> Eligibility:
    """≥ 1 year of service and ≥ 150 hours, with the reasons in words when not yet."""
    on = on or today_taipei()
    first = summary.first_service_date
    anniversary = one_year_after(first) if first else None
    reasons = []
    if anniversary is None:
        reasons.append(_("No service is recorded yet."))
    elif anniversary > on:
        reasons.append(_("One year of service is reached on %(date)s (service since %(first)s).",
                         date=format_date(anniversary), first=format_date(first)))
    if summary.total_half_hours < MIN_HALF_HOURS:
        reasons.append(_("%(hours)s of the required 150 hours are recorded; %(missing)s more are needed.",
                         hours=_hours(summary.total_half_hours),
                         missing=_hours(MIN_HALF_HOURS - summary.total_half_hours)))
    return Eligibility(not reasons, on, first, anniversary, summary.total_half_hours, reasons)


@dataclass
class Candidate:
    """One volunteer on the unit's candidates page: service, eligibility, open request, valid certificate."""
    person: object
    summary: ServiceSummary
    eligibility: Eligibility
    open_request: object | None
    valid_document: object | None

    @property
    def up_to_date(self) -> bool:
        """A valid certificate already states the current hours."""
        return bool(self.valid_document and self.valid_document.total_half_hours == self.summary.total_half_hours)

    @property
    def ready(self) -> bool:
        """Eligible, with no open request and no up-to-date certificate: the batch prepares one."""
        return self.eligibility.eligible and not self.open_request and not self.up_to_date


# ---------------------------------------------------------------------------------------------
# Requests (P2, P3, V4)

def request_refusal(kind: str, origin: str, served_in_unit: bool, already_open: bool) -> str | None:
    """Why this request cannot be made at all (before looking at the record), or None."""
    if kind not in REQUEST_KINDS:
        return _("This kind of document cannot be requested here.")
    if kind != PERFORMANCE and origin != RequestOrigin.VOLUNTEER:
        return _("English documents are requested by the volunteer.")
    if not served_in_unit:
        return _("The volunteer has no service record in this unit.")
    if already_open:
        return _("A request for this document is already open at this unit.")
    return None


def issuable_from(kind: str) -> RequestStatus:
    """A performance certificate is issued once prepared (the supervisor countersigns what the clerk
    prepared); an English document is approved straight from the request."""
    return RequestStatus.PREPARED if kind == PERFORMANCE else RequestStatus.REQUESTED


def english_data_problems(person, units: Iterable) -> list[str]:
    """Missing Latin name or English unit names, in words, before an English request can be sent."""
    problems = []
    if not (person.name_latin or "").strip():
        problems.append(_("The name in Latin script (as in the passport) is missing."))
    for unit in sorted(units, key=lambda u: u.code):
        if not (unit.name_en or "").strip():
            problems.append(_("The unit %(unit)s has no English name yet. The unit has to add it before English "
                              "documents can be made.", unit=unit.name))
    return problems


def glyph_problems_for(person, units: Iterable, english: bool) -> list[str]:
    """Names the font cannot print (V4), checked before a request is sent rather than when printing."""
    texts = {str(_l("Name")): person.name}
    if english or person.name_latin:
        texts[str(_l("Name in Latin script"))] = person.name_latin or ""
    for unit in units:
        texts[f"{_l('Unit name')} {unit.code}"] = unit.name
        if english:
            texts[f"{_l('English unit name')} {unit.code}"] = unit.name_en or ""
    return [p.message() for p in pdf.glyph_problems(texts)]


def request_problems(kind: str, person, summary: ServiceSummary, units: list, on: date | None = None) -> list[str]:
    """Why a request cannot be sent (or a certificate issued) now; empty when it can. A performance
    certificate: the unit's service and its unit (`units` = [the unit]); an English document: the whole
    record and every unit in it."""
    if kind == PERFORMANCE:
        return performance_eligibility(summary, on).reasons + glyph_problems_for(person, units, english=False)
    return english_data_problems(person, units) + glyph_problems_for(person, units, english=True)
