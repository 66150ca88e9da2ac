"""Which accounts the administrator acts on: any account (the routes allow the admin role only)."""
from flask import abort

from portal.auth.models import User
from portal.platform.extensions import db


def get_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user
