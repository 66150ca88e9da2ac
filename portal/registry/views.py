"""Units within the viewer's scope, with their volunteer counts."""
from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select

from portal.platform import access
from portal.platform.extensions import db
from portal.registry.models import Membership

from . import bp
from .models import Unit
from .scopes import get_unit_or_404, unit_scope


@bp.get("/")
@access.allow(*access.RECORD_READERS)
def index():
    active = (select(Membership.unit_id, func.count().label("n"))
              .where(Membership.is_current).group_by(Membership.unit_id).subquery())
    rows = db.session.execute(
        select(Unit, func.coalesce(active.c.n, 0))
        .outerjoin(active, active.c.unit_id == Unit.id)
        .where(unit_scope(current_user)).order_by(Unit.county_code, Unit.code)).all()
    return render_template("units/index.html", rows=rows)


@bp.get("/<int:unit_id>")
@access.allow(*access.RECORD_READERS)
def show(unit_id):
    unit = get_unit_or_404(unit_id, current_user)
    return render_template("units/show.html", unit=unit)
