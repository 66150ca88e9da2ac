"""Service hours: single entry, batch grid, volunteer claims, corrections and voids, totals, export."""
import hashlib

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager

from portal.platform import access, audit
from portal.platform.database import expect_write
from portal.platform.exports import csv_bytes
from portal.platform.extensions import db
from portal.platform.forms import options
from portal.platform.htmx import is_fragment_request, page_or_fragment
from portal.platform.i18n import localized
from portal.platform.timeutil import today_taipei
from portal.registry.catalog import FIELD_BY_CODE, FIELDS
from portal.registry.models import Unit
from portal.registry.scopes import get_unit_or_404, visible_unit_ids, visible_units
from portal.registry.identity import normalise
from portal.registry.models import Membership, Person
from portal.registry.scopes import get_person_or_404
from . import bp
from .forms import ClaimForm, CorrectionForm, EntryForm, ExportForm, HoursFilter, VoidForm
from .labels import FILTERS, GLOBALS
from .grid import MAX_ROWS, check_rows, empty_row, rows_from_form
from .models import ACTIVE, PENDING, HourEntry
from .operations import (correct_entry, decide_claim, draft_of, lock_people, person_totals, record_entry,
                         unit_monthly_totals, void_entry)
from .roster import person_label, search_roster
from .rules import Draft, EntryChecker, Problem, unit_fields, window_of
from .scopes import entry_scope, get_entry_or_404, writable_entry_scope
from .spreadsheets import headers, mohw_row, portal_row, xlsx_bytes

READERS = (*access.RECORD_READERS, access.VOLUNTEER)

for _name, _filter in FILTERS.items():
    bp.add_app_template_filter(_filter, _name)
for _name, _global in GLOBALS.items():
    bp.add_app_template_global(_global, _name)
PROBLEM_FIELDS = {"person": "q", "start_on": "start_on", "end_on": "end_on", "hours": "hours",
                  "field_code": "field_code"}


def field_options(codes=None):
    return options((f.code, localized(f)) for f in FIELDS if codes is None or f.code in codes)


# -- lists ------------------------------------------------------------------------------

def hours_filter(form_class=HoursFilter):
    form = form_class(request.args)
    if current_user.role == access.VOLUNTEER and "status" not in request.args:
        form.status.data = ""  # a volunteer sees claims and voided entries too
    form.field.choices = options([("", _("Any field"))]) + field_options()
    units = db.session.scalars(visible_units(current_user)).all() if current_user.role != access.VOLUNTEER else []
    form.unit.choices = options([("", _("All my units"))] + [(str(u.id), f"{u.code} {localized(u)}") for u in units])
    if not form.validate():
        for f in (form.q, form.start, form.end, form.field, form.status, form.unit):
            if f.errors:
                f.data = None if f in (form.start, form.end) else ""
    return form


def filtered(query, form):
    if form.q.data:
        query = query.where(or_(Person.name.contains(form.q.data, autoescape=True),
                                Person.id_number.startswith(normalise(form.q.data).rstrip("*"), autoescape=True)))
    if form.start.data:
        query = query.where(HourEntry.end_on >= form.start.data)
    if form.end.data:
        query = query.where(HourEntry.start_on <= form.end.data)
    if form.field.data:
        query = query.where(HourEntry.field_code == form.field.data)
    if form.status.data:
        query = query.where(HourEntry.status == form.status.data)
    if form.unit.data and form.unit.data.isdigit():
        query = query.where(HourEntry.unit_id == int(form.unit.data))
    return query


def entries_query(form, condition=None):
    query = (select(HourEntry).join(HourEntry.person).join(HourEntry.unit)
             .options(contains_eager(HourEntry.person), contains_eager(HourEntry.unit))
             .where(entry_scope(current_user)))
    if condition is not None:
        query = query.where(condition)
    return filtered(query, form).order_by(HourEntry.start_on.desc(), HourEntry.id.desc())


