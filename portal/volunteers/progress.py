"""Progress toward the next steps, in plain words: record book, honor card, award tiers.

The honor-card part uses the eligibility engine of portal/honor_cards (its counting window
and checks) when that feature is installed, else plain totals toward 3 years / 300 hours.
Award tiers use the thresholds of the award rules (portal/awards/rules.py): general
3,000/5,000/8,000 h (銅/銀/金牌) on all hours; health and welfare 1,500/2,000/2,500 h
(銅/銀/金質徽章) on hours in the health-and-welfare fields. Each tier is received once, so a
volunteer who holds a tier is shown the way to the next one above it.
"""
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _

from portal.awards.models import SCHEME_LABELS, SCHEMES, TIERS, Scheme, tier_label
from portal.awards.rules import HEALTH_AND_WELFARE_FIELDS, THRESHOLDS, highest_received
from portal.honor_cards.facts import eligibility_of
from portal.honor_cards.rules import HOURS, YEARS, window_words
from portal.platform.i18n import hours_text


@dataclass
class TierProgress:
    scheme: str
    label: str
    half_hours: int
    reached: list                 # tier labels reached by hours
    next_label: str | None        # the next tier above those received that the hours have not reached
    next_half_hours: int | None
    received: str | None = None   # label of the highest tier received
    ready: str | None = None      # label of the highest tier reached by hours but not received yet

    @property
    def percent(self) -> int:
        if not self.next_half_hours:
            return 100
        return min(100, int(100 * self.half_hours / self.next_half_hours))

    @property
    def words(self) -> str:
        progress = None
        if self.next_half_hours is not None:
            progress = _("%(hours)s of %(target)s h toward the %(tier)s: %(missing)s h to go.",
                         hours=hours_text(self.half_hours), target=hours_text(self.next_half_hours),
                         tier=self.next_label, missing=hours_text(self.next_half_hours - self.half_hours))
        notes = []
        if self.received:
            notes.append(_("%(tier)s received", tier=self.received))
        if self.ready:
            notes.append(_("enough hours for the %(tier)s", tier=self.ready))
        if not notes:
            return progress
        if progress is None:
            if not self.ready:
                notes.append(_("every tier of this award received"))
            return _("%(text)s.", text=_("; ").join(notes))
        return _("; ").join(notes + [progress])


def award_progress(total_half_hours: int, by_field: dict, received: dict | None = None) -> list[TierProgress]:
    """Progress in each scheme, above the tiers already received (scheme → set of tiers)."""
    hw = sum(half for code, half in by_field.items() if code in HEALTH_AND_WELFARE_FIELDS)
    result = []
    for scheme in SCHEMES:
        counted = total_half_hours if scheme == Scheme.GENERAL else hw
        thresholds = THRESHOLDS[scheme]
        held = (received or {}).get(scheme, set())
        top = highest_received(held)
        above = TIERS[top + 1:]
        upcoming = [t for t in above if counted < thresholds[t]]
        ready = [t for t in above if counted >= thresholds[t]]
        nxt = upcoming[0] if upcoming else None
        result.append(TierProgress(
            scheme, str(SCHEME_LABELS[scheme]), counted,
            [tier_label(scheme, t) for t in TIERS if counted >= thresholds[t]],
            tier_label(scheme, nxt) if nxt else None, thresholds[nxt] if nxt else None,
            received=tier_label(scheme, TIERS[top]) if top >= 0 else None,
            ready=tier_label(scheme, ready[-1]) if ready else None))
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
    missing: list = field(default_factory=list)  # (check code, message) of each unmet check: who acts depends on it

    @property
    def percent(self) -> int:
        return min(100, int(100 * self.half_hours / 600))


def honor_card_progress(person_id: int, total_half_hours: int, first_service: date | None,
                        today: date) -> HonorCardProgress:
    result = eligibility_of(person_id, today)
    if result is not None:
        return HonorCardProgress(True, result.eligible, result.half_hours, window_words(result),
                                 [(c.met, c.message) for c in result.checks], list(result.notes),
                                 result.window_start, [(c.code, c.message) for c in result.checks if not c.met])
    years = None
    if first_service:
        years = today.year - first_service.year - ((today.month, today.day) < (first_service.month, first_service.day))
    checks = [(total_half_hours >= 600, _("%(hours)s of 300 hours served", hours=hours_text(total_half_hours))),
              (bool(years and years >= 3), _("%(n)d of 3 years since the first recorded service", n=years or 0))]
    return HonorCardProgress(False, all(met for met, _m in checks), total_half_hours,
                             _("All recorded hours (the counting window is applied when the unit applies)."),
                             checks, [], first_service,
                             [(code, message) for code, (met, message) in zip((HOURS, YEARS), checks, strict=True) if not met])
