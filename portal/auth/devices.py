"""Which device a sign-in comes from (docs/rules/accounts.md#pk2), so the account can be told about a new one.

A device is a browser holding a long-lived random cookie (`portal_device`, 256 bits, HttpOnly, 400 days:
the most browsers keep). The account keeps only SHA-256 hashes of the cookies it signed in with
(`User.known_devices`), so the database holds nothing a browser could present. Clearing cookies or a
private window makes a new device; that is the honest answer, the notification says which browser it was.
"""
import hashlib
import secrets

from flask import current_app, request

from .models import User
from .rules import is_new_device, remember_device

COOKIE = "portal_device"
COOKIE_DAYS = 400


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def current_token() -> str | None:
    token = request.cookies.get(COOKIE, "")
    # Only what this portal hands out: 43 URL-safe characters (anything else is a new device).
    return token if len(token) == 43 and token.replace("-", "").replace("_", "").isalnum() else None


def recognise(user: User, token: str | None) -> tuple[bool, str]:
    """(a new device for this account?, the cookie value to keep) — and remembers the device."""
    token = token or secrets.token_urlsafe(32)
    device = _hash(token)
    known = [d for d in (user.known_devices or "").split("\n") if d]
    new = is_new_device(known, device)
    user.known_devices = "\n".join(remember_device(known, device))
    return new, token


def keep_cookie(response, token: str):
    response.set_cookie(COOKIE, token, max_age=COOKIE_DAYS * 24 * 3600, httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def user_agent() -> str:
    return (request.user_agent.string or "")[:200]