def filtered_totals(form, condition=None):
    query = (select(func.count(HourEntry.id), func.coalesce(func.sum(HourEntry.half_hours), 0))
             .join(HourEntry.person).where(entry_scope(current_user)))
    if condition is not None:
        query = query.where(condition)
    return db.session.execute(filtered(query, form)).one()


@bp.get("/")
@access.allow(*READERS)
def index():
    form = hours_filter()
    page = db.paginate(entries_query(form), page=form.page.data or 1, per_page=25, error_out=False)
    count, half = filtered_totals(form)
    if current_user.role == access.VOLUNTEER:
        totals = person_totals(current_user.person_id, None) if current_user.person_id else None
        return page_or_fragment("hours/mine.html", "results", form=form, page=page, totals=totals,
                                count=count, half=half, link_to_person_pages=False)
    pending = 0
    if current_user.role in access.UNIT_STAFF:
        pending = db.session.scalar(select(func.count(HourEntry.id)).where(
            writable_entry_scope(current_user), HourEntry.status == PENDING))
    return page_or_fragment("hours/index.html", "results", form=form, page=page, count=count, half=half,
                            pending=pending, staff=current_user.role in access.UNIT_STAFF, link_to_person_pages=True)


@bp.get("/export")
@access.allow(*access.UNIT_STAFF, *access.AUTHORITIES)
def export():
    expect_write()
    form = hours_filter(ExportForm)
    full_id = form.full_id.data == "1" and current_user.role in access.UNIT_STAFF
    entries = db.session.scalars(entries_query(form)).all()
    layout = form.layout.data if form.layout.data in ("mohw", "portal") else "portal"
    make_row = mohw_row if layout == "mohw" else portal_row
    header, rows = headers(layout), [make_row(e, full_id) for e in entries]
    stamp = today_taipei().isoformat()
    if form.format.data == "xlsx":
        body, mimetype, name = (xlsx_bytes([("Sheet1", header, rows)]),
                                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                f"hours-{layout}-{stamp}.xlsx")
    else:
        body, mimetype, name = csv_bytes(header, rows), "text/csv", f"hours-{layout}-{stamp}.csv"
    audit.record("hours.export", current_user._get_current_object(), rows=len(rows), layout=layout,
                 full_id=full_id, sha256=hashlib.sha256(body).hexdigest(),
                 filters={k: v for k, v in request.args.items() if k != "page"})
    db.session.commit()
    return download(body, mimetype, name)


def download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


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
    checker = EntryChecker([person.id], window_of([draft]), today_taipei(), unit_fields=unit_fields([unit]))
    duplicate = checker.duplicate_of(draft)
    return [duplicate] if duplicate else checker.check(draft)


def attach(form, problems):
    for problem in problems:
        field = getattr(form, PROBLEM_FIELDS.get(problem.field, "start_on"), None) or form.start_on
        field.errors = list(field.errors) + [problem.message]


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
    messages += [(str(getattr(form, PROBLEM_FIELDS.get(p.field, "start_on")).label.text), p.message)
                 for p in problems]
    return render_template("hours/_check.html", messages=messages, person=person, form=form,
                           ok=not messages and person is not None)


@bp.get("/search")
@access.allow(*access.UNIT_STAFF)
def search():
    people = search_roster(current_user.unit_id, request.args.get("q", ""))
    return render_template("hours/_people.html", candidates=people, person=None,
                           searched=bool(request.args.get("q", "").strip()))


# -- batch grid -------------------------------------------------------------------------------

@bp.route("/batch", methods=["GET", "POST"])
@access.allow(*access.UNIT_STAFF)
def batch():
    unit = current_user.unit
    status, saved, focus = 200, None, None
    if request.method == "GET":
        rows = [empty_row(unit) for _i in range(5)]
    else:
        rows = rows_from_form(request.form, unit)
        action = request.form.get("action", "check")
        if action == "add":
            if len(rows) < MAX_ROWS:
                rows.append(empty_row(unit, rows[-1]))
            focus = len(rows) - 1
        elif action.startswith("remove-") and action[7:].isdigit():
            index = int(action[7:])
            if 0 <= index < len(rows):
                del rows[index]
            rows = rows or [empty_row(unit)]
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


