"""Entering hours as unit staff: the single-entry form (with live checks and the roster search), the
batch grid, and one entry's page with its history, correction and void."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from portal.imports.models import ImportBatch
from portal.platform import access
from portal.platform.confirm import ask, confirmed
from portal.platform.database import reads_from_replica
from portal.platform.extensions import db
from portal.platform.forms import VersionForm, check_version
from portal.platform.htmx import is_fragment_request, page_or_fragment
from portal.platform.i18n import format_date, hours_text, localized
from portal.platform.params import arg, int_or_none, to_search
from portal.platform.timeutil import today_taipei, utcnow
from portal.platform.undo import undo_deadline, undo_note, undo_open
from portal.registry.catalog import FIELD_BY_CODE
from portal.registry.models import Membership, Person
from portal.registry.operations import lock_people

from . import bp
from .dispute_views import dispute_context
from .facts import entry_checker
from .forms import CorrectionForm, EntryForm, VoidForm, attach, field_options, problem_label
from .grid import MAX_ROWS, check_rows, empty_row, rows_from_form
from .models import EntryStatus, HourEntry
from .operations import correct_entry, draft_of, last_void, record_entry, undo_void, void_entry
from .roster import roster_suggestions, search_roster
from .rules import Draft, Problem, unit_fields, window_of
from .safe_actions import void_consequences
from .scopes import READERS, get_entry_or_404, may_change_entry

# -- single entry -------------------------------------------------------------------------

def entry_form(unit) -> EntryForm:
    form = EntryForm()
    form.field_code.choices = field_options(unit.field_codes)
    if request.method == "GET":
        form.field_code.data = unit.field_code
    return form


def pick_person(form, unit):
    """(person row or None, candidates): the picked radio, else a unique match of the typed text."""
    if form.person_id.data:
        found = db.session.execute(select(Person.id, Person.name, Person.id_number).where(
            Person.id == form.person_id.data,
            Person.id.in_(select(Membership.person_id).where(Membership.unit_id == unit.id)))).first()
        if found:
            return found, [found]
    candidates = search_roster(unit.id, form.q.data or "")
    if len(candidates) == 1:
        return candidates[0], candidates
    return None, candidates


def entry_problems(form, unit, person) -> list[Problem]:
    if person is None:
        code = "required" if not form.q.data else ("ambiguous_volunteer" if form._candidates else "no_match")
        return [Problem(code, "person")]
    draft = Draft(person.id, unit.id, form.start_on.data, form.end_date, form.half_hours, form.field_code.data)
    return entry_checker([person.id], window_of([draft]), today_taipei(), unit_fields=unit_fields([unit])) \
        .refusals(draft)


def recent_entries(unit_id: int):
    return db.session.scalars(
        select(HourEntry).join(HourEntry.person).options(contains_eager(HourEntry.person))
        .where(HourEntry.unit_id == unit_id, HourEntry.entered_by_id == current_user.id)
        .order_by(HourEntry.id.desc()).limit(10)).all()


@bp.route("/new", methods=["GET", "POST"])
@access.allow(*access.UNIT_STAFF)
def new():
    unit = current_user.unit
    form = entry_form(unit)
    person, candidates, saved = None, [], None
    if request.method == "POST":
        person, candidates = pick_person(form, unit)
        form._candidates = candidates
        if request.form.get("action") != "search" and form.validate():
            lock_people([person.id] if person else [])
            problems = entry_problems(form, unit, person)
            if not problems:
                saved = record_entry(Draft(person.id, unit.id, form.start_on.data, form.end_date, form.half_hours,
                                           form.field_code.data), current_user, content=form.content.data or "",
                                     persons_served=getattr(form, "persons", 0))
                db.session.commit()
                message = _("Saved: %(hours)s hours for %(name)s.", hours=saved.hours, name=person.name)
                if not is_fragment_request():
                    flash(message, "success")
                    return redirect(url_for(".new"))
                form, person, candidates = entry_form(unit), None, []
                form.start_on.data, form.field_code.data = saved.start_on, saved.field_code
                saved = message
            attach(form, problems)
    status = 422 if form.errors else 200
    return page_or_fragment("hours/new.html", "panel", form=form, person=person, candidates=candidates,
                            saved=saved, recent=recent_entries(unit.id)), status


@bp.post("/check")
@access.allow(*access.UNIT_STAFF)
def check():
    """Live validation of the single-entry form while it is typed; nothing is stored."""
    unit = current_user.unit
    form = entry_form(unit)
    person, candidates = pick_person(form, unit)
    form._candidates = candidates
    problems = []
    if form.validate():
        problems = entry_problems(form, unit, person)
    messages = [(str(f.label.text), e) for f in form if f.errors for e in f.errors]
    messages += [(problem_label(form, p), p.message) for p in problems]
    return render_template("hours/_check.html", messages=messages, person=person, form=form,
                           ok=not messages and person is not None)


@bp.get("/search")
@access.allow(*access.UNIT_STAFF)
@reads_from_replica
def search():
    text = arg("q", to_search, default="")
    people = search_roster(current_user.unit_id, text)
    return render_template("hours/_people.html", candidates=people, person=None, searched=bool(text))


# -- batch grid -------------------------------------------------------------------------------

@bp.route("/batch", methods=["GET", "POST"])
@access.allow(*access.UNIT_STAFF)
def batch():
    unit = current_user.unit
    status, saved, focus = 200, None, None
    if request.method == "GET":
        rows, focus = [empty_row(unit) for _i in range(5)], 0   # the grid starts on its first cell
    else:
        rows = rows_from_form(request.form, unit)
        action = request.form.get("action", "check")
        if action == "add":
            if len(rows) < MAX_ROWS:
                rows.append(empty_row(unit, rows[-1]))
            focus = len(rows) - 1
        elif action == "remove" or (action.startswith("remove-") and int_or_none(action[7:], 0, MAX_ROWS) is not None):
            # remove-<index> from a row's ✕; "remove" with the row number chosen below the grid (keyboard users)
            chosen = request.form.get("remove_row", "")
            index = int_or_none(action[7:], 0, MAX_ROWS) if action != "remove" else (int_or_none(chosen, 1, MAX_ROWS) or 0) - 1
            if 0 <= index < len(rows):
                del rows[index]
            rows = rows or [empty_row(unit)]
            focus = min(max(index, 0), len(rows) - 1)   # the row that took its place, or the new last row
        else:
            drafts = check_rows(rows, unit)
            if action == "save" and drafts:
                lock_people(d.person_id for d in drafts)
                rows = rows_from_form(request.form, unit)
                drafts = check_rows(rows, unit)
            if action == "save" and drafts:
                for row in rows:
                    if row.draft:
                        record_entry(row.draft, current_user, **row.extra)
                db.session.commit()
                saved = ngettext("%(num)d entry saved (%(hours)s hours).", "%(num)d entries saved (%(hours)s hours).",
                                 len(drafts), hours=sum(d.half_hours for d in drafts) / 2)
                rows = [empty_row(unit) for _i in range(5)]
            elif any(row.errors for row in rows):
                status = 422
    return page_or_fragment("hours/batch.html", "grid", rows=rows, saved=saved, focus=focus,
                            field_choices=[(c, localized(FIELD_BY_CODE[c])) for c in unit.field_codes],
                            roster=roster_suggestions(unit.id), max_rows=MAX_ROWS), status


# -- one entry: history, correction, void ----------------------------------------------------

@bp.get("/<int:entry_id>")
@access.allow(*READERS)
def show(entry_id):
    entry = get_entry_or_404(entry_id, current_user)
    void_form = VoidForm(formdata=None, version=entry.version)
    batch = db.session.get(ImportBatch, entry.import_batch_id) if entry.import_batch_id else None
    voided = last_void(entry) if current_user.role in access.UNIT_STAFF and entry.unit_id == current_user.unit_id \
        else None
    undo_until = undo_deadline(voided.at) if voided and undo_open(voided.at, utcnow()) else None
    return render_template("hours/show.html", entry=entry, may_change=may_change_entry(entry, current_user),
                           void_form=void_form, import_batch=batch, undo_until=undo_until,
                           **dispute_context(entry, current_user))


@bp.route("/<int:entry_id>/correct", methods=["GET", "POST"])
@access.allow(*access.UNIT_STAFF)
def correct(entry_id):
    entry = get_entry_or_404(entry_id, current_user, for_write=True)
    if entry.status != EntryStatus.ACTIVE:
        flash(_("Only counted entries can be corrected."), "error")
        return redirect(url_for(".show", entry_id=entry.id))
    form = CorrectionForm()
    form.field_code.choices = field_options(entry.unit.field_codes)
    if request.method == "GET":
        form.start_on.data, form.end_on.data = entry.start_on, entry.end_on if not entry.single_day else None
        form.hours.data, form.field_code.data = f"{entry.hours:g}", entry.field_code
        form.content.data, form.persons_served.data = entry.content, str(entry.persons_served)
        form.version.data = str(entry.version)
    if form.validate_on_submit():
        check_version(entry, form)
        lock_people([entry.person_id])
        draft = draft_of(entry, start_on=form.start_on.data, end_on=form.end_date, half_hours=form.half_hours,
                         field_code=form.field_code.data)
        problems = entry_checker([entry.person_id], window_of([draft]), today_taipei(), ignore_entry_ids=[entry.id],
                                 unit_fields=unit_fields([entry.unit])).refusals(draft)
        attach(form, problems)
        if not problems:
            values = {"start_on": draft.start_on, "end_on": draft.end_on, "half_hours": draft.half_hours,
                      "field_code": draft.field_code, "content": form.content.data or "",
                      "persons_served": getattr(form, "persons", 0)}
            if correct_entry(entry, values, form.reason.data, current_user):
                flash(_("Correction saved. The old values stay in the history."), "success")
            else:
                flash(_("Nothing was changed."), "info")
            db.session.commit()
            return redirect(url_for(".show", entry_id=entry.id))
    return render_template("hours/correct.html", form=form, entry=entry), 422 if form.errors else 200


@bp.post("/<int:entry_id>/void")
@access.allow(*access.UNIT_STAFF)
def void(entry_id):
    """Void after a confirmation page that says what the void changes (docs/rules/platform.md#pl9)."""
    entry = get_entry_or_404(entry_id, current_user, for_write=True)
    form = VoidForm()
    if entry.status != EntryStatus.ACTIVE:
        flash(_("Only counted entries can be voided."), "error")
    elif form.validate_on_submit():
        check_version(entry, form)
        if not confirmed():
            return ask(_("Void this entry"), void_consequences(entry), _("Yes, void the entry"),
                       url_for(".show", entry_id=entry.id), undo_note=undo_note(utcnow()),
                       lead=_("%(hours)s hours of %(name)s on %(date)s, %(unit)s.", hours=hours_text(entry.half_hours),
                              name=entry.person.name, date=format_date(entry.start_on), unit=localized(entry.unit)))
        void_entry(entry, form.reason.data, current_user)
        db.session.commit()
        flash(_("The entry was voided. It no longer counts, and stays in the history.") + " "
              + undo_note(utcnow()), "success")
    else:
        flash(_("Please give a reason for voiding the entry."), "error")
    return redirect(url_for(".show", entry_id=entry.id))


@bp.post("/<int:entry_id>/undo-void")
@access.allow(*access.UNIT_STAFF)
def undo_void_view(entry_id):
    """Count a voided entry again within 7 days of the void, if every entry rule still allows it."""
    entry = get_entry_or_404(entry_id, current_user, for_write=True)
    check_version(entry, VersionForm())
    voided = last_void(entry)
    if voided is None or not undo_open(voided.at, utcnow()):
        flash(_("This void can no longer be undone: undo is possible for 7 days after it."), "error")
        return redirect(url_for(".show", entry_id=entry.id))
    lock_people([entry.person_id])
    draft = draft_of(entry)
    problems = entry_checker([entry.person_id], window_of([draft]), today_taipei(), ignore_entry_ids=[entry.id],
                             unit_fields=unit_fields([entry.unit])).refusals(draft)
    if problems:
        flash(_("The entry cannot count again:") + " " + " ".join(p.message for p in problems), "error")
    else:
        undo_void(entry, voided, current_user)
        db.session.commit()
        flash(_("The void was undone: the entry counts again."), "success")
    return redirect(url_for(".show", entry_id=entry.id))
