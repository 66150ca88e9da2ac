"""The award eligibility engine: plain facts in, a tier and reasons in words out (no database, no HTTP).

docs/rules/awards.md: general 3,000 / 5,000 / 8,000 h on all hours; health and welfare
1,500 / 2,000 / 2,500 h on hours in the health-and-welfare fields; each tier once per person (a
volunteer who holds a tier can only move up); one application per volunteer and round (A1–A4).
The general award needs a valid performance certificate and a record book (#a1); the H&W award
needs the record book (#a2; the H&W scheme's roster is made from it).
"""
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from flask_babel import gettext as _

from portal.platform import access
from portal.platform.i18n import format_date, hours_text

from .models import OPEN_STATUSES, TIERS, ApplicationStatus, Scheme, Tier, tier_label

# Thresholds in half-hours, lowest tier first.
THRESHOLDS = {
    Scheme.GENERAL: {Tier.BRONZE: 6000, Tier.SILVER: 10000, Tier.GOLD: 16000},
    Scheme.HEALTH_WELFARE: {Tier.BRONZE: 3000, Tier.SILVER: 4000, Tier.GOLD: 5000},
}
HEALTH_AND_WELFARE_FIELDS = ("social", "health")


@dataclass
class Facts:
    person_id: int
    scheme: str
    cutoff_on: date
    half_hours: int = 0                       # counted for this scheme up to the cut-off
    record_book: bool = False
    performance_certificate_id: int | None = None
    received_tiers: set = field(default_factory=set)
    open_application: bool = False            # already applied in this round


@dataclass
class Check:
    code: str
    met: bool
    message: str


@dataclass
class Result:
    facts: Facts
    tier: str | None                          # the tier to apply for now
    next_tier: str | None                     # the next tier not yet reached
    checks: list = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return self.tier is not None and all(c.met for c in self.checks)

    @property
    def missing(self) -> list[str]:
        return [c.message for c in self.checks if not c.met]

    @property
    def met(self) -> list[str]:
        return [c.message for c in self.checks if c.met]

    @property
    def missing_half_hours(self) -> int:
        if self.next_tier is None:
            return 0
        return max(0, THRESHOLDS[self.facts.scheme][self.next_tier] - self.facts.half_hours)

    @property
    def tier_label(self) -> str:
        return tier_label(self.facts.scheme, self.tier)


def highest_received(received: set) -> int:
    return max((TIERS.index(t) for t in received if t in TIERS), default=-1)


def evaluate(f: Facts) -> Result:
    thresholds = THRESHOLDS[f.scheme]
    above = TIERS[highest_received(f.received_tiers) + 1:]
    reached = [t for t in above if f.half_hours >= thresholds[t]]
    not_reached = [t for t in above if f.half_hours < thresholds[t]]
    tier = reached[-1] if reached else None
    next_tier = not_reached[0] if not_reached else None
    checks = []
    if not above:
        checks.append(Check("tiers", False, _("Every tier of this award has already been received.")))
    elif tier is not None:
        checks.append(Check("hours", True, _("%(hours)s h counted up to %(cutoff)s: enough for the %(tier)s.",
                                             hours=hours_text(f.half_hours), cutoff=format_date(f.cutoff_on),
                                             tier=tier_label(f.scheme, tier))))
    else:
        missing = thresholds[next_tier] - f.half_hours
        checks.append(Check("hours", False, _("%(hours)s of %(target)s h counted up to %(cutoff)s: still needs "
                                              "%(missing)s hours for the %(tier)s.",
                                              hours=hours_text(f.half_hours), target=hours_text(thresholds[next_tier]),
                                              cutoff=format_date(f.cutoff_on), missing=hours_text(missing),
                                              tier=tier_label(f.scheme, next_tier))))
    checks.append(Check("record_book", f.record_book,
                        _("Holds a service record book.") if f.record_book
                        else _("No service record book yet: the unit requests one from the county first.")))
    if f.scheme == Scheme.GENERAL:
        has_certificate = f.performance_certificate_id is not None
        checks.append(Check("certificate", has_certificate,
                            _("Holds a valid performance certificate.") if has_certificate
                            else _("No valid performance certificate (績效證明書): request one first "
                                   "(at least 1 year and 150 hours).")))
    if f.open_application:
        checks.append(Check("open", False, _("Already applied in this round.")))
    return Result(f, tier, next_tier, checks)


# --- the unit's list: where each volunteer stands ----------------------------------------------

