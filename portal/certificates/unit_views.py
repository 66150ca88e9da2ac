"""The unit's pages: who can get a performance certificate, starting one, preparing all at once, the
supervisor's batch as a background job with its progress page, and the unit's English name."""
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.documents.operations import public_base_url
from portal.platform import access, audit, jobs
from portal.platform.extensions import db
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import format_date
from portal.platform.params import arg, to_page
from portal.registry.scopes import get_person_or_404

from . import batch, bp
from .facts import prepared_requests, unit_candidates
from .forms import ActionForm, UnitEnglishNameForm
from .models import PERFORMANCE, RequestOrigin
from .operations import create_request, prepare_all_eligible, save_unit_english_name
from .scopes import get_job_or_404
from .views import run_step

CANDIDATES_PER_PAGE = 50


@bp.get("/documents/candidates")
@access.allow(*access.UNIT_STAFF)
def candidates():
    unit = current_user.unit
    show_all = request.args.get("all") == "1"
    rows = unit_candidates(unit)
    shown = rows if show_all else [c for c in rows if c.eligibility.eligible]
    page = arg("page", to_page, default=1)
    pages = max((len(shown) + CANDIDATES_PER_PAGE - 1) // CANDIDATES_PER_PAGE, 1)
    page = min(page, pages)
    return page_or_fragment("certificates/candidates.html", "candidates", unit=unit, rows=shown,
                            items=shown[(page - 1) * CANDIDATES_PER_PAGE: page * CANDIDATES_PER_PAGE],
                            page=page, pages=pages, show_all=show_all, ready=sum(1 for c in rows if c.ready),
                            total=len(rows), eligible=sum(1 for c in rows if c.eligibility.eligible),
                            action_form=ActionForm(formdata=None))


@bp.post("/documents/people/<int:person_id>/start")
@access.allow(*access.UNIT_STAFF)
def start(person_id):
    person = get_person_or_404(person_id, current_user, for_write=True)
    form = ActionForm()
    if form.validate_on_submit():
        req = run_step(lambda: create_request(PERFORMANCE, person, current_user.unit, origin=RequestOrigin.UNIT,
                                              user=current_user),
                       lambda made: _("Performance certificate for %(name)s prepared; due by %(date)s.",
                                      name=person.name, date=format_date(made.due_on)))
        if req is not None:
            return redirect(url_for(".show_request", request_id=req.id))
    return redirect(url_for(".candidates"))


@bp.post("/documents/batches/prepare")
@access.allow(*access.UNIT_STAFF)
def prepare_batch():
    form = ActionForm()
    if form.validate_on_submit():
        created = prepare_all_eligible(current_user.unit, current_user)
        db.session.commit()
        flash(ngettext("%(num)d performance certificate prepared for countersigning.",
                       "%(num)d performance certificates prepared for countersigning.", len(created)), "success")
    return redirect(url_for(".candidates"))


@bp.post("/documents/batches/issue")
@access.allow(access.UNIT_SUPERVISOR)
def issue_batch():
    form = ActionForm()
    if not form.validate_on_submit():
        return redirect(url_for(".index"))
    ids = [r.id for r in prepared_requests(current_user.unit_id)]
    if not ids:
        flash(_("There are no prepared certificates to countersign."), "info")
        return redirect(url_for(".index"))
    job = jobs.create(batch.JOB_KIND, params={"request_ids": ids, "base_url": public_base_url()},
                      unit_id=current_user.unit_id, user=current_user)
    audit.record("certificate_batch.start", job, count=len(ids), unit_id=current_user.unit_id)
    db.session.commit()
    job_id = job.id
    jobs.start(job)
    return redirect(url_for(".job_progress", job_id=job_id))


@bp.get("/documents/jobs/<int:job_id>")
@access.allow(*access.UNIT_STAFF)
def job_progress(job_id):
    # The page polled while a batch runs is where a dead worker would be noticed: give up on stale jobs
    # (two small indexed queries when none is) so the clerk sees "failed" instead of a frozen bar.
    jobs.reap_stale()
    job = get_job_or_404(job_id, current_user)
    return page_or_fragment("certificates/job.html", "progress", job=job)


@bp.post("/documents/unit/english-name")
@access.allow(*access.UNIT_STAFF)
def unit_english_name():
    form = UnitEnglishNameForm()
    if form.validate_on_submit():
        save_unit_english_name(current_user.unit, form.name_en.data)
        db.session.commit()
        flash(_("The English name of the unit was saved."), "success")
    else:
        flash(_("Please enter the English name of the unit."), "error")
    return redirect(url_for(".index"))
