"""Resolving a role's scope anchor from the account form, and audited account changes."""
from flask_babel import gettext as _
from sqlalchemy import select

from portal.platform import access, audit
from portal.platform.extensions import db
from portal.registry.models import Unit
from portal.registry.operations import authority_for
from portal.registry.identity import IdNumberError, classify
from portal.registry.models import Person


def scope_for(form) -> tuple[dict, dict]:
    """({unit_id/authority_id/person_id}, {field name: error}) for the role chosen in the form."""
    role = form.role.data
    scope = {"unit_id": None, "authority_id": None, "person_id": None}
    errors = {}
    if role in access.UNIT_STAFF:
        unit = db.session.scalar(select(Unit).where(Unit.code == (form.unit_code.data or "")))
        if unit is None:
            errors["unit_code"] = _("Enter the code of an existing unit.")
        else:
            scope["unit_id"] = unit.id
    elif role == access.VOLUNTEER:
        try:
            number = classify(form.person_id_number.data, allow_passport=True)[1]
        except IdNumberError:
            number = None
        person = db.session.scalar(select(Person).where(Person.id_number == number)) if number else None
        if person is None:
            errors["person_id_number"] = _("No registered volunteer has this ID number.")
        else:
            scope["person_id"] = person.id
    elif role in access.AUTHORITIES:
        county, field = form.county.data or None, form.field.data or None
        if role in (access.COUNTY, access.SECTOR_LOCAL) and not county:
            errors["county"] = _("Choose the county or city.")
        if role in (access.SECTOR_LOCAL, access.SECTOR_CENTRAL) and not field:
            errors["field"] = _("Choose the service field.")
        if not errors:
            scope["authority_id"] = authority_for(role, county, field).id
    return scope, errors


def record_account_change(user, action: str, **detail):
    audit.record(action, user, username=user.username, role=user.role, **detail)
