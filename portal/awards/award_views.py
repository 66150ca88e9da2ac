"""Awards received: the volunteer's own awards and applications, one award's page, and its revocation by the
ministry."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.documents.models import Document
from portal.documents.scopes import document_scope
from portal.platform import access
from portal.platform.confirm import ask, confirmed
from portal.platform.extensions import db
from portal.platform.forms import check_version

from . import bp, operations
from .forms import RevokeForm
from .models import Award, AwardApplication
from .scopes import get_award_or_404, may_revoke
from .views import run_step


@bp.get("/mine")
@access.allow(access.VOLUNTEER)
def mine():
    if current_user.person is None:
        abort(404)
    awards = db.session.scalars(select(Award).where(Award.person_id == current_user.person_id)
                                .order_by(Award.year.desc(), Award.id.desc())).all()
    applications = db.session.scalars(
        select(AwardApplication).where(AwardApplication.person_id == current_user.person_id)
        .options(selectinload(AwardApplication.unit), selectinload(AwardApplication.round))
        .order_by(AwardApplication.id.desc())).all()
    return render_template("awards/mine.html", awards=awards, applications=applications,
                           documents=visible_documents(awards))


def visible_documents(awards) -> dict:
    """Award id → its certificate, for the awards whose certificate this user may open (docs/rules/awards.md#a11:
    the volunteer's own, the issuing authority's); one query."""
    ids = [a.document_id for a in awards if a.document_id]
    if not ids:
        return {}
    found = {d.id: d for d in db.session.scalars(select(Document).where(Document.id.in_(ids),
                                                                         document_scope(current_user)))}
    return {a.id: found[a.document_id] for a in awards if a.document_id in found}


@bp.get("/<int:award_id>")
@access.allow(access.VOLUNTEER, *access.RECORD_READERS)
def show_award(award_id):
    award = get_award_or_404(award_id, current_user)
    return render_template("awards/award.html", award=award, may_revoke=may_revoke(current_user, award),
                           revoke_form=RevokeForm(formdata=None), document=visible_documents([award]).get(award.id))


@bp.post("/<int:award_id>/revoke")
@access.allow(access.MINISTRY)
def revoke(award_id):
    award = get_award_or_404(award_id, current_user, for_write=True)
    form = RevokeForm()
    check_version(award, form)
    if not form.validate():
        flash(_("Please give the reason for revoking the award (at most 300 characters)."), "error")
        return redirect(url_for(".show_award", award_id=award.id))
    if not confirmed():   # docs/rules/platform.md#pl9: the consequence in words first
        return ask(_("Revoke the award"), [
            _("The award of %(name)s is shown as revoked on the volunteer's record and record book from now on.",
              name=award.person.name),
            _("A revocation cannot be undone.")],
            _("Yes, revoke the award"), url_for(".show_award", award_id=award.id))
    return run_step(lambda: operations.revoke(award, form.reason.data, current_user),
                    lambda: _("The award was revoked; the volunteer's record now shows it as revoked."),
                    url_for(".show_award", award_id=award.id))