def roster_suggestions(unit_id: int) -> list[str]:
    people = db.session.execute(
        select(Person.name, Person.id_number).join(Membership, Membership.person_id == Person.id)
        .where(Membership.unit_id == unit_id, Membership.status != "left").distinct()
        .order_by(Person.name)).all()
    return [person_label(name, number) for name, number in people]


# -- claims -------------------------------------------------------------------------------------

def claim_units(person_id: int) -> list[Unit]:
    return db.session.scalars(select(Unit).where(Unit.id.in_(
        select(Membership.unit_id).where(Membership.person_id == person_id, Membership.status != "left")))
        .order_by(Unit.code)).all()


@bp.route("/claim", methods=["GET", "POST"])
@access.allow(access.VOLUNTEER)
def claim():
    if not current_user.person_id:
        abort(404)
    units = claim_units(current_user.person_id)
    form = ClaimForm()
    form.unit_id.choices = options((str(u.id), localized(u)) for u in units)
    form.field_code.choices = field_options({c for u in units for c in u.field_codes})
    if request.method == "GET" and units:
        form.field_code.data = units[0].field_code
    if form.validate_on_submit():
        unit = next(u for u in units if str(u.id) == form.unit_id.data)
        draft = Draft(current_user.person_id, unit.id, form.start_on.data, form.end_date, form.half_hours,
                      form.field_code.data)
        lock_people([draft.person_id])
        checker = EntryChecker([draft.person_id], window_of([draft]), today_taipei(), statuses=(ACTIVE, PENDING),
                               unit_fields=unit_fields([unit]))
        duplicate = checker.duplicate_of(draft)
        problems = [duplicate] if duplicate else checker.check(draft)
        attach(form, problems)
        if not problems:
            record_entry(draft, current_user, source="claim", status=PENDING, content=form.content.data or "",
                         persons_served=getattr(form, "persons", 0))
            db.session.commit()
            flash(_("Your claim was sent to %(unit)s. You will see the decision here.", unit=localized(unit)),
                  "success")
            return redirect(url_for(".index", status=""))
    return render_template("hours/claim.html", form=form, units=units), 422 if form.errors else 200


def pending_claims():
    return db.session.scalars(
        select(HourEntry).join(HourEntry.person).options(contains_eager(HourEntry.person))
        .where(writable_entry_scope(current_user), HourEntry.status == PENDING)
        .order_by(HourEntry.entered_at, HourEntry.id)).all()


@bp.route("/claims", methods=["GET", "POST"])
@access.allow(*access.UNIT_STAFF)
def claims():
    claims_list = pending_claims()
    refused, notice, status = {}, None, 200
    if request.method == "POST":
        action = request.form.get("action", "")
        verb, _sep, one = action.partition(":")
        ids = {int(one)} if one.isdigit() else {int(i) for i in request.form.getlist("entry_id") if i.isdigit()}
        chosen = [c for c in claims_list if c.id in ids]
        reason = (request.form.get(f"reason-{one}") or request.form.get("reason") or "").strip()[:300]
        if verb not in ("approve", "decline") or not chosen:
            notice, status = ("error", _("Select at least one claim.")), 422
        elif verb == "decline" and not reason:
            notice, status = ("error", _("Please give a reason when declining a claim.")), 422
        else:
            refused = decide(chosen, verb == "approve", reason)
            db.session.commit()
            done = len(chosen) - len(refused)
            notice = ("success" if done else "error",
                      ngettext("%(num)d claim decided.", "%(num)d claims decided.", done))
            if not refused and not is_fragment_request():
                flash(notice[1], notice[0])
                return redirect(url_for(".claims"))
            status = 422 if refused else 200
            claims_list = pending_claims()
    return page_or_fragment("hours/claims.html", "claims", claims=claims_list, refused=refused,
                            notice=notice), status


