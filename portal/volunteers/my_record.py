"""The volunteer's own record (their home page): totals with a bar chart, every entry with who entered
or corrected it, training and documents, record book, insurance, honor-card and award progress, and
what is missing for each next step. Only the signed-in volunteer's own person is ever loaded."""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from portal.awards.record import award_lines, open_applications, received_tiers
from portal.documents.kinds import kind_label
from portal.documents.models import Document
from portal.hours.models import EntryStatus, HourChange, HourEntry
from portal.hours.operations import person_totals
from portal.insurance.facts import cover_of
from portal.platform.extensions import db
from portal.platform.i18n import format_date, hours_text, year_label
from portal.platform.pagination import paginate
from portal.platform.timeutil import today_taipei
from portal.records.operations import book_of, pending_request, requirements
from portal.registry.models import PhotoStatus

from .forms import PhotoForm
from .progress import award_progress, honor_card_progress
from .record_book import training_of

CHART_WIDTH, BAR_HEIGHT, BAR_GAP, LABEL_WIDTH = 640, 22, 8, 150
PER_PAGE = 25


@dataclass
class Bar:
    label: str
    value: str
    y: int
    width: int


@dataclass
class Chart:
    bars: list
    height: int
    label_width: int = LABEL_WIDTH
    width: int = CHART_WIDTH


def bar_chart(items: list[tuple[str, int]]) -> Chart:
    """Horizontal bars (label, half-hours) scaled to the largest, as plain numbers for an inline SVG."""
    biggest = max((half for _label, half in items), default=0) or 1
    room = CHART_WIDTH - LABEL_WIDTH - 80
    bars = [Bar(label, hours_text(half), i * (BAR_HEIGHT + BAR_GAP), max(2, round(room * half / biggest)))
            for i, (label, half) in enumerate(items)]
    return Chart(bars, max(BAR_HEIGHT, len(bars) * (BAR_HEIGHT + BAR_GAP)))


def entries_page(person_id: int, page: int):
    """One page of the volunteer's entries (every status), with the entering user and each change."""
    query = (select(HourEntry).where(HourEntry.person_id == person_id)
             .options(joinedload(HourEntry.unit), joinedload(HourEntry.entered_by),
                      selectinload(HourEntry.changes).joinedload(HourChange.actor))
             .order_by(HourEntry.start_on.desc(), HourEntry.id.desc()))
    return paginate(query, page, PER_PAGE)


def documents_of(person_id: int):
    docs = db.session.scalars(select(Document).where(Document.person_id == person_id)
                              .order_by(Document.issued_at.desc(), Document.id.desc()).limit(20)).all()
    return docs, kind_label


def next_steps(person, book, pending, reqs, honor, awards, cover_today) -> list[str]:
    """What is missing for each next step, in plain words, in the order a volunteer meets them."""
    steps = []
    if person.photo_status == PhotoStatus.NONE:
        steps.append(_("Upload an ID photo below; your unit accepts it. The record book and the honor card "
                       "need it.") + (" " + _("Your last photo was refused: %(note)s", note=person.photo_note)
                                      if person.photo_note else ""))
    elif person.photo_status == PhotoStatus.PENDING:
        steps.append(_("Your photo waits for your unit to accept it."))
    if book is None or book.is_cancelled:
        if pending is not None:
            steps.append(_("Your record book was requested on %(date)s and waits for the county authority.",
                           date=format_date(pending.requested_on)))
        else:
            missing = [r for r in reqs if not r.met and r.key != "photo"]
            if missing:
                steps.append(_("Record book: %(items)s.", items=_("; ").join(r.hint for r in missing)))
            elif not [r for r in reqs if not r.met]:
                steps.append(_("Everything for your record book is ready: ask your unit to request it."))
    if not honor.eligible:
        unmet = [message for met, message in honor.checks if not met]
        if unmet:
            steps.append(_("Honor card: %(items)s.", items=_("; ").join(unmet)))
    else:
        steps.append(_("You meet the conditions for an honor card: ask your unit to apply for it."))
    for tier in awards:
        if tier.next_half_hours is not None and tier.half_hours:
            steps.append(_("%(scheme)s: %(progress)s", scheme=tier.label, progress=tier.words))
    if not cover_today:
        steps.append(_("You are not insured today. Ask your unit to enrol you in its volunteer accident "
                       "insurance before you serve."))
    return steps


def context(person, page: int = 1) -> dict:
    today = today_taipei()
    totals = person_totals(person.id, None)
    first = db.session.scalar(select(func.min(HourEntry.start_on)).where(HourEntry.person_id == person.id,
                                                                         HourEntry.status == EntryStatus.ACTIVE))
    book, pending = book_of(person.id), pending_request(person.id)
    reqs = requirements(person)
    cover = cover_of(person.id)
    cover_today = [e for e in cover if e.starts_on <= today <= e.ends_on]
    honor = honor_card_progress(person.id, totals.total, first, today)
    lines = award_lines(person.id)
    awards = award_progress(totals.total, dict(totals.by_field), received_tiers(lines))
    documents, kind_label = documents_of(person.id)
    return {
        "today": today, "totals": totals,
        "year_chart": bar_chart([(year_label(y, style="with_ad"), half) for y, half in sorted(totals.by_year)]),
        "entries": entries_page(person.id, page), "training": training_of(person.id),
        "documents": documents, "kind_label": kind_label, "book": book, "pending": pending,
        "requirements": reqs, "cover": cover, "cover_today": cover_today, "honor": honor, "awards": awards,
        "award_lines": lines, "award_applications": open_applications(person.id),
        "steps": next_steps(person, book, pending, reqs, honor, awards, bool(cover_today)),
        "photo_form": PhotoForm(formdata=None),
    }