NEAR_SHARE = 10          # "close": less than a tenth of the next tier's hours still missing


class Standing(StrEnum):
    """Where a volunteer stands in the unit's list of a round, in the order the list shows them."""
    ELIGIBLE = "eligible"    # can be applied for now
    PAPERS = "papers"        # the hours are reached but a paper is missing
    NEAR = "near"            # within a tenth of the next tier's hours
    APPLIED = "applied"      # already applied for in this round
    LATER = "later"


STANDINGS = tuple(Standing)
# What the list's "Show" choice (forms.SHOW_CHOICES) includes.
SHOWN = {"eligible": {Standing.ELIGIBLE},
         "near": {Standing.ELIGIBLE, Standing.PAPERS, Standing.NEAR, Standing.APPLIED},
         "all": set(Standing)}


def standing(result: Result) -> Standing:
    """Close to eligibility ("near") is a tenth of the next tier's hours or only a paper missing."""
    if result.facts.open_application:
        return Standing.APPLIED
    if result.eligible:
        return Standing.ELIGIBLE
    if result.tier is not None:
        return Standing.PAPERS
    if result.next_tier and result.missing_half_hours * NEAR_SHARE <= THRESHOLDS[result.facts.scheme][result.next_tier]:
        return Standing.NEAR
    return Standing.LATER


def standing_of(f: Facts) -> Standing:
    """standing(evaluate(f)) without the words, for ranking a unit's thousands of volunteers (the same
    decision: tests/test_eligibility_scale.py)."""
    if f.open_application:
        return Standing.APPLIED
    thresholds = THRESHOLDS[f.scheme]
    above = TIERS[highest_received(f.received_tiers) + 1:]
    reached = [t for t in above if f.half_hours >= thresholds[t]]
    if reached:
        papers = f.record_book and (f.scheme != Scheme.GENERAL or f.performance_certificate_id is not None)
        return Standing.ELIGIBLE if papers else Standing.PAPERS
    if above and (thresholds[above[0]] - f.half_hours) * NEAR_SHARE <= thresholds[above[0]]:
        return Standing.NEAR
    return Standing.LATER


def shown(show: str) -> set:
    """The standings a "Show" choice lists (an unknown choice: the default, eligible or close)."""
    return SHOWN.get(show, SHOWN["near"])


# --- the stages of an application --------------------------------------------------------------

class Step(StrEnum):
    """What can happen to an open application (the bulk form posts these values as `action`)."""
    WITHDRAW = "withdraw"
    FORWARD = "forward"
    APPROVE = "approve"
    RETURN = "return"


# Each step: the statuses it starts from, and the status it leads to. Unit -> sector authority
# (forwards or returns) -> ministry (approves or returns); the unit withdraws until the sector
# authority has handled the application.
STEPS = {
    Step.WITHDRAW: ((ApplicationStatus.SUBMITTED,), ApplicationStatus.WITHDRAWN),
    Step.FORWARD: ((ApplicationStatus.SUBMITTED,), ApplicationStatus.FORWARDED),
    Step.APPROVE: ((ApplicationStatus.FORWARDED,), ApplicationStatus.APPROVED),
    Step.RETURN: (OPEN_STATUSES, ApplicationStatus.RETURNED),
}


def may_take(step: Step, status: str) -> bool:
    """Whether an application at `status` may take `step`."""
    return status in STEPS[step][0]


def status_after(step: Step) -> ApplicationStatus:
    return STEPS[step][1]


SECTOR_ROLES = (access.SECTOR_LOCAL, access.SECTOR_CENTRAL)
# The sector authority decides on submitted applications, the ministry on forwarded ones; nobody else decides.
WAITING_STAGE = {access.SECTOR_LOCAL: ApplicationStatus.SUBMITTED, access.SECTOR_CENTRAL: ApplicationStatus.SUBMITTED,
                 access.MINISTRY: ApplicationStatus.FORWARDED}


def waiting_stage(role: str) -> ApplicationStatus | None:
    """The status an application has while it waits for this role's decision."""
    return WAITING_STAGE.get(role)


def forward_problem(review_deadline: date, today: date) -> str | None:
    """A4: sector authorities forward up to and including their deadline (`today` is the Taipei day); the day
    after, forwarding is refused with the deadline named (docs/rules/awards.md#a4)."""
    if today <= review_deadline:
        return None
    return _("The sector authorities' deadline of this round was %(date)s: applications can no longer be "
             "forwarded to the ministry.", date=format_date(review_deadline))
