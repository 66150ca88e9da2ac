"""The insurer's roster: upload → preview every bad row and the reconciliation → confirm or discard
(docs/rules/insurance.md#i8). The same pipeline as every import (portal/imports); a unit's batches belong to
the unit, a county's to the county authority."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import and_, select
from sqlalchemy.orm import selectinload

from portal.imports.forms import ConfirmForm
from portal.imports.models import ImportBatch
from portal.imports.pipeline import Context
from portal.imports.report import download, errors_csv
from portal.imports.scopes import batch_scope, get_batch_or_404
from portal.imports.steps import confirm_batch, discard_batch, may_confirm, preview_upload, recent_batches
from portal.platform import access
from portal.platform.extensions import db
from portal.platform.forms import check_version
from portal.platform.i18n import current_language
from portal.platform.timeutil import today_taipei

from . import bp
from .forms import RosterUploadForm
from .importing import INSURER_ROSTER_KIND as KIND
from .importing import roster_template
from .models import RosterCheck, RosterLine
from .scopes import roster_batch_scope
from .views import MANAGERS

SHOWN_LINES = 500


def context() -> Context:
    unit = current_user.unit if current_user.role in access.UNIT_STAFF else None
    return Context(unit=unit, authority=None if unit else current_user.authority,
                   user=current_user._get_current_object(), today=today_taipei())


def roster_batch_or_404(batch_id: int, for_write: bool = False) -> ImportBatch:
    if for_write:
        batch = get_batch_or_404(batch_id, current_user)
    else:
        batch = db.session.scalar(select(ImportBatch).where(ImportBatch.id == batch_id,
                                                            roster_batch_scope(current_user)))
    if batch is None:
        abort(404)
    if batch.kind != KIND.key:
        abort(404)
    return batch


def owned_by_user(batch: ImportBatch) -> bool:
    """Only the maker confirms or discards; the county sees its units' checks without the buttons."""
    return db.session.scalar(select(ImportBatch.id).where(ImportBatch.id == batch.id,
                                                          batch_scope(current_user))) is not None


@bp.route("/roster", methods=["GET", "POST"])
@access.allow(*MANAGERS)
def roster_upload():
    form = RosterUploadForm()
    if form.validate_on_submit():
        batch, _outcome = preview_upload(KIND, context(), form.file.data, form.encoding.data)
        return redirect(url_for(".roster_show", roster_batch_id=batch.id))
    batches = recent_batches(and_(batch_scope(current_user), ImportBatch.kind == KIND.key))
    return render_template("insurance/roster.html", form=form, batches=batches), 422 if form.errors else 200


@bp.get("/roster/template.csv")
@access.allow(*MANAGERS)
def roster_template_file():
    return download(*roster_template())


@bp.get("/roster/<int:roster_batch_id>")
@access.allow(*MANAGERS)
def roster_show(roster_batch_id):
    batch = roster_batch_or_404(roster_batch_id)
    lines = db.session.scalars(select(RosterLine).where(RosterLine.batch_id == batch.id, RosterLine.check !=
                                                        RosterCheck.MATCHED)
                               .options(selectinload(RosterLine.policy), selectinload(RosterLine.enrolment))
                               .order_by(RosterLine.check, RosterLine.id).limit(SHOWN_LINES)).all()
    return render_template("insurance/roster_show.html", batch=batch, errors=batch.error_list[:500],
                           lang=current_language(), lines=lines, summary=batch.summary_values,
                           checks=RosterCheck, may_confirm=may_confirm(batch) and owned_by_user(batch),
                           confirm_form=ConfirmForm(formdata=None, version=batch.version))


@bp.post("/roster/<int:roster_batch_id>/confirm")
@access.allow(*MANAGERS)
def roster_confirm(roster_batch_id):
    batch = roster_batch_or_404(roster_batch_id, for_write=True)
    check_version(batch, ConfirmForm())
    outcome = confirm_batch(batch, KIND, context())
    if outcome is not None:
        flash(ngettext("Roster reconciled: %(num)s line recorded.", "Roster reconciled: %(num)s lines recorded.",
                       outcome.committed), "success")
    return redirect(url_for(".roster_show", roster_batch_id=batch.id))


@bp.post("/roster/<int:roster_batch_id>/discard")
@access.allow(*MANAGERS)
def roster_discard(roster_batch_id):
    discard_batch(roster_batch_or_404(roster_batch_id, for_write=True))
    return redirect(url_for(".roster_upload"))


@bp.get("/roster/<int:roster_batch_id>/errors.csv")
@access.allow(*MANAGERS)
def roster_errors(roster_batch_id):
    return errors_csv(roster_batch_or_404(roster_batch_id), f"insurer-roster-{roster_batch_id}-errors.csv")
