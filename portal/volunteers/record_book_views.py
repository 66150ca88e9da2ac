"""The record book page and its verifiable PDF. They show the whole record (training, insurance,
hours, awards), so they live on the composition floor; the routes stay on the records blueprint
(same URLs and endpoint names as every other record-book screen)."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.platform import access, audit, downloads
from portal.platform.confirm import ask, confirmed
from portal.platform.extensions import db
from portal.platform.forms import check_version
from portal.platform.pdf import MissingGlyphError
from portal.records import bp
from portal.records.forms import CancelForm, RequestForm
from portal.records.operations import (
    RecordBookError,
    book_of,
    cancel_book,
    requirements,
)
from portal.records.scopes import (
    get_book_or_404,
    get_book_to_cancel_or_404,
    row_units_for,
)
from portal.records.views import READERS

from . import record_book_pdf
from .record_book import book_content

# --- the book ------------------------------------------------------------------------------

def render_book(book, person):
    content = book_content(person, book, row_units_for(current_user))
    may_cancel = current_user.role == access.COUNTY and book is not None and not book.is_cancelled
    own_unit = current_user.role in access.UNIT_STAFF and any(
        m.unit_id == current_user.unit_id and m.is_current for m in person.memberships)
    return render_template("records/book.html", c=content, book=book, person=person, may_cancel=may_cancel,
                           may_request=own_unit, cancel_form=CancelForm(formdata=None),
                           request_form=RequestForm(formdata=None), requirements=requirements(person),
                           own=current_user.role == access.VOLUNTEER,
                           may_download=current_user.role == access.VOLUNTEER and book is not None
                           and not book.is_cancelled and access.may_call("records.pdf"))


@bp.get("/books/<int:book_id>")
@access.allow(*READERS)
def book(book_id):
    book = get_book_or_404(book_id, current_user)
    return render_book(book, book.person)


@bp.get("/mine")
@access.allow(access.VOLUNTEER)
def mine():
    person = current_user.person
    if person is None:
        abort(404)
    return render_book(book_of(person.id), person)


@bp.post("/books/<int:book_id>/cancel")
@access.allow(access.COUNTY)
def cancel(book_id):
    book = get_book_to_cancel_or_404(book_id, current_user)
    form = CancelForm()
    if form.validate_on_submit():
        check_version(book, form)
        if not confirmed():   # docs/rules/platform.md#pl9: the consequence in words first
            return ask(_("Cancel record book %(number)s", number=book.number), [
                _("Record book %(number)s of %(name)s is no longer valid from today; it stays on record with its "
                  "number.", number=book.number, name=book.person.name),
                _("Only a reissue can make a book valid again.")],
                _("Yes, cancel the record book"), url_for(".book", book_id=book.id))
        try:
            cancel_book(book, form.reason.data, current_user)
            db.session.commit()
            flash(_("Record book %(number)s cancelled.", number=book.number), "success")
        except RecordBookError as exc:
            flash(str(exc), "error")
    else:
        flash(_("Give the reason for the cancellation."), "error")
    return redirect(url_for(".book", book_id=book.id))


# --- the PDF (verifiable printout) ------------------------------------------------------------

@bp.get("/books/<int:book_id>/pdf")
@access.allow(access.VOLUNTEER)
def pdf(book_id):
    """The volunteer's own book as a PDF with a verification QR (the whole record: only the volunteer)."""
    book = get_book_or_404(book_id, current_user)
    if book.is_cancelled:
        abort(404)
    try:
        document, content = record_book_pdf.printout(book, current_user)
    except MissingGlyphError as exc:
        db.session.rollback()
        for message in exc.messages():
            flash(message, "error")
        return redirect(url_for(".book", book_id=book.id))
    audit.record("record_book.download", book, number=book.number, code=document.short_code)
    db.session.commit()
    return downloads.send(content, f"record-book-{book.number}.pdf", "application/pdf")
