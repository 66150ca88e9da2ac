"""The volunteer's own data (docs/rules/my-data.md): the page that offers the download of everything held
about them and of their hours as CSV, the download itself (audited, the audit row committed before the first
byte leaves), and the page of who saw or exported their data. Only the signed-in volunteer's person."""
from flask import render_template, request
from flask_login import current_user

from portal.platform import access, audit
from portal.platform.database import expect_write
from portal.platform.extensions import db
from portal.platform.htmx import page_or_fragment
from portal.platform.pagination import CURSOR_ARG
from portal.platform.timeutil import today_taipei

from . import bp
from .my_data import build
from .viewers import seen_page
from .views import own_person


@bp.get("/me/data")
@access.allow(access.VOLUNTEER)
def my_data():
    return render_template("volunteers/my_data.html", person=own_person())


@bp.get("/me/data.zip")
@access.allow(access.VOLUNTEER)
def my_data_zip():
    expect_write()
    person = own_person()
    export = build(person.id)
    audit.record("my_data.export", person, rows=export.spool.rows, sha256=export.spool.sha256, tables=export.counts)
    db.session.commit()
    return export.spool.response(f"my-data-{today_taipei().isoformat()}.zip", "application/zip")


@bp.get("/me/seen")
@access.allow(access.VOLUNTEER)
def my_viewers():
    person = own_person()
    page = seen_page(person.id, current_user.id, request.args.get(CURSOR_ARG))
    return page_or_fragment("volunteers/my_viewers.html", "results", person=person, page=page)
