"""Unit registration (docs/rules/unit-registration.md): anyone applies for a new using unit (no account,
rate-limited); the county or the local sector authority of its main field lists, reads, approves or returns."""
from flask import abort, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal.platform import access
from portal.platform.extensions import db, limiter
from portal.platform.forms import check_version
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import current_language, localized
from portal.platform.pagination import CURSOR_ARG, asc, keyset
from portal.platform.timeutil import today_taipei
from portal.platform.uploads import UploadRefused, send_stored

from . import bp, operations
from .forms import ApplyForm, ApproveForm, ReturnForm
from .labels import registration_status
from .models import APPLICATION_STATUSES, ApplicationStatus, UnitApplication
from .operations import RegistrationError, store_plan, submit
from .rules import DECIDERS, fields_of
from .scopes import application_scope, get_application_or_404

# Anonymous applications per client address (Flask-Limiter syntax); UNIT_REGISTRATION_RATE_LIMIT overrides it.
RATE_LIMIT = "10 per hour"
PER_PAGE = 50
SUBMITTED_KEY = "unit_registration_reference"
QUEUE_ORDER = (asc(UnitApplication.submitted_at), asc(UnitApplication.id))


bp.context_processor(lambda: {"registration_status": registration_status})


def _rate_limit() -> str:
    return current_app.config.get("UNIT_REGISTRATION_RATE_LIMIT", RATE_LIMIT)


@bp.route("/apply", methods=["GET", "POST"])
@access.allow(*access.EVERYONE)
@limiter.limit(_rate_limit, methods=["POST"])
def apply():
    form = ApplyForm()
    form.set_choices(localized)
    if form.validate_on_submit():
        upload = form.plan.data
        try:
            if not upload or not getattr(upload, "filename", ""):
                raise UploadRefused("", _("Attach the volunteer service plan as a PDF file."))
            plan = store_plan(upload)
        except UploadRefused as exc:
            form.plan.errors = [exc.message if exc.name else str(exc.reason)]
        else:
            values = {"name": form.name.data, "name_en": form.name_en.data or "", "county_code": form.county.data,
                      "field_code": form.field_code.data, "sector": form.sector.data,
                      "further_fields": ",".join(fields_of(form.field_code.data, form.further_fields.data)[1:]),
                      "contact_name": form.contact_name.data, "contact_email": form.contact_email.data,
                      "contact_phone": form.contact_phone.data}
            application = submit(values, plan, current_language(), today=today_taipei())
            db.session.commit()
            session[SUBMITTED_KEY] = application.reference
            return redirect(url_for(".submitted"))
    return render_template("unit_registration/apply.html", form=form), 422 if form.errors else 200


@bp.get("/submitted")
@access.allow(*access.EVERYONE)
def submitted():
    reference = session.get(SUBMITTED_KEY)
    if not reference:
        return redirect(url_for(".apply"))
    return render_template("unit_registration/submitted.html", reference=reference)


@bp.get("/applications")
@access.allow(*DECIDERS)
def index():
    status = request.args.get("status", ApplicationStatus.SUBMITTED)
    query = select(UnitApplication).where(application_scope(current_user))
    if status in APPLICATION_STATUSES:      # any other value ("all"): every status
        query = query.where(UnitApplication.status == status)
    page = keyset(query, QUEUE_ORDER, request.args.get(CURSOR_ARG), PER_PAGE)
    return page_or_fragment("unit_registration/index.html", "results", page=page, status=status,
                            statuses=APPLICATION_STATUSES)


def _show(application, approve_form=None, return_form=None, status=200):
    return render_template("unit_registration/show.html", application=application,
                           approve_form=approve_form or ApproveForm(formdata=None),
                           return_form=return_form or ReturnForm(formdata=None)), status


@bp.get("/applications/<int:registration_id>")
@access.allow(*DECIDERS)
def show(registration_id):
    return _show(get_application_or_404(registration_id, current_user))


@bp.get("/applications/<int:registration_id>/plan")
@access.allow(*DECIDERS)
def plan(registration_id):
    return send_stored(get_application_or_404(registration_id, current_user).plan)


@bp.post("/applications/<int:registration_id>/approve")
@access.allow(*DECIDERS)
def approve(registration_id):
    application = get_application_or_404(registration_id, current_user)
    form = ApproveForm()
    check_version(application, form)
    if not form.validate():
        return _show(application, approve_form=form, status=422)
    try:
        unit, supervisor, password = operations.approve(application, current_user, today=today_taipei(),
                                             code=form.unit_code.data, username=form.username.data)
        db.session.commit()
    except RegistrationError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _show(get_application_or_404(registration_id, current_user), approve_form=form, status=422)
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        abort(409)
    # The initial password is shown this once and kept nowhere in clear: the page must not be cached.
    response = make_response(render_template("unit_registration/approved.html", application=application, unit=unit,
                                             supervisor=supervisor, password=password))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/applications/<int:registration_id>/return")
@access.allow(*DECIDERS)
def return_application(registration_id):
    application = get_application_or_404(registration_id, current_user)
    form = ReturnForm()
    check_version(application, form)
    if not form.validate():
        return _show(application, return_form=form, status=422)
    try:
        operations.return_application(application, form.reason.data, current_user)
        db.session.commit()
    except RegistrationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".show", registration_id=registration_id))
    except StaleDataError:
        db.session.rollback()
        abort(409)
    flash(_("Application %(reference)s returned; the applicant was told the reason by e-mail.",
            reference=application.reference), "success")
    return redirect(url_for(".index"))
