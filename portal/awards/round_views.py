"""The ministry's award rounds: one per scheme and year, with the cut-off and each stage's deadline."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.platform import access
from portal.platform.extensions import db
from portal.platform.forms import check_version
from portal.platform.timeutil import today_taipei

from . import bp, operations
from .forms import RoundForm
from .models import OPEN_STATUSES, ApplicationStatus, AwardApplication, AwardRound
from .operations import AwardError
from .scopes import get_round_or_404


@bp.get("/rounds")
@access.allow(access.MINISTRY)
def rounds():
    all_rounds = db.session.scalars(select(AwardRound).order_by(AwardRound.year.desc(), AwardRound.scheme)).all()
    return render_template("awards/rounds.html", rounds=all_rounds, counts=application_counts(), today=today_taipei())


def application_counts() -> dict[int, dict]:
    """Per round with applications: how many wait (submitted or forwarded), were approved, were returned."""
    counts = {}
    for round_id, status, n in db.session.execute(select(AwardApplication.round_id, AwardApplication.status,
                                                         func.count()).group_by(AwardApplication.round_id,
                                                                                AwardApplication.status)):
        shown = counts.setdefault(round_id, {"waiting": 0, "approved": 0, "returned": 0})
        if status in OPEN_STATUSES:
            shown["waiting"] += n
        elif status == ApplicationStatus.APPROVED:
            shown["approved"] += n
        elif status == ApplicationStatus.RETURNED:
            shown["returned"] += n
    return counts


def round_values(form: RoundForm) -> dict:
    return {"scheme": form.scheme.data, "year": form.year.data, "cutoff_on": form.cutoff_on.data,
            "unit_deadline": form.unit_deadline.data, "review_deadline": form.review_deadline.data,
            "ministry_deadline": form.ministry_deadline.data, "status": form.status.data}


def save_round(form: RoundForm, save) -> bool:
    """Run create/update; a refusal or a second round of the same scheme and year becomes a form error."""
    try:
        save(round_values(form))
    except AwardError as exc:
        db.session.rollback()
        form.year.errors = list(form.year.errors) + [exc.message]
        return False
    except IntegrityError:
        db.session.rollback()
        form.year.errors = list(form.year.errors) + [_("There is already a round of this scheme for %(year)d.",
                                                       year=form.year.data)]
        return False
    db.session.commit()
    return True


@bp.route("/rounds/new", methods=["GET", "POST"])
@access.allow(access.MINISTRY)
def new_round():
    form = RoundForm()
    if form.validate_on_submit() and save_round(form, lambda values: operations.create_round(values, current_user)):
        flash(_("The round was opened."), "success")
        return redirect(url_for(".rounds"))
    return render_template("awards/round_form.html", form=form, award_round=None), \
        422 if request.method == "POST" else 200


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@access.allow(access.MINISTRY)
def edit_round(round_id):
    award_round = get_round_or_404(round_id, current_user)
    form = RoundForm(obj=award_round)
    if request.method == "POST":
        check_version(award_round, form)
        if form.validate() and save_round(form, lambda values: operations.update_round(award_round, values,
                                                                                        current_user)):
            flash(_("The round was saved."), "success")
            return redirect(url_for(".rounds"))
    return render_template("awards/round_form.html", form=form, award_round=award_round), \
        422 if request.method == "POST" else 200
