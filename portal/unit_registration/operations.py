"""Unit registration: the application, the authority's approval (the unit and its first supervisor account) or
return, each with its audit line and the messages it sends (docs/rules/unit-registration.md). Functions flush
at most; the view commits, so nothing is sent for a change that was rolled back."""
import secrets
from datetime import date

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from portal.auth.models import User
from portal.auth.operations import create_user
from portal.auth.passwords import policy_problems
from portal.notifications import events
from portal.notifications.operations import notify, queue_message
from portal.notifications.recipients import authority_staff
from portal.platform import access, audit
from portal.platform.extensions import db
from portal.platform.i18n import DEFAULT as DEFAULT_LOCALE
from portal.platform.numbering import next_in_sequence
from portal.platform.timeutil import utcnow
from portal.platform.uploads import UploadRefused, check_file, store
from portal.registry.models import Authority, AuthorityKind, Unit
from portal.registry.operations import create_unit

from .models import ApplicationStatus, UnitApplication
from .rules import (
    REFERENCE_SEQUENCE,
    RETURN_REASON_MAX,
    UNIT_CODE_SEQUENCE,
    reference_number,
    supervisor_username,
    unit_code,
)

PLAN_PURPOSE = "unit_plan"
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"   # no 0/o, 1/l/i: read aloud or copied by hand


class RegistrationError(Exception):
    """The application cannot take this step; the message says why in the user's language."""


def store_plan(upload) -> "StoredFile":  # noqa: F821
    """The plan document: a real PDF that passes every upload check (docs/rules/platform.md#pl1), or
    UploadRefused."""
    checked = check_file(upload.filename, upload.read())
    if checked.kind != "pdf":
        raise UploadRefused(checked.display_name, _("The plan must be a PDF file."))
    return store(checked, PLAN_PURPOSE, None)


def deciding_staff(application: UnitApplication) -> list[User]:
    """UR2: the active staff of the county and of the local sector authority of the main field (when the
    portal has one): both may decide, so both are told."""
    authorities = db.session.scalars(select(Authority.id).where(
        Authority.county_code == application.county_code,
        ((Authority.kind == AuthorityKind.COUNTY) & Authority.field_code.is_(None))
        | ((Authority.kind == AuthorityKind.SECTOR_LOCAL) & (Authority.field_code == application.field_code))))
    return authority_staff(list(authorities))


def submit(values: dict, plan, locale: str | None, *, today: date) -> UnitApplication:
    """A new application with its reference number; the deciding authorities are notified and the applicant
    gets an e-mail with the reference."""
    roc, number = next_in_sequence(REFERENCE_SEQUENCE, values["county_code"], today)
    application = UnitApplication(reference=reference_number(values["county_code"], roc, number),
                                  plan_file_id=plan.id, locale=locale or DEFAULT_LOCALE, **values)
    db.session.add(application)
    db.session.flush()
    audit.record("unit_registration.submit", application, reference=application.reference, name=application.name,
                 county=application.county_code, fields=",".join(application.fields), sector=application.sector,
                 plan=plan.id)
    notify(deciding_staff(application), "unit_registration.submitted",
           link=url_for("unit_registration.show", registration_id=application.id), unit_name=application.name)
    with force_locale(application.locale):
        queue_message("email", application.contact_email,
                      _("Unit registration received: %(reference)s", reference=application.reference),
                      _("We received the application of %(name)s to register as a using unit. Its reference "
                        "number is %(reference)s. The county authority reviews it and you will receive its "
                        "decision at this address.", name=application.name, reference=application.reference)
                      + "\n\n-- \n" + _("Volunteer Service Records Portal"), purpose="unit_registration.submitted")
    return application


def _tell_applicant(application: UnitApplication, event: str, **params):
    subject, body = events.render_message(event, {"unit_name": application.name, **params}, application.locale)
    queue_message("email", application.contact_email, subject, body, purpose=event)


def _check_open(application: UnitApplication):
    if not application.is_open:
        raise RegistrationError(_("This application has already been decided."))


def initial_password(username: str, words) -> str:
    """A random initial password of 16 letters and digits in groups of four (19 characters with the dashes),
    drawn again in the unlikely case the password rules refuse it."""
    while True:
        raw = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(16))
        password = "-".join(raw[i:i + 4] for i in range(0, 16, 4))
        if not policy_problems(password, access.UNIT_SUPERVISOR, username, words):
            return password


def approve(application: UnitApplication, user, *, today: date, code: str | None = None,
            username: str | None = None) -> tuple[Unit, User, str]:
    """UR3: the unit (its code given or the county's next number), its first supervisor account with an initial
    password that must be changed at the first sign-in, and the applicant told (the username, never the
    password: the authority hands that over). Returns (unit, supervisor, initial password)."""
    _check_open(application)
    if not code:
        # The sequence row stays locked until the commit: two approvals in one county wait for each other.
        while True:
            roc, number = next_in_sequence(UNIT_CODE_SEQUENCE, application.county_code, today)
            code = unit_code(application.county_code, roc, number)
            if db.session.scalar(select(Unit.id).where(Unit.code == code)) is None:
                break
    elif db.session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise RegistrationError(_("A unit with the code %(code)s exists already.", code=code))
    username = username or supervisor_username(code)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise RegistrationError(_("The username %(name)s is taken; choose another one.", name=username))
    unit = create_unit(code, application.name, application.county_code, application.field_code, application.sector,
                       name_en=application.name_en, extra_fields=application.fields[1:])
    audit.record("unit.create", unit, code=unit.code, name=unit.name, county=unit.county_code,
                 fields=",".join(unit.field_codes), sector=unit.sector, application=application.reference)
    # The password rules' own words of the new account (docs/rules/accounts.md#ac3), as password_context reads them.
    password = initial_password(username, (username, application.contact_name, unit.name, unit.code))
    supervisor = create_user(username, password, access.UNIT_SUPERVISOR, display_name=application.contact_name[:60],
                             email=application.contact_email, phone=application.contact_phone, unit_id=unit.id)
    supervisor.must_change_password = True
    audit.record("user.create", supervisor, username=supervisor.username, role=supervisor.role, unit_id=unit.id,
                 application=application.reference)
    application.status, application.decided_at, application.decided_by_id = ApplicationStatus.APPROVED, utcnow(), \
        user.id
    application.unit_id, application.supervisor_id = unit.id, supervisor.id
    db.session.flush()
    audit.record("unit_registration.approve", application, reference=application.reference, unit=unit.code,
                 supervisor=supervisor.username)
    _tell_applicant(application, "unit_registration.approved", username=supervisor.username)
    return unit, supervisor, password


def return_application(application: UnitApplication, reason: str, user):
    """UR4: returned with a reason the applicant receives by e-mail; the unit corrects it and applies again."""
    _check_open(application)
    reason = (reason or "").strip()
    if not reason:
        raise RegistrationError(_("Please give the reason for returning the application."))
    application.status, application.return_reason = ApplicationStatus.RETURNED, reason[:RETURN_REASON_MAX]
    application.decided_at, application.decided_by_id = utcnow(), user.id
    db.session.flush()
    audit.record("unit_registration.return", application, reference=application.reference,
                 reason=application.return_reason)
    _tell_applicant(application, "unit_registration.returned", reason=application.return_reason)
