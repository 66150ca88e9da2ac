"""Venues that honour the card (風景區/場館優惠): a public search; the ministry and counties keep the list."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from portal.platform import access, audit
from portal.platform.extensions import db
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import localized
from . import bp
from .forms import VenueFilter, VenueForm, county_choices
from .models import BOTH, ELECTRONIC, PAPER, Venue
from .scopes import get_venue_or_404, venue_write_scope

KEEPERS = (access.COUNTY, access.MINISTRY)
VENUE_FIELDS = ("name", "name_en", "county_code", "address", "discount", "discount_note", "conditions",
                "card_forms", "website", "active")


def venue_filter() -> VenueFilter:
    form = VenueFilter(request.args)
    form.county.choices = county_choices(localized, _("All counties and cities"))
    if not form.validate():
        for f in (form.q, form.county, form.card_form, form.page):
            if f.errors:
                f.data = f.default
    return form


def venue_query(form: VenueFilter):
    query = select(Venue).where(Venue.active.is_(True)).order_by(Venue.county_code, Venue.name, Venue.id)
    if form.q.data:
        text = form.q.data
        query = query.where(or_(Venue.name.contains(text, autoescape=True),
                                Venue.name_en.contains(text, autoescape=True),
                                Venue.address.contains(text, autoescape=True),
                                Venue.conditions.contains(text, autoescape=True)))
    if form.county.data:
        query = query.where(Venue.county_code == form.county.data)
    if form.card_form.data == PAPER:
        query = query.where(Venue.card_forms.in_((PAPER, BOTH)))
    elif form.card_form.data == ELECTRONIC:
        query = query.where(Venue.card_forms.in_((ELECTRONIC, BOTH)))
    return query


@bp.get("/venues")
@access.allow(*access.EVERYONE)
def venues():
    form = venue_filter()
    page = db.paginate(venue_query(form), page=form.page.data or 1, per_page=30, error_out=False)
    kept = []
    if current_user.is_authenticated and current_user.role in KEEPERS:
        kept = db.session.scalars(select(Venue).where(venue_write_scope(current_user))
                                  .order_by(Venue.active.desc(), Venue.name).limit(200)).all()
    return page_or_fragment("honor_cards/venues.html", "results", form=form, page=page, kept=kept,
                            may_add=access.may_call("honor_cards.new_venue"))


def venue_form(venue: Venue | None) -> VenueForm:
    form = VenueForm(obj=venue)
    if current_user.role == access.MINISTRY:
        form.county_code.choices = county_choices(localized)
    else:
        county = current_user.authority.county_code
        form.county_code.choices = [c for c in county_choices(localized) if c.value == county]
    return form


def save_venue(venue: Venue, form: VenueForm, action: str):
    changes = {}
    for key in VENUE_FIELDS:
        new = getattr(form, key).data
        if isinstance(new, str):
            new = new or ""
        if getattr(venue, key) != new:
            changes[key] = [str(getattr(venue, key)), str(new)]
            setattr(venue, key, new)
    venue.authority_id, venue.updated_by_id = current_user.authority_id, current_user.id
    db.session.add(venue)
    db.session.flush()
    audit.record(action, venue, **changes)


@bp.route("/venues/new", methods=["GET", "POST"])
@access.allow(*KEEPERS)
def new_venue():
    form = venue_form(None)
    if request.method == "GET" and current_user.role == access.COUNTY:
        form.county_code.data = current_user.authority.county_code
    if form.validate_on_submit():
        venue = Venue()
        save_venue(venue, form, "honor_card.venue_add")
        db.session.commit()
        flash(_("Venue %(name)s added.", name=venue.name), "success")
        return redirect(url_for(".venues"))
    return render_template("honor_cards/venue_form.html", form=form, venue=None), 422 if form.errors else 200


@bp.route("/venues/<int:venue_id>/edit", methods=["GET", "POST"])
@access.allow(*KEEPERS)
def edit_venue(venue_id):
    venue = get_venue_or_404(venue_id, current_user)
    form = venue_form(venue)
    if form.validate_on_submit():
        if str(venue.version) != (form.version.data or ""):
            abort(409)
        save_venue(venue, form, "honor_card.venue_edit")
        db.session.commit()
        flash(_("Changes saved."), "success")
        return redirect(url_for(".venues"))
    return render_template("honor_cards/venue_form.html", form=form, venue=venue), 422 if form.errors else 200

