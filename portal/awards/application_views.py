"""One award application: its page, and the decision on it of whoever it waits for (the sector authority
forwards or returns, the ministry approves or returns)."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.platform import access
from portal.platform.extensions import db
from portal.platform.forms import check_version
from portal.platform.i18n import localized
from portal.platform.timeutil import today_taipei

from . import bp, facts, operations
from .forms import ForwardForm, ReturnForm, VersionForm
from .models import Award
from .rules import SECTOR_ROLES, Step, forward_problem, waiting_stage
from .scopes import REVIEWERS, application_steps, get_application_or_404
from .views import run_step


@bp.get("/applications/<int:award_application_id>")
@access.allow(*access.RECORD_READERS)
def show_application(award_application_id):
    application = get_application_or_404(award_application_id, current_user)
    result = facts.checks_today(application) if application.is_open else None
    steps = application_steps(current_user, application)
    award = db.session.scalar(select(Award).where(Award.application_id == application.id))
    # A4: past the review deadline forwarding is refused; the page says so (with the date) instead of offering it.
    late = forward_problem(application.round.review_deadline, today_taipei()) if Step.FORWARD in steps else None
    return render_template(
        "awards/application.html", application=application, result=result, award=award, today=today_taipei(),
        forward_closed=late,
        may_withdraw=Step.WITHDRAW in steps, may_forward=Step.FORWARD in steps, may_approve=Step.APPROVE in steps,
        may_return=Step.RETURN in steps, version_form=VersionForm(formdata=None),
        forward_form=ForwardForm(formdata=None), return_form=ReturnForm(formdata=None))


def decision_target(award_application_id, form):
    """The application, version-checked; None (with a message) when it is not waiting for this user."""
    application = get_application_or_404(award_application_id, current_user, for_review=True)
    check_version(application, form)
    if application.status != waiting_stage(current_user.role):
        flash(_("This application is not waiting for your decision (now: %(status)s).",
                status=application.status_label), "error")
        return None
    return application


def back_to(application) -> str:
    return url_for(".show_application", award_application_id=application.id)


@bp.post("/applications/<int:award_application_id>/forward")
@access.allow(*SECTOR_ROLES)
def forward(award_application_id):
    form = ForwardForm()
    application = decision_target(award_application_id, form)
    if application is None:
        return redirect(url_for(".show_application", award_application_id=award_application_id))
    if not form.validate():
        flash(_("The note may have at most 300 characters."), "error")
        return redirect(back_to(application))
    return run_step(lambda: operations.forward(application, current_user, form.note.data, today_taipei()),
                    lambda: _("The application for %(name)s was forwarded to the ministry.",
                              name=application.person.name), url_for(".review"))


@bp.post("/applications/<int:award_application_id>/approve")
@access.allow(access.MINISTRY)
def approve(award_application_id):
    application = decision_target(award_application_id, VersionForm())
    if application is None:
        return redirect(url_for(".show_application", award_application_id=award_application_id))
    return run_step(lambda: operations.approve(application, current_user, today_taipei()),
                    lambda: _("Approved: %(name)s receives the %(tier)s.", name=application.person.name,
                              tier=application.tier_label), url_for(".review"))


@bp.post("/applications/<int:award_application_id>/return")
@access.allow(*REVIEWERS)
def return_(award_application_id):
    form = ReturnForm()
    application = decision_target(award_application_id, form)
    if application is None:
        return redirect(url_for(".show_application", award_application_id=award_application_id))
    if not form.validate():
        flash(_("Please give the reason for returning the application (at most 300 characters)."), "error")
        return redirect(back_to(application))
    return run_step(lambda: operations.return_application(application, form.reason.data, current_user),
                    lambda: _("The application was returned to %(unit)s.", unit=localized(application.unit)),
                    url_for(".review"))
