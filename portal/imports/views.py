"""Upload → preview every bad row → confirm or discard; error file and template downloads."""
import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import and_

from portal.platform import access
from portal.platform.forms import check_version, options
from portal.platform.i18n import current_language
from portal.platform.params import arg, to_page
from portal.platform.timeutil import today_taipei

from . import bp, registry
from .forms import ConfirmForm, UploadForm
from .models import BatchStatus, ImportBatch
from .pipeline import Context
from .report import batch_status, download, errors_csv
from .scopes import batch_scope, get_batch_or_404
from .steps import confirm_batch, discard_batch, may_confirm, preview_upload, recent_batches

log = logging.getLogger(__name__)
ROLES = access.UNIT_STAFF
ERRORS_PER_PAGE = 200


@bp.app_template_global()
def import_kind_label(key: str) -> str:
    kind = registry.get(key)
    return str(kind.label) if kind else key


@bp.app_template_global()
def import_format_label(key: str) -> str:
    for kind in registry.kinds().values():
        for fmt in kind.formats:
            if fmt.key == key:
                return str(fmt.label)
    return key


bp.add_app_template_global(batch_status, "import_status")


def context() -> Context:
    return Context(unit=current_user.unit, user=current_user._get_current_object(), today=today_taipei())


def upload_form() -> UploadForm:
    form = UploadForm()
    form.kind.choices = options((k.key, str(k.label)) for k in registry.allowed())
    if request.method == "GET" and registry.get(request.args.get("kind", "")) in registry.allowed():
        form.kind.data = request.args["kind"]   # a link such as "import the roster first" chooses the kind
    return form


@bp.route("/", methods=["GET", "POST"])
@access.allow(*ROLES)
def index():
    form = upload_form()
    if form.validate_on_submit():
        batch, outcome = preview_upload(registry.get(form.kind.data), context(), form.file.data, form.encoding.data)
        log.info("import %s uploaded by user %s: %s", batch.id, current_user.id, outcome.status)
        return redirect(url_for(".show", batch_id=batch.id))
    scope = batch_scope(current_user)
    if request.args.get("waiting"):   # the home page's work list: checked, valid, waiting for confirmation
        scope = and_(scope, ImportBatch.status == BatchStatus.PREVIEWED, ImportBatch.error_count == 0)
    return render_template("imports/index.html", form=form, batches=recent_batches(scope),
                           kinds=registry.allowed()), \
        422 if form.errors else 200


@bp.get("/templates/<name>")
@access.allow(*ROLES, *access.AUTHORITIES)   # authorities' own kinds (other awards) offer templates too
def template(name):
    found = registry.template(name)
    if found is None or current_user.role not in found[0].roles:
        abort(404)
    return download(*found[2]())


@bp.get("/<int:batch_id>")
@access.allow(*ROLES)
def show(batch_id):
    batch = get_batch_or_404(batch_id, current_user)
    errors = batch.error_list
    page = arg("page", to_page, default=1)
    shown = errors[(page - 1) * ERRORS_PER_PAGE: page * ERRORS_PER_PAGE]
    kind = registry.get(batch.kind)
    not_on_roster = sum(1 for e in errors if e.get("code") == "unknown_volunteer")
    return render_template("imports/show.html", batch=batch, errors=shown, error_total=len(errors), page=page,
                           not_on_roster=not_on_roster, roster_kind="volunteers" if registry.get("volunteers") else None,
                           pages=max((len(errors) - 1) // ERRORS_PER_PAGE + 1, 1), lang=current_language(),
                           kind=kind, confirm_form=ConfirmForm(formdata=None, version=batch.version),
                           may_confirm=may_confirm(batch),
                           previous=batch.summary_values.get("already_imported"))


@bp.post("/<int:batch_id>/confirm")
@access.allow(*ROLES)
def confirm(batch_id):
    batch = get_batch_or_404(batch_id, current_user)
    check_version(batch, ConfirmForm())
    outcome = confirm_batch(batch, registry.get(batch.kind), context())
    if outcome is not None:
        flash(ngettext("Import saved: %(num)s row written.",
                       "Import saved: %(num)s rows written.", outcome.committed), "success")
    return redirect(url_for(".show", batch_id=batch.id))


@bp.post("/<int:batch_id>/discard")
@access.allow(*ROLES)
def discard(batch_id):
    discard_batch(get_batch_or_404(batch_id, current_user))
    return redirect(url_for(".index"))


@bp.get("/<int:batch_id>/errors.csv")
@access.allow(*ROLES)
def errors(batch_id):
    batch = get_batch_or_404(batch_id, current_user)
    return errors_csv(batch, f"import-{batch.id}-errors.csv")

