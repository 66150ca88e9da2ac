"""The volunteer's own record (their home page), summary first, for a phone: this year's hours per unit and
in total, the next steps with who acts on each, honor-card and award progress in one line each, then links to
the full lists (hours, training, documents, record book, cards, awards) and, below, the volunteer's details,
photo and units. Every entry with who entered or corrected it loads only when asked for (`entries_page`).
Only the signed-in volunteer's own person is ever loaded."""
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from portal.awards.record import award_lines, received_tiers
from portal.honor_cards.operations import latest_card
from portal.honor_cards.rules import BASIC, ENTERED, HOURS, SPECIAL, YEARS
from portal.hours.models import EntryStatus, HourChange, HourEntry
from portal.hours.operations import person_totals
from portal.insurance.facts import cover_of
from portal.platform.extensions import db
from portal.platform.i18n import format_date
from portal.platform.pagination import paginate
from portal.platform.timeutil import today_taipei
from portal.records.operations import book_of, pending_request, requirements
from portal.registry.models import PhotoStatus

from .forms import PhotoForm
from .progress import award_progress, honor_card_progress

PER_PAGE = 25

# Who acts on a next step: the volunteer, their unit (enters hours, records and verifies training, accepts the
# photo, requests the record book, applies for cards and awards, enrols in insurance) or the county authority.
YOU, UNIT, COUNTY = _l("You"), _l("Your unit"), _l("The county authority")
# Honor-card checks the unit must act on, and those only time and service settle (docs/rules/honor-cards.md).
UNIT_CHECKS, SERVICE_CHECKS = (ENTERED, BASIC, SPECIAL), (YEARS, HOURS)


@dataclass(frozen=True)
class Step:
    actor: str
    text: str


def entries_page(person_id: int, page: int):
    """One page of the volunteer's entries (every status), with the entering user and each change."""
    query = (select(HourEntry).where(HourEntry.person_id == person_id)
             .options(joinedload(HourEntry.unit), joinedload(HourEntry.entered_by),
                      selectinload(HourEntry.changes).joinedload(HourChange.actor))
             .order_by(HourEntry.start_on.desc(), HourEntry.id.desc()))
    return paginate(query, page, PER_PAGE)


def year_units(year_rows: list[tuple], current_units) -> list[tuple]:
    """This year's (unit, half-hours), biggest first, then every unit served today that has none yet (0): a
    volunteer in two units sees both, also the one whose clerk has not entered anything this year."""
    shown = {unit.id for unit, _half in year_rows}
    waiting = sorted({u.id: u for u in current_units if u.id not in shown}.values(), key=lambda u: u.code)
    return list(year_rows) + [(unit, 0) for unit in waiting]


def honor_card_steps(honor, has_book: bool) -> list[Step]:
    """The honor card's missing checks: those the unit acts on (hours not entered yet, training to verify), then
    those only more service settles (years, hours)."""
    if honor.eligible:
        return [Step(UNIT, _("You meet the conditions for an honor card; your unit applies for it."))]
    # Without a record book, the book's own step above already names the photo and the training.
    unit_checks = [m for code, m in honor.missing if code in UNIT_CHECKS and (code == ENTERED or has_book)]
    service = [m for code, m in honor.missing if code in SERVICE_CHECKS]
    return ([Step(UNIT, _("Honor card: %(items)s.", items=_("; ").join(unit_checks)))] if unit_checks else []) + \
        ([Step(YOU, _("Honor card: %(items)s.", items=_("; ").join(service)))] if service else [])


def next_steps(person, book, pending, reqs, honor, awards, insured_today: bool, card_in_force: bool = False) -> list[Step]:
    """What is missing for each next step, in plain words, with who acts, in the order a volunteer meets them.
    While a card is in force the next card is years away: its checks are on the honor-card page, not here."""
    steps = []
    if person.photo_status == PhotoStatus.NONE:
        steps.append(Step(YOU, _("Upload an ID photo below; your unit accepts it. The record book and the honor "
                                 "card need it.") + (" " + _("Your last photo was refused: %(note)s",
                                                             note=person.photo_note) if person.photo_note else "")))
    elif person.photo_status == PhotoStatus.PENDING:
        steps.append(Step(UNIT, _("Your photo waits for your unit to accept it.")))
    has_book = book is not None and not book.is_cancelled
    if not has_book:
        if pending is not None:
            steps.append(Step(COUNTY, _("Your record book was requested on %(date)s and waits for the county "
                                        "authority.", date=format_date(pending.requested_on))))
        else:
            missing = [r for r in reqs if not r.met and r.key != "photo"]
            if missing:
                steps.append(Step(UNIT, _("Record book: %(items)s.", items=_("; ").join(r.hint for r in missing))))
            elif not [r for r in reqs if not r.met]:
                steps.append(Step(UNIT, _("Everything for your record book is ready: ask your unit to request it.")))
    if not card_in_force:
        steps += honor_card_steps(honor, has_book)
    for tier in awards:
        if tier.ready:
            steps.append(Step(UNIT, _("You have enough hours for the %(tier)s: your unit applies for it in the next "
                                      "award round.", tier=tier.ready)))
    if not insured_today:
        steps.append(Step(UNIT, _("You are not insured today. Ask your unit to enrol you in its volunteer accident "
                                  "insurance before you serve.")))
    return steps


def context(person, memberships) -> dict:
    """The home page, summary first. This year's hours per unit come from the same grouped query of the hour
    summaries as every total (person × unit × field × month rows, never the entries)."""
    today = today_taipei()
    totals = person_totals(person.id, None)
    book, pending = book_of(person.id), pending_request(person.id)
    reqs = requirements(person)
    cover_today = cover_of(person.id, today)
    card = latest_card(person.id)
    first = db.session.scalar(select(func.min(HourEntry.start_on)).where(HourEntry.person_id == person.id,
                                                                         HourEntry.status == EntryStatus.ACTIVE))
    honor = honor_card_progress(person.id, totals.total, first, today)
    awards = award_progress(totals.total, dict(totals.by_field), received_tiers(award_lines(person.id)))
    current_units = [m.unit for m in memberships if m.is_current]
    return {
        "today": today, "totals": totals, "year": today.year,
        "year_units": year_units(totals.year_by_unit(today.year), current_units),
        "year_total": sum(half for year, half in totals.by_year if year == today.year),
        "book": book, "pending": pending, "cover_today": cover_today, "honor": honor, "awards": awards,
        "card": card,
        "steps": next_steps(person, book, pending, reqs, honor, awards, bool(cover_today),
                            card is not None and card.in_force_on(today)),
        "photo_form": PhotoForm(formdata=None),
    }
