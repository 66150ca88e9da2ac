"""Which API clients an account sees and manages (docs/rules/api.md#api1): the ministry all of them, a county
those acting for accounts in its county. Clients are few (one per partner system), so the county's filter
runs over them in Python with the same rule that allows the registration."""
from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.auth.models import User
from portal.platform import access
from portal.platform.extensions import db

from .models import ApiClient
from .rules import owner_county


def visible_clients(user) -> list[ApiClient]:
    clients = db.session.scalars(select(ApiClient).options(
        selectinload(ApiClient.owner).selectinload(User.unit), selectinload(ApiClient.owner).selectinload(User.authority))
        .order_by(ApiClient.created_at.desc(), ApiClient.id.desc())).all()
    if user.role == access.MINISTRY:
        return list(clients)
    if user.role == access.COUNTY and user.authority is not None:
        county = user.authority.county_code
        return [c for c in clients if c.owner.role not in (access.MINISTRY, access.SECTOR_CENTRAL)
                and owner_county(c.owner) == county]
    return []


def get_client_or_404(client_pk: int, user) -> ApiClient:
    for client in visible_clients(user):
        if client.id == client_pk:
            return client
    abort(404)
