"""Progress toward the next steps, in plain words: record book, honor card, award tiers.

The honor-card part uses the eligibility engine of portal/honor_cards (its counting window
and checks) when that feature is installed, else plain totals toward 3 years / 300 hours.
Award tiers (decisions.md): general 3,000/5,000/8,000 h (銅/銀/金牌); health and welfare
1,500/2,000/2,500 h (銅/銀/金質徽章), counted on hours in the health-and-welfare fields.
"""
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

HEALTH_AND_WELFARE_FIELDS = ("social", "health")
SCHEMES = (
    ("general", _l("Volunteer service award (general)"),
     ((6000, _l("bronze medal (銅牌)")), (10000, _l("silver medal (銀牌)")), (16000, _l("gold medal (金牌)")))),
    ("health_welfare", _l("Health and welfare volunteer award"),
     ((3000, _l("bronze badge (銅質徽章)")), (4000, _l("silver badge (銀質徽章)")), (5000, _l("gold badge (金質徽章)")))),
)


def hours_text(half_hours: int) -> str:
    return f"{half_hours // 2:,}" if half_hours % 2 == 0 else f"{half_hours // 2:,}.5"


@dataclass
class TierProgress:
    scheme: str
    label: str
    half_hours: int
    reached: list                 # tier labels reached
    next_label: str | None
    next_half_hours: int | None

    @property
    def percent(self) -> int:
        if not self.next_half_hours:
            return 100
        return min(100, int(100 * self.half_hours / self.next_half_hours))

    @property
    def words(self) -> str:
        if self.next_half_hours is None:
            return _("All tiers reached (%(hours)s h).", hours=hours_text(self.half_hours))
        return _("%(hours)s of %(target)s h toward the %(tier)s: %(missing)s h to go.",
                 hours=hours_text(self.half_hours), target=hours_text(self.next_half_hours), tier=self.next_label,
                 missing=hours_text(self.next_half_hours - self.half_hours))


def award_progress(total_half_hours: int, by_field: dict) -> list[TierProgress]:
    """Progress in each scheme; awards already received are not recorded yet, so tiers are by hours."""
    hw = sum(half for code, half in by_field.items() if code in HEALTH_AND_WELFARE_FIELDS)
    result = []
    for code, label, tiers in SCHEMES:
        counted = total_half_hours if code == "general" else hw
        reached = [str(t) for threshold, t in tiers if counted >= threshold]
        upcoming = [(threshold, t) for threshold, t in tiers if counted < threshold]
        nxt = upcoming[0] if upcoming else None
        result.append(TierProgress(code, str(label), counted, reached, str(nxt[1]) if nxt else None,
                                   nxt[0] if nxt else None))
    return result


@dataclass
class HonorCardProgress:
    engine: bool                   # True when the honor-card eligibility engine answered
    eligible: bool
    half_hours: int                # counted (engine) or total (fallback)
    window: str                    # the counting window in words
    checks: list = field(default_factory=list)   # (met, message)
    notes: list = field(default_factory=list)
    years_start: date | None = None

    @property
    def percent(self) -> int:
        return min(100, int(100 * self.half_hours / 600))


def honor_card_progress(person_id: int, total_half_hours: int, first_service: date | None,
                        today: date) -> HonorCardProgress:
    try:
        from ..honor_cards.facts import eligibility_of
        from ..honor_cards.operations import window_words
    except ImportError:
        eligibility_of = None
    if eligibility_of is not None:
        result = eligibility_of(person_id, today)
        if result is not None:
            return HonorCardProgress(True, result.eligible, result.half_hours, window_words(result),
                                     [(c.met, c.message) for c in result.checks], list(result.notes),
                                     result.window_start)
    years = None
    if first_service:
        years = today.year - first_service.year - ((today.month, today.day) < (first_service.month, first_service.day))
    checks = [(total_half_hours >= 600, _("%(hours)s of 300 hours served", hours=hours_text(total_half_hours))),
              (bool(years and years >= 3), _("%(n)d of 3 years since the first recorded service", n=years or 0))]
    return HonorCardProgress(False, all(met for met, _m in checks), total_half_hours,
                             _("All recorded hours (the counting window is applied when the unit applies)."),
                             checks, [], first_service)