def decide(chosen: list[HourEntry], approve: bool, reason: str) -> dict[int, list[str]]:
    """Decide the chosen claims; approvals go through every entry rule first. Returns the refused ones."""
    refused = {}
    if approve:
        lock_people(c.person_id for c in chosen)
        drafts = [draft_of(c) for c in chosen]
        units = db.session.scalars(select(Unit).where(Unit.id.in_({c.unit_id for c in chosen}))).all()
        checker = EntryChecker({d.person_id for d in drafts}, window_of(drafts), today_taipei(),
                               unit_fields=unit_fields(units))
        for claim_entry, draft in zip(chosen, drafts):
            duplicate = checker.duplicate_of(draft)
            problems = [duplicate] if duplicate else checker.check(draft)
            if problems:
                refused[claim_entry.id] = [p.message for p in problems]
                continue
            checker.accept(draft, entry_id=claim_entry.id)
    for claim_entry in chosen:
        if claim_entry.id not in refused:
            decide_claim(claim_entry, approve, reason, current_user)
    return refused


# -- one entry: history, correction, void ----------------------------------------------------

@bp.get("/<int:entry_id>")
@access.allow(*READERS)
def show(entry_id):
    entry = get_entry_or_404(entry_id, current_user)
    may_change = entry.status == ACTIVE and current_user.role in access.UNIT_STAFF and \
        entry.unit_id == current_user.unit_id
    void_form = VoidForm(formdata=None, version=entry.version)
    return render_template("hours/show.html", entry=entry, may_change=may_change, void_form=void_form)


@bp.route("/<int:entry_id>/correct", methods=["GET", "POST"])
@access.allow(*access.UNIT_STAFF)
def correct(entry_id):
    entry = get_entry_or_404(entry_id, current_user, for_write=True)
    if entry.status != ACTIVE:
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
        if form.version.data != str(entry.version):
            abort(409)
        lock_people([entry.person_id])
        draft = draft_of(entry, start_on=form.start_on.data, end_on=form.end_date, half_hours=form.half_hours,
                         field_code=form.field_code.data)
        checker = EntryChecker([entry.person_id], window_of([draft]), today_taipei(), ignore_entry_ids=[entry.id],
                               unit_fields=unit_fields([entry.unit]))
        duplicate = checker.duplicate_of(draft)
        problems = [duplicate] if duplicate else checker.check(draft)
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
    entry = get_entry_or_404(entry_id, current_user, for_write=True)
    form = VoidForm()
    if entry.status != ACTIVE:
        flash(_("Only counted entries can be voided."), "error")
    elif form.validate_on_submit():
        if form.version.data != str(entry.version):
            abort(409)
        void_entry(entry, form.reason.data, current_user)
        db.session.commit()
        flash(_("The entry was voided. It no longer counts, and stays in the history."), "success")
    else:
        flash(_("Please give a reason for voiding the entry."), "error")
    return redirect(url_for(".show", entry_id=entry.id))


# -- totals -------------------------------------------------------------------------------------

@bp.get("/people/<int:person_id>")
@access.allow(*READERS)
def person(person_id):
    person = get_person_or_404(person_id, current_user)
    if current_user.role in (access.VOLUNTEER, access.MINISTRY):
        row_units = None
    else:
        row_units = set(db.session.scalars(visible_unit_ids(current_user)))
    totals = person_totals(person.id, row_units)
    form = hours_filter()
    page = db.paginate(entries_query(form, HourEntry.person_id == person.id), page=form.page.data or 1,
                       per_page=25, error_out=False)
    return page_or_fragment("hours/person.html", "results", person=person, totals=totals, form=form, page=page,
                            link_to_person_pages=current_user.role != access.VOLUNTEER)


@bp.get("/units/<int:unit_id>")
@access.allow(*access.RECORD_READERS)
def unit(unit_id):
    unit = get_unit_or_404(unit_id, current_user)
    months = unit_monthly_totals(unit.id)
    return render_template("hours/unit.html", unit=unit, months=months,
                           total=sum(m.half_hours for m in months))
