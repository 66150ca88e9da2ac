"""Upload → preview every bad row → confirm or discard; error file and template downloads."""
import logging

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import access
from ..extensions import db
from ..forms import options
from ..i18n import current_language
from ..timeutil import today_taipei
from . import bp, registry
from .forms import ConfirmForm, UploadForm
from .models import DISCARDED, PREVIEWED, ImportBatch
from .pipeline import Context, display_name, fill_batch, run
from .report import batch_status, errors_csv
from .scopes import batch_scope, get_batch_or_404
from .storage import forget_file, keep_file, stored_file

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
    return form


@bp.route("/", methods=["GET", "POST"])
@access.allow(*ROLES)
def index():
    form = upload_form()
    if form.validate_on_submit():
        kind = registry.get(form.kind.data)
        data = form.file.data.read()
        batch = ImportBatch(kind=kind.key, scope_key=context().scope_key, unit_id=current_user.unit_id,
                            created_by_id=current_user.id, filename=display_name(form.file.data.filename),
                            status=PREVIEWED)
        outcome = run(kind, data, context(), encoding=form.encoding.data or None)
        batch.sha256 = outcome.sha256
        fill_batch(batch, outcome)
        if outcome.status == "valid":
            keep_file(batch, data)
        db.session.add(batch)
        db.session.commit()
        log.info("import %s uploaded by user %s: %s", batch.id, current_user.id, outcome.status)
        return redirect(url_for(".show", batch_id=batch.id))
    batches = db.session.scalars(select(ImportBatch).where(batch_scope(current_user))
                                 .order_by(ImportBatch.id.desc()).limit(30)).all()
    return render_template("imports/index.html", form=form, batches=batches, kinds=registry.allowed()), \
        422 if form.errors else 200


@bp.get("/templates/<name>")
@access.allow(*ROLES, *access.AUTHORITIES)   # authorities' own kinds (other awards) offer templates too
def template(name):
    found = registry.template(name)
    if found is None or current_user.role not in found[0].roles:
        abort(404)
    body, filename, mimetype = found[2]()
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/<int:batch_id>")
@access.allow(*ROLES)
def show(batch_id):
    batch = get_batch_or_404(batch_id, current_user)
    errors = batch.error_list
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    shown = errors[(page - 1) * ERRORS_PER_PAGE: page * ERRORS_PER_PAGE]
    kind = registry.get(batch.kind)
    return render_template("imports/show.html", batch=batch, errors=shown, error_total=len(errors), page=page,
                           pages=max((len(errors) - 1) // ERRORS_PER_PAGE + 1, 1), lang=current_language(),
                           kind=kind, confirm_form=ConfirmForm(formdata=None, version=batch.version),
                           may_confirm=batch.status == PREVIEWED and not errors and stored_file(batch) is not None,
                           previous=batch.summary_values.get("already_imported"))


@bp.post("/<int:batch_id>/confirm")
@access.allow(*ROLES)
def confirm(batch_id):
    batch = get_batch_or_404(batch_id, current_user)
    form = ConfirmForm()
    if form.version.data != str(batch.version):
        abort(409)
    path = stored_file(batch)
    if batch.status != PREVIEWED or batch.error_count or path is None:
        flash(_("This import cannot be confirmed any more. Upload the file again."), "error")
        return redirect(url_for(".show", batch_id=batch.id))
    outcome = run(registry.get(batch.kind), path.read_bytes(), context(), commit=True, batch=batch)
    if outcome.status == "committed":
        forget_file(batch)
        db.session.commit()
        flash(_("Import saved: %(n)s rows written.", n=outcome.committed), "success")
    else:
        db.session.rollback()
        batch = get_batch_or_404(batch_id, current_user)
        fill_batch(batch, outcome)
        if outcome.status != "valid":
            forget_file(batch)
        db.session.commit()
        flash(_("The data changed since the preview; nothing was written. See the problems below."), "error")
    return redirect(url_for(".show", batch_id=batch.id))


@bp.post("/<int:batch_id>/discard")
@access.allow(*ROLES)
def discard(batch_id):
    batch = get_batch_or_404(batch_id, current_user)
    if batch.status == PREVIEWED:
        batch.status = DISCARDED
        forget_file(batch)
        db.session.commit()
        flash(_("The upload was discarded; nothing was written."), "info")
    return redirect(url_for(".index"))


@bp.get("/<int:batch_id>/errors.csv")
@access.allow(*ROLES)
def errors(batch_id):
    batch = get_batch_or_404(batch_id, current_user)
    return errors_csv(batch, f"import-{batch.id}-errors.csv")

