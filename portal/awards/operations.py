"""Award applications through their stages, and awards written into the record. Every step is audited.

Each function checks the state it starts from and raises AwardError (with a message in the user's
language) when the step is not possible; the caller commits or rolls back.
"""
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from portal.notifications.events import path_for
from portal.notifications.operations import notify
from portal.notifications.recipients import authority_staff, unit_staff, volunteer_accounts
from portal.platform import audit
from portal.platform.extensions import db
from portal.platform.i18n import DEFAULT as DEFAULT_LOCALE
from portal.platform.timeutil import today_taipei, utcnow
from portal.registry.models import Authority, AuthorityKind

from .documents import issue_award_document, revoke_award_document
from .labels import round_label
from .models import TIERS, Award, AwardApplication, AwardRound, AwardSource, AwardStatus, Channel
from .rules import Result, Step, forward_problem, may_take, status_after

REASON_MAX = 300
MERIT_MAX = 2000


class AwardError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _user_id(user):
    return getattr(user, "id", None)


def round_name(award_round: AwardRound) -> str:
    """The round as notifications name it: in Chinese (115年度 …), like the names of units and people they carry,
    whatever the language of the one who acted."""
    with force_locale(DEFAULT_LOCALE):
        return round_label(award_round)


def _tell(users, event: str, application: AwardApplication, link: str, **params):
    notify(users, event, link=link, round=round_name(application.round), person=application.person.name, **params)


def _application_link(application: AwardApplication) -> str:
    return path_for("awards.show_application", award_application_id=application.id)


def apply(award_round: AwardRound, result: Result, unit, merit: str, user, today: date,
          channel: str = Channel.ONLINE) -> AwardApplication:
    """A unit's application (or an authority's entry of a paper one) for the tier the engine found."""
    if not award_round.is_open:
        raise AwardError(_("This round is closed."))
    if channel == Channel.ONLINE and not award_round.accepts_unit_applications(today):
        raise AwardError(_("The units' deadline of this round has passed."))
    if channel == Channel.PAPER and not award_round.accepts_paper_applications(today):
        raise AwardError(_("The sector authorities' deadline of this round has passed: paper applications can no "
                           "longer be entered."))
    if not result.eligible:
        raise AwardError("; ".join(result.missing) or _("Not eligible in this round."))
    merit = (merit or "").strip()
    if len(merit) > MERIT_MAX:
        raise AwardError(_("The merit statement may have at most %(n)d characters.", n=MERIT_MAX))
    application = AwardApplication(
        round=award_round, person_id=result.facts.person_id, unit_id=unit.id, tier=result.tier,
        half_hours=result.facts.half_hours, merit=merit, channel=channel,
        certificate_document_id=result.facts.performance_certificate_id, applied_by_id=_user_id(user))
    db.session.add(application)
    db.session.flush()
    audit.record("award.apply", application, person_id=application.person_id, tier=application.tier,
                 round=f"{award_round.scheme}/{award_round.year}", channel=channel,
                 half_hours=application.half_hours)
    return application


def withdraw(application: AwardApplication, user):
    if not may_take(Step.WITHDRAW, application.status):
        raise AwardError(_("Only an application that the sector authority has not yet handled can be withdrawn."))
    application.status = status_after(Step.WITHDRAW)
    application.decided_at, application.decided_by_id = utcnow(), _user_id(user)
    audit.record("award.withdraw", application, person_id=application.person_id)


def forward(application: AwardApplication, user, note: str = "", today: date | None = None):
    """The sector authority checked the application and sends it to the ministry, up to the round's review
    deadline (docs/rules/awards.md#a4); `today` is the Taipei day."""
    if not may_take(Step.FORWARD, application.status):
        raise AwardError(_("Only a submitted application can be forwarded."))
    late = forward_problem(application.round.review_deadline, today or today_taipei())
    if late:
        raise AwardError(late)
    application.status = status_after(Step.FORWARD)
    application.reviewed_at, application.reviewed_by_id = utcnow(), _user_id(user)
    application.review_note = (note or "").strip()[:REASON_MAX]
    audit.record("award.forward", application, person_id=application.person_id)
    ministry = db.session.scalars(select(Authority.id).where(Authority.kind == AuthorityKind.MINISTRY)).all()
    _tell(authority_staff(ministry), "awards.forwarded", application, _application_link(application))


def return_application(application: AwardApplication, reason: str, user):
    reason = (reason or "").strip()
    if not reason:
        raise AwardError(_("Give the reason for returning the application."))
    if len(reason) > REASON_MAX:
        raise AwardError(_("The reason may have at most %(n)d characters.", n=REASON_MAX))
    if not may_take(Step.RETURN, application.status):
        raise AwardError(_("This application is no longer open."))
    application.status = status_after(Step.RETURN)
    application.return_reason = reason
    application.decided_at, application.decided_by_id = utcnow(), _user_id(user)
    audit.record("award.return", application, person_id=application.person_id, reason=reason)
    _tell(unit_staff([application.unit_id]), "awards.returned", application, _application_link(application),
          reason=reason)


