"""Venues that honour the card (風景區/場館優惠): a public search; the ministry and counties keep the list."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from portal.platform import access
from portal.platform.extensions import db
from portal.platform.forms import check_version
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import localized
from portal.platform.pagination import paginate

from . import bp
from .forms import VenueFilter, VenueForm, county_choices
from .models import CardForm, Venue
from .operations import VENUE_FIELDS, save_venue
from .scopes import VENUE_KEEPERS, get_venue_or_404, keeps_venues, venue_county, venue_write_scope


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
    if form.card_form.data == CardForm.PAPER:
        query = query.where(Venue.card_forms.in_((CardForm.PAPER, CardForm.BOTH)))
    elif form.card_form.data == CardForm.ELECTRONIC:
        query = query.where(Venue.card_forms.in_((CardForm.ELECTRONIC, CardForm.BOTH)))
    return query


@bp.get("/venues")
@access.allow(*access.EVERYONE)
def venues():
    form = venue_filter()
    page = paginate(venue_query(form), form.page.data or 1, 30)
    kept = []
    if keeps_venues(current_user):
        kept = db.session.scalars(select(Venue).where(venue_write_scope(current_user))
                                  .order_by(Venue.active.desc(), Venue.name).limit(200)).all()
    return page_or_fragment("honor_cards/venues.html", "results", form=form, page=page, kept=kept,
                            may_add=access.may_call("honor_cards.new_venue"))


def venue_form(venue: Venue | None) -> VenueForm:
    form = VenueForm(obj=venue)
    county = venue_county(current_user)
    form.county_code.choices = [c for c in county_choices(localized) if county is None or c.value == county]
    return form


def form_values(form: VenueForm) -> dict:
    return {key: getattr(form, key).data for key in VENUE_FIELDS}


@bp.route("/venues/new", methods=["GET", "POST"])
@access.allow(*VENUE_KEEPERS)
def new_venue():
    form = venue_form(None)
    if request.method == "GET" and venue_county(current_user):
        form.county_code.data = venue_county(current_user)
    if form.validate_on_submit():
        venue = Venue()
        save_venue(venue, form_values(form), current_user, "honor_card.venue_add")
        db.session.commit()
        flash(_("Venue %(name)s added.", name=venue.name), "success")
        return redirect(url_for(".venues"))
    return render_template("honor_cards/venue_form.html", form=form, venue=None), 422 if form.errors else 200


@bp.route("/venues/<int:venue_id>/edit", methods=["GET", "POST"])
@access.allow(*VENUE_KEEPERS)
def edit_venue(venue_id):
    venue = get_venue_or_404(venue_id, current_user)
    form = venue_form(venue)
    if form.validate_on_submit():
        check_version(venue, form)
        save_venue(venue, form_values(form), current_user, "honor_card.venue_edit")
        db.session.commit()
        flash(_("Changes saved."), "success")
        return redirect(url_for(".venues"))
    return render_template("honor_cards/venue_form.html", form=form, venue=venue), 422 if form.errors else 200

