"""The county's honor-card import: upload → preview every bad row → confirm or discard.

The same pipeline as every other import (portal/imports); batches belong to the county
authority. Unit accounts are refused by the route policy (403) and never see the link.
"""
import logging

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import access
from ..extensions import db
from ..i18n import current_language
from ..imports.models import DISCARDED, PREVIEWED, ImportBatch
from ..imports.pipeline import Context, display_name, fill_batch, run
from ..imports.report import errors_csv
from ..imports.storage import forget_file, keep_file, stored_file
from ..timeutil import today_taipei
from . import bp
from .forms import ImportForm, VersionForm
from .importing import KIND, issue_imported
from .importing import template as card_template
from .models import HonorCard
from .scopes import card_batch_scope, get_card_batch_or_404

log = logging.getLogger(__name__)


def context() -> Context:
    return Context(authority=current_user.authority, user=current_user._get_current_object(), today=today_taipei())


@bp.route("/import", methods=["GET", "POST"])
@access.allow(access.COUNTY)
def import_upload():
    form = ImportForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        ctx = context()
        batch = ImportBatch(kind=KIND.key, scope_key=ctx.scope_key, authority_id=current_user.authority_id,
                            created_by_id=current_user.id, filename=display_name(form.file.data.filename),
                            status=PREVIEWED)
        outcome = run(KIND, data, ctx, encoding=form.encoding.data or None)
        batch.sha256 = outcome.sha256
        fill_batch(batch, outcome)
        if outcome.status == "valid":
            keep_file(batch, data)
        db.session.add(batch)
        db.session.commit()
        log.info("honor-card import %s uploaded by user %s: %s", batch.id, current_user.id, outcome.status)
        return redirect(url_for(".import_show", card_batch_id=batch.id))
    batches = db.session.scalars(select(ImportBatch).where(card_batch_scope(current_user))
                                 .order_by(ImportBatch.id.desc()).limit(30)).all()
    return render_template("honor_cards/import.html", form=form, batches=batches), 422 if form.errors else 200


@bp.get("/import/template.csv")
@access.allow(access.COUNTY)
def import_template():
    body, filename, mimetype = card_template()
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/import/<int:card_batch_id>")
@access.allow(access.COUNTY)
def import_show(card_batch_id):
    batch = get_card_batch_or_404(card_batch_id, current_user)
    cards = db.session.scalars(select(HonorCard).where(HonorCard.import_batch_id == batch.id)
                               .order_by(HonorCard.id).limit(200)).all()
    return render_template("honor_cards/import_show.html", batch=batch, errors=batch.error_list[:500],
                           lang=current_language(), cards=cards, confirm_form=VersionForm(formdata=None),
                           may_confirm=batch.status == PREVIEWED and not batch.error_count
                           and stored_file(batch) is not None)


@bp.post("/import/<int:card_batch_id>/confirm")
@access.allow(access.COUNTY)
def import_confirm(card_batch_id):
    batch = get_card_batch_or_404(card_batch_id, current_user)
    if VersionForm().version.data != str(batch.version):
        abort(409)
    path = stored_file(batch)
    if batch.status != PREVIEWED or batch.error_count or path is None:
        flash(_("This import cannot be confirmed any more. Upload the file again."), "error")
        return redirect(url_for(".import_show", card_batch_id=batch.id))
    outcome = run(KIND, path.read_bytes(), context(), commit=True, batch=batch)
    if outcome.status == "committed":
        forget_file(batch)
        db.session.commit()
        flash(_("Import saved: %(n)s cards written.", n=outcome.committed), "success")
        for problem in issue_imported(batch, current_user._get_current_object(), today_taipei())[1]:
            flash(problem, "error")
    else:
        db.session.rollback()
        batch = get_card_batch_or_404(card_batch_id, current_user)
        fill_batch(batch, outcome)
        if outcome.status != "valid":
            forget_file(batch)
        db.session.commit()
        flash(_("The data changed since the preview; nothing was written. See the problems below."), "error")
    return redirect(url_for(".import_show", card_batch_id=batch.id))


@bp.post("/import/<int:card_batch_id>/discard")
@access.allow(access.COUNTY)
def import_discard(card_batch_id):
    batch = get_card_batch_or_404(card_batch_id, current_user)
    if batch.status == PREVIEWED:
        batch.status = DISCARDED
        forget_file(batch)
        db.session.commit()
        flash(_("The upload was discarded; nothing was written."), "info")
    return redirect(url_for(".import_upload"))


@bp.get("/import/<int:card_batch_id>/errors.csv")
@access.allow(access.COUNTY)
def import_errors(card_batch_id):
    batch = get_card_batch_or_404(card_batch_id, current_user)
    return errors_csv(batch, f"honor-card-import-{batch.id}-errors.csv")

