"""Other-award import pages for authorities: upload → every bad row shown → confirm or discard.

The same pipeline as every other import (portal/imports); batches belong to the importing
authority. Unit accounts are refused by the route policy (403). The page shows the signed-in
account's latest upload, so no batch id travels in a URL; confirm and discard name the batch in
the form and load it through the authority's scope (404 outside it, like a missing one).
"""
import logging

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.imports.models import BatchStatus, ImportBatch
from portal.imports.pipeline import Context
from portal.imports.report import errors_csv
from portal.imports.steps import confirm_batch, discard_batch, may_confirm, preview_upload, recent_batches
from portal.platform import access
from portal.platform.extensions import db
from portal.platform.forms import check_version
from portal.platform.i18n import current_language
from portal.platform.timeutil import today_taipei

from . import bp
from .forms import AwardUploadForm, BatchForm
from .importing import KIND, TEMPLATE_NAME
from .models import Award
from .scopes import award_batch_scope, get_award_batch_or_404

log = logging.getLogger(__name__)
ROLES = access.AUTHORITIES
SHOWN_ERRORS, SHOWN_AWARDS = 500, 200


def latest_batch() -> ImportBatch | None:
    """The signed-in account's own latest upload: the one its page reports on."""
    return db.session.scalar(select(ImportBatch).where(award_batch_scope(current_user),
                                                       ImportBatch.created_by_id == current_user.id)
                             .order_by(ImportBatch.id.desc()).limit(1))


def posted_batch() -> ImportBatch:
    """The batch a confirm or discard form names, as the page showed it (409 when it changed since)."""
    form = BatchForm()
    batch = get_award_batch_or_404(form.batch.data, current_user)
    check_version(batch, form)
    return batch


def context() -> Context:
    if current_user.authority is None:
        abort(403)
    return Context(authority=current_user.authority, user=current_user._get_current_object(), today=today_taipei())


@bp.route("/other-import", methods=["GET", "POST"])
@access.allow(*ROLES)
def other_import():
    form = AwardUploadForm()
    if form.validate_on_submit():
        batch, outcome = preview_upload(KIND, context(), form.file.data, form.encoding.data)
        log.info("award import %s uploaded by user %s: %s", batch.id, current_user.id, outcome.status)
        return redirect(url_for(".other_import"))
    latest = latest_batch()
    awards = []
    if latest is not None and latest.status == BatchStatus.COMMITTED:
        awards = db.session.scalars(select(Award).options(joinedload(Award.person))
                                    .where(Award.import_batch_id == latest.id)
                                    .order_by(Award.id).limit(SHOWN_AWARDS)).all()
    batches = recent_batches(award_batch_scope(current_user), joinedload(ImportBatch.created_by))
    return render_template(
        "award_imports/index.html", form=form, latest=latest, awards=awards, batches=batches,
        errors=latest.error_list[:SHOWN_ERRORS] if latest else [], lang=current_language(),
        may_confirm=may_confirm(latest),
        template_name=TEMPLATE_NAME,
        previous=latest.summary_values.get("already_imported") if latest else None,
    ), 422 if form.errors else 200


@bp.post("/other-import/confirm")
@access.allow(*ROLES)
def other_import_confirm():
    batch = posted_batch()
    outcome = confirm_batch(batch, KIND, context())
    if outcome is not None:
        flash(ngettext("Import saved: %(num)s award written.",
                       "Import saved: %(num)s awards written.", outcome.committed), "success")
    return redirect(url_for(".other_import"))


@bp.post("/other-import/discard")
@access.allow(*ROLES)
def other_import_discard():
    discard_batch(posted_batch())
    return redirect(url_for(".other_import"))


@bp.get("/other-import/errors.csv")
@access.allow(*ROLES)
def other_import_errors():
    """The problems of the account's latest upload (an empty list when there is none)."""
    latest = latest_batch()
    return errors_csv(latest, f"award-import-{latest.id}-errors.csv" if latest else "award-import-errors.csv")
