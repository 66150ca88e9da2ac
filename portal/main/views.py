"""Home page per role and the language switch."""
from flask import redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import func, select

from portal.auth.rules import safe_next
from portal.platform import access
from portal.platform.extensions import db
from portal.platform.htmx import is_fragment_request, page_or_fragment
from portal.platform.i18n import LANGUAGES
from portal.platform.params import arg, to_page
from portal.platform.timeutil import today_taipei
from portal.records.serving import serving
from portal.registry.models import Unit
from portal.registry.scopes import unit_scope, visible_memberships
from portal.volunteers import my_record

from . import bp
from .navigation import menu_items
from .worklist import work_list


@bp.app_context_processor
def inject_menu():
    return {"menu_items": menu_items}


@bp.get("/")
@access.allow(*access.EVERYONE)
def home():
    if not current_user.is_authenticated:
        return render_template("main/welcome.html")
    if current_user.role == access.VOLUNTEER:
        person = current_user.person
        if person is None:
            return render_template("main/volunteer_home.html", person=None)
        # Every entry with its history is read only when asked for (?page=N): the summary comes first.
        page = arg("page", to_page) if request.args.get("page") else None
        entries = my_record.entries_page(person.id, page) if page else None
        if entries is not None and is_fragment_request():  # htmx opening or paging the entries: that block
            return page_or_fragment("main/volunteer_home.html", "entries", entries=entries)
        memberships = visible_memberships(current_user, person)
        return render_template("main/volunteer_home.html", person=person, memberships=memberships, entries=entries,
                               **my_record.context(person, memberships))
    if current_user.role == access.ADMIN:
        return render_template("main/admin_home.html")
    # Units: at most ~20,000 rows of one narrow table. Volunteers: kept per scope by every write
    # (records.serving), not a distinct count over a million memberships at each sign-in.
    units = db.session.scalar(select(func.count()).select_from(Unit).where(unit_scope(current_user)))
    # What waits for this user: one statement for every workflow of the role (main.worklist).
    today = today_taipei()
    return render_template("main/staff_home.html", unit_count=units, volunteer_count=serving(current_user),
                           can_register=access.may_call("volunteers.new"), work=work_list(current_user, today),
                           today=today)


@bp.post("/language")
@access.allow(*access.EVERYONE)
def set_language():
    lang = request.form.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    target = request.form.get("next") or ""
    return redirect(safe_next(target) or url_for("main.home"))