def approve(application: AwardApplication, user, on: date) -> Award:
    """The ministry's final approval: the award is written into the volunteer's record."""
    if not may_take(Step.APPROVE, application.status):
        raise AwardError(_("Only an application forwarded by the sector authority can be approved."))
    if holds_tier_or_higher(application.person_id, application.round.scheme, application.tier):
        # e.g. the same tier arrived meanwhile through another round: each tier is given once.
        raise AwardError(_("This volunteer already holds this tier of the award or a higher one; return the "
                           "application instead."))
    application.status = status_after(Step.APPROVE)
    application.decided_at, application.decided_by_id = utcnow(), _user_id(user)
    authority = getattr(user, "authority", None)
    award = Award(person_id=application.person_id, scheme=application.round.scheme, tier=application.tier,
                  year=application.round.year, awarded_on=on, half_hours=application.half_hours,
                  issuer=authority.name if authority else "", source=AwardSource.APPLICATION, application=application)
    db.session.add(award)
    db.session.flush()
    # Final: its certificate and credential in this transaction (docs/rules/awards.md#a11).
    document = issue_award_document(award, authority, user)
    audit.record("award.approve", application, person_id=application.person_id, award_id=award.id,
                 tier=application.tier, document_id=document.id if document is not None else None)
    _tell(volunteer_accounts([application.person_id]), "awards.approved", application,
          path_for("awards.show_award", award_id=award.id))
    _tell(unit_staff([application.unit_id]), "awards.approved", application, _application_link(application))
    return award


def holds_tier_or_higher(person_id: int, scheme: str, tier: str) -> bool:
    held = db.session.scalars(select(Award.tier).where(
        Award.person_id == person_id, Award.scheme == scheme, Award.status == AwardStatus.VALID)).all()
    return any(t in TIERS and TIERS.index(t) >= TIERS.index(tier) for t in held)


ROUND_FIELDS = ("scheme", "year", "cutoff_on", "unit_deadline", "review_deadline", "ministry_deadline", "status")


def _check_round(values: dict, award_round: AwardRound | None = None):
    if not values["cutoff_on"] <= values["unit_deadline"] < values["review_deadline"] < values["ministry_deadline"]:
        raise AwardError(_("The dates must be in order: hours count up to, units apply by, sector authorities "
                           "forward by, ministry decides by."))
    taken = db.session.scalar(select(AwardRound.id).where(
        AwardRound.scheme == values["scheme"], AwardRound.year == values["year"],
        AwardRound.id != (award_round.id if award_round is not None else -1)))
    if taken is not None:
        raise AwardError(_("There is already a round of this scheme for %(year)d.", year=values["year"]))


def create_round(values: dict, user) -> AwardRound:
    """The ministry opens a round; one per scheme and year (the database refuses a second one too)."""
    _check_round(values)
    award_round = AwardRound(created_by_id=_user_id(user), **{k: values[k] for k in ROUND_FIELDS})
    db.session.add(award_round)
    db.session.flush()
    audit.record("award.round_create", award_round, **{k: str(values[k]) for k in ROUND_FIELDS})
    return award_round


def update_round(award_round: AwardRound, values: dict, user):
    """Dates and status may change at any time; the scheme and year only while no application refers to them."""
    _check_round(values, award_round)
    if (values["scheme"], values["year"]) != (award_round.scheme, award_round.year) and db.session.scalar(
            select(AwardApplication.id).where(AwardApplication.round_id == award_round.id).limit(1)) is not None:
        raise AwardError(_("The scheme and year of a round cannot change once units have applied in it."))
    changes = {k: [str(getattr(award_round, k)), str(values[k])] for k in ROUND_FIELDS
               if getattr(award_round, k) != values[k]}
    for key in ROUND_FIELDS:
        setattr(award_round, key, values[key])
    db.session.flush()
    audit.record("award.round_edit", award_round, changes=changes)


def record_imported(person_id: int, values: dict, batch, user, authority=None) -> Award:
    """An imported award, final at once: with its certificate issued by the importing `authority` (docs/rules/
    awards.md#a11)."""
    award = Award(person_id=person_id, source=AwardSource.IMPORT, import_batch_id=batch.id,
                  imported_by_id=_user_id(user), source_filename=(batch.filename or "")[:120], **values)
    db.session.add(award)
    if authority is not None:
        issue_award_document(award, authority, user)
    return award


def revoke(award: Award, reason: str, user):
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise AwardError(_("Give the reason for revoking the award (at most %(n)d characters).", n=REASON_MAX))
    if award.is_revoked:
        raise AwardError(_("This award is already revoked."))
    award.status = AwardStatus.REVOKED
    award.revoked_at, award.revoked_by_id, award.revoke_reason = utcnow(), _user_id(user), reason
    revoke_award_document(award, reason, user)       # its certificate and credential with it (A11)
    audit.record("award.revoke", award, person_id=award.person_id, reason=reason)
