"""Volunteer claims: the volunteer claims hours from a unit, the unit's staff approve (through every
entry rule) or decline with a reason."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from portal.platform import access
from portal.platform.extensions import db
from portal.platform.forms import options
from portal.platform.htmx import is_fragment_request, page_or_fragment
from portal.platform.i18n import localized
from portal.platform.params import id_or_none, ids_in
from portal.platform.timeutil import today_taipei
from portal.registry.operations import lock_people

from . import bp
from .facts import entry_checker
from .forms import ClaimForm, attach, field_options
from .models import EntrySource, EntryStatus, HourEntry
from .operations import decide_claims, record_entry
from .rules import Draft, unit_fields, window_of
from .scopes import claim_units, writable_entry_scope


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
        # A claim may not repeat or overlap another pending claim either.
        problems = entry_checker([draft.person_id], window_of([draft]), today_taipei(),
                                 statuses=(EntryStatus.ACTIVE, EntryStatus.PENDING),
                                 unit_fields=unit_fields([unit])).refusals(draft)
        attach(form, problems)
        if not problems:
            record_entry(draft, current_user, source=EntrySource.CLAIM, status=EntryStatus.PENDING,
                         content=form.content.data or "", persons_served=getattr(form, "persons", 0))
            db.session.commit()
            flash(_("Your claim was sent to %(unit)s. You will see the decision here.", unit=localized(unit)),
                  "success")
            return redirect(url_for(".index", status=""))
    return render_template("hours/claim.html", form=form, units=units), 422 if form.errors else 200


def pending_claims():
    return db.session.scalars(
        select(HourEntry).join(HourEntry.person).options(contains_eager(HourEntry.person))
        .where(writable_entry_scope(current_user), HourEntry.status == EntryStatus.PENDING)
        .order_by(HourEntry.entered_at, HourEntry.id)).all()


@bp.route("/claims", methods=["GET", "POST"])
@access.allow(*access.UNIT_STAFF)
def claims():
    claims_list = pending_claims()
    refused, notice, status = {}, None, 200
    if request.method == "POST":
        action = request.form.get("action", "")
        verb, _sep, one = action.partition(":")
        ids = {id_or_none(one)} if id_or_none(one) else set(ids_in(request.form.getlist("entry_id")))
        chosen = [c for c in claims_list if c.id in ids]
        reason = (request.form.get(f"reason-{one}") or request.form.get("reason") or "").strip()[:300]
        if verb not in ("approve", "decline") or not chosen:
            notice, status = ("error", _("Select at least one claim.")), 422
        elif verb == "decline" and not reason:
            notice, status = ("error", _("Please give a reason when declining a claim.")), 422
        else:
            refused = decide_claims(chosen, verb == "approve", reason, current_user, today_taipei())
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
