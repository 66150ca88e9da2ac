"""The county's honor-card import: upload → preview every bad row → confirm or discard.

The same pipeline as every other import (portal/imports); batches belong to the county
authority. Unit accounts are refused by the route policy (403) and never see the link.
"""
import logging

from flask import flash, redirect, render_template, url_for
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from portal.imports.pipeline import Context
from portal.imports.report import download, errors_csv
from portal.imports.steps import confirm_batch, discard_batch, may_confirm, preview_upload, recent_batches
from portal.platform import access
from portal.platform.extensions import db
from portal.platform.forms import check_version
from portal.platform.i18n import current_language
from portal.platform.timeutil import today_taipei

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
        batch, outcome = preview_upload(KIND, context(), form.file.data, form.encoding.data)
        log.info("honor-card import %s uploaded by user %s: %s", batch.id, current_user.id, outcome.status)
        return redirect(url_for(".import_show", card_batch_id=batch.id))
    batches = recent_batches(card_batch_scope(current_user))
    return render_template("honor_cards/import.html", form=form, batches=batches), 422 if form.errors else 200


@bp.get("/import/template.csv")
@access.allow(access.COUNTY)
def import_template():
    return download(*card_template())


@bp.get("/import/<int:card_batch_id>")
@access.allow(access.COUNTY)
def import_show(card_batch_id):
    batch = get_card_batch_or_404(card_batch_id, current_user)
    cards = db.session.scalars(select(HonorCard).where(HonorCard.import_batch_id == batch.id)
                               .order_by(HonorCard.id).limit(200)).all()
    return render_template("honor_cards/import_show.html", batch=batch, errors=batch.error_list[:500],
                           lang=current_language(), cards=cards, confirm_form=VersionForm(formdata=None),
                           may_confirm=may_confirm(batch))


@bp.post("/import/<int:card_batch_id>/confirm")
@access.allow(access.COUNTY)
def import_confirm(card_batch_id):
    batch = get_card_batch_or_404(card_batch_id, current_user)
    check_version(batch, VersionForm())
    outcome = confirm_batch(batch, KIND, context())
    if outcome is not None:
        flash(ngettext("Import saved: %(num)s card written.",
                       "Import saved: %(num)s cards written.", outcome.committed), "success")
        for problem in issue_imported(batch, current_user._get_current_object(), today_taipei())[1]:
            flash(problem, "error")
    return redirect(url_for(".import_show", card_batch_id=batch.id))


@bp.post("/import/<int:card_batch_id>/discard")
@access.allow(access.COUNTY)
def import_discard(card_batch_id):
    discard_batch(get_card_batch_or_404(card_batch_id, current_user))
    return redirect(url_for(".import_upload"))


@bp.get("/import/<int:card_batch_id>/errors.csv")
@access.allow(access.COUNTY)
def import_errors(card_batch_id):
    batch = get_card_batch_or_404(card_batch_id, current_user)
    return errors_csv(batch, f"honor-card-import-{batch.id}-errors.csv")

