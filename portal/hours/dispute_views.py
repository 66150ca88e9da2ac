"""Disputes of hour entries (docs/rules/hours.md#h13): the volunteer disputes one of their entries from its page;
the unit lists its open disputes and keeps an entry with a reason, or corrects it through the correction form
(which settles the dispute, hours.operations)."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from portal.platform import access
from portal.platform.extensions import db
from portal.platform.forms import Form, check_version, clean_text, no_markup

from . import bp
from .disputes import DisputeRefused, HourDispute, disputes_of, keep_entry, may_dispute, open_dispute, open_disputes
from .scopes import get_entry_or_404, writable_entry_scope


class DisputeForm(Form):
    reason = StringField(_l("Why is this entry wrong?"), filters=[clean_text],
                         validators=[DataRequired(), Length(max=300), no_markup])


class KeepForm(Form):
    reason = StringField(_l("Why the entry stays as it is"), filters=[clean_text],
                         validators=[DataRequired(), Length(max=300), no_markup])
    version = HiddenField()


def dispute_context(entry, user) -> dict:
    """What an entry's page shows of its disputes: every dispute in its history, the volunteer's form when
    they may dispute it, the unit's answer form while one is open."""
    disputes = disputes_of(entry.id)
    current = next((d for d in disputes if d.is_open), None)
    unit_answers = current is not None and user.role in access.UNIT_STAFF and entry.unit_id == user.unit_id
    return {"disputes": disputes, "open_dispute": current,
            "dispute_form": DisputeForm(formdata=None) if may_dispute(entry, user) else None,
            "keep_form": KeepForm(formdata=None, version=current.version) if unit_answers else None}


def get_dispute_or_404(dispute_id: int, user) -> HourDispute:
    """A dispute of an entry the user's unit may change (404 otherwise, as for one that does not exist)."""
    dispute = db.session.scalar(select(HourDispute).join(HourDispute.entry).where(
        HourDispute.id == dispute_id, writable_entry_scope(user)))
    if dispute is None:
        abort(404)
    return dispute


@bp.post("/<int:entry_id>/dispute")
@access.allow(access.VOLUNTEER)
def dispute(entry_id):
    entry = get_entry_or_404(entry_id, current_user)
    form = DisputeForm()
    if not form.validate_on_submit():
        flash(_("Please say why the entry is wrong."), "error")
    else:
        try:
            open_dispute(entry, form.reason.data, current_user)
            db.session.commit()
            flash(_("Your dispute was sent to %(unit)s. You will be told of their answer.", unit=entry.unit.name),
                  "success")
        except (DisputeRefused, IntegrityError):   # IntegrityError: another post opened one a moment earlier
            db.session.rollback()
            flash(_("This entry cannot be disputed now: it does not count, or a dispute of it is already open."),
                  "error")
    return redirect(url_for(".show", entry_id=entry_id) + "#disputes-heading")


@bp.get("/disputes")
@access.allow(*access.UNIT_STAFF)
def disputes():
    return render_template("hours/disputes.html", disputes=open_disputes(current_user.unit_id))


@bp.post("/disputes/<int:dispute_id>/keep")
@access.allow(*access.UNIT_STAFF)
def keep(dispute_id):
    dispute = get_dispute_or_404(dispute_id, current_user)
    form = KeepForm()
    if not form.validate_on_submit():
        flash(_("Please give a reason for keeping the entry."), "error")
    elif not dispute.is_open:
        flash(_("This dispute was already answered."), "error")
    else:
        check_version(dispute, form)
        keep_entry(dispute, form.reason.data, current_user)
        db.session.commit()
        flash(_("Answered: the entry stays as it is. The volunteer is told."), "success")
    return redirect(url_for(".show", entry_id=dispute.entry_id) + "#disputes-heading")

