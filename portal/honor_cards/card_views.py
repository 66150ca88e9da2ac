"""Issued cards: the list, the e-card page and its card-size PDF, and the county's cancellation and reissue."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.documents.operations import document_file
from portal.platform import access, downloads, pdf
from portal.platform.confirm import ask, confirmed
from portal.platform.dates import format_roc_short
from portal.platform.extensions import db
from portal.platform.forms import check_version
from portal.platform.htmx import page_or_fragment
from portal.platform.pagination import CURSOR_ARG, desc, keyset
from portal.platform.params import arg, to_search
from portal.platform.timeutil import today_taipei
from portal.registry.models import Person

from . import bp
from .documents import photo_data_uri
from .forms import CancelCardForm, VersionForm
from .models import HonorCard
from .numbers import number_key
from .operations import HonorCardError, cancel_card, reissue_card
from .scopes import card_scope, get_card_or_404, may_change_card
from .views import PER_PAGE, READERS, county_authority


@bp.get("/cards")
@access.allow(*READERS)
def cards():
    q = arg("q", to_search, default="")
    query = (select(HonorCard).join(Person, Person.id == HonorCard.person_id).where(card_scope(current_user))
             .options(selectinload(HonorCard.person)))
    if q:
        # A number matches however it is written (北市榮字第00123號 = 北市榮字123): its key, through the unique index.
        query = query.where((Person.name.contains(q, autoescape=True)) | (HonorCard.number_key == number_key(q)))
    # Newest first by keyset: a county's cards number in the hundreds of thousands; the count stops at 1,000.
    page = keyset(query, (desc(HonorCard.id),), request.args.get(CURSOR_ARG), PER_PAGE)
    return page_or_fragment("honor_cards/cards.html", "results", page=page, q=q, today=today_taipei())


def card_face(card) -> dict:
    """The texts printed on the card, always in Chinese (docs/rules/honor-cards.md#hc10: the card is domestic only)."""
    with force_locale("zh_TW"):
        return {"title": _("Volunteer Service Honor Card"), "name": _("Name"), "number": _("Card number"),
                "valid": _("Valid"), "no_photo": _("No photo"),
                "dates": f"{format_roc_short(card.valid_from)} – {format_roc_short(card.valid_to)}",
                "issuer": _("Issued by %(issuer)s", issuer=card.county.name if card.county else card.county_code)}


@bp.get("/cards/<int:card_id>")
@access.allow(access.VOLUNTEER, *READERS)
def show_card(card_id):
    card = get_card_or_404(card_id, current_user)
    document = card.document
    verify_url = url_for("certificates.verify", token=document.token, _external=True) if document else None
    return render_template("honor_cards/card.html", card=card, face=card_face(card), document=document,
                           verify_url=verify_url,
                           qr=pdf.qr_data_uri(verify_url) if verify_url else None,
                           photo=photo_data_uri(card.person), today=today_taipei(),
                           may_change=may_change_card(current_user, card),
                           cancel_form=CancelCardForm(formdata=None), version_form=VersionForm(formdata=None))


@bp.get("/cards/<int:card_id>/card.pdf")
@access.allow(access.VOLUNTEER, *READERS)
def card_pdf(card_id):
    """The card-size PDF exactly as issued."""
    card = get_card_or_404(card_id, current_user)
    content = document_file(card.document) if card.document else b""
    if not content:
        abort(404)
    return downloads.send(content, f"honor-card-{card.number}.pdf", "application/pdf")


@bp.post("/cards/<int:card_id>/cancel")
@access.allow(access.COUNTY)
def cancel_card_view(card_id):
    card = get_card_or_404(card_id, current_user, for_write=True)
    form = CancelCardForm()
    check_version(card, form)
    if not form.validate():
        flash(_("Please give the reason for cancelling the card."), "error")
        return redirect(url_for(".show_card", card_id=card.id))
    if not confirmed():   # docs/rules/platform.md#pl9: the consequence in words first
        return ask(_("Cancel card %(number)s", number=card.number), [
            _("Card %(number)s of %(name)s stops being valid at once; its verification page and the e-card say it "
              "was cancelled, so venues no longer accept it.", number=card.number, name=card.person.name),
            _("A cancellation cannot be undone.")],
            _("Yes, cancel the card"), url_for(".show_card", card_id=card.id))
    try:
        cancel_card(card, form.reason.data, current_user, on=today_taipei())
    except HonorCardError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".show_card", card_id=card.id))
    db.session.commit()
    flash(_("Card %(number)s was cancelled; its verification page now says so.", number=card.number), "success")
    return redirect(url_for(".show_card", card_id=card.id))


@bp.post("/cards/<int:card_id>/reissue")
@access.allow(access.COUNTY)
def reissue(card_id):
    card = get_card_or_404(card_id, current_user, for_write=True)
    check_version(card, VersionForm())
    try:
        new = reissue_card(card, county_authority(), current_user, on=today_taipei())
    except HonorCardError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".show_card", card_id=card.id))
    db.session.commit()
    flash(_("Card %(number)s was reissued as %(new)s with the same validity.", number=card.number, new=new.number),
          "success")
    return redirect(url_for(".show_card", card_id=new.id))
