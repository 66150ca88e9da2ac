"""The venue import (docs/rules/honor-cards.md#hc14): upload the ministry's venue survey → preview every bad row
→ confirm or discard. The same pipeline as every import (portal/imports); batches belong to the ministry or the
county authority that uploaded them, and anyone else reads "not found"."""
import logging

from flask import flash, redirect, render_template, url_for
from flask_babel import ngettext
from flask_login import current_user

from portal.imports.pipeline import Context
from portal.imports.report import download, errors_csv
from portal.imports.steps import confirm_batch, discard_batch, may_confirm, preview_upload, recent_batches
from portal.platform import access
from portal.platform.forms import check_version
from portal.platform.i18n import current_language
from portal.platform.timeutil import today_taipei

from . import bp
from .forms import ImportForm, VersionForm
from .scopes import VENUE_KEEPERS, get_venue_batch_or_404, venue_batch_scope
from .venue_import import KIND
from .venue_import import template as venue_template

log = logging.getLogger(__name__)


def context() -> Context:
    return Context(authority=current_user.authority, user=current_user._get_current_object(), today=today_taipei())


@bp.route("/venues/import", methods=["GET", "POST"])
@access.allow(*VENUE_KEEPERS)
def venue_import():
    form = ImportForm()
    if form.validate_on_submit():
        batch, outcome = preview_upload(KIND, context(), form.file.data, form.encoding.data)
        log.info("venue import %s uploaded by user %s: %s", batch.id, current_user.id, outcome.status)
        return redirect(url_for(".venue_import_show", venue_batch_id=batch.id))
    batches = recent_batches(venue_batch_scope(current_user))
    return render_template("honor_cards/venue_import.html", form=form, batches=batches), 422 if form.errors else 200


@bp.get("/venues/import/template.csv")
@access.allow(*VENUE_KEEPERS)
def venue_import_template():
    return download(*venue_template())


@bp.get("/venues/import/<int:venue_batch_id>")
@access.allow(*VENUE_KEEPERS)
def venue_import_show(venue_batch_id):
    batch = get_venue_batch_or_404(venue_batch_id, current_user)
    return render_template("honor_cards/venue_import_show.html", batch=batch, errors=batch.error_list[:500],
                           lang=current_language(), confirm_form=VersionForm(formdata=None),
                           may_confirm=may_confirm(batch), summary=batch.summary_values)


@bp.post("/venues/import/<int:venue_batch_id>/confirm")
@access.allow(*VENUE_KEEPERS)
def venue_import_confirm(venue_batch_id):
    batch = get_venue_batch_or_404(venue_batch_id, current_user)
    check_version(batch, VersionForm())
    outcome = confirm_batch(batch, KIND, context())
    if outcome is not None:
        flash(ngettext("Import saved: %(num)s venue written.",
                       "Import saved: %(num)s venues written.", outcome.committed), "success")
    return redirect(url_for(".venue_import_show", venue_batch_id=batch.id))


@bp.post("/venues/import/<int:venue_batch_id>/discard")
@access.allow(*VENUE_KEEPERS)
def venue_import_discard(venue_batch_id):
    discard_batch(get_venue_batch_or_404(venue_batch_id, current_user))
    return redirect(url_for(".venue_import"))


@bp.get("/venues/import/<int:venue_batch_id>/errors.csv")
@access.allow(*VENUE_KEEPERS)
def venue_import_errors(venue_batch_id):
    batch = get_venue_batch_or_404(venue_batch_id, current_user)
    return errors_csv(batch, f"venue-import-{batch.id}-errors.csv")
