"""Rate limits of the self-service forms (docs/rules/accounts.md#act1, #rec1), with Flask-Limiter's storage
(Redis in production, so every web host counts together).

Per typed ID number or username and per client address. The key is made from what was typed, never from
what the database holds, so the limit answers the same for an unknown ID as for a known one.
"""
from flask import current_app, request
from flask_limiter.util import get_remote_address

from portal.platform.extensions import limiter

from .operations import limit_key

PER_ID = "5 per hour"
# A unit's activation day puts a roomful of volunteers behind one address: more than one person's worth.
PER_ADDRESS = "20 per hour"


def _setting(name: str, default: str):
    return lambda: current_app.config.get(name, default)


def _typed(field: str, kind: str):
    return lambda: limit_key(kind, request.form.get(field, ""))


def per_id(field: str, kind: str):
    return limiter.limit(_setting("ACCOUNTS_PER_ID_LIMIT", PER_ID), key_func=_typed(field, kind), methods=["POST"])


def per_address():
    return limiter.limit(_setting("ACCOUNTS_PER_ADDRESS_LIMIT", PER_ADDRESS), key_func=get_remote_address,
                         methods=["POST"])


def code_entry():
    """Typing codes: the sign-in forms' budget per address; each code also takes only 5 wrong tries."""
    return limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
