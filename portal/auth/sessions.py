"""Idle and absolute session limits (docs/rules/accounts.md#ac6), with a warning the user can answer.

Authority accounts sign out after 15 idle minutes, everyone else after 30; no session lives
longer than 8 hours. The page warns two minutes before the idle limit (WCAG 2.2.1) and one
click keeps the session.
"""
import time

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from portal.platform import access
from portal.platform.htmx import is_htmx_request

from .mfa import requires_mfa

WARNING_SECONDS = 120
# Reachable while a new or reset password still has to be changed.
PASSWORD_CHANGE_ENDPOINTS = {"auth.change_password", "auth.logout", "auth.extend_session", "main.set_language",
                             "static"}


def idle_limit_seconds(role: str) -> int:
    minutes = current_app.config["IDLE_MINUTES_AUTHORITY"] if role in access.AUTHORITIES + (access.ADMIN,) \
        else current_app.config["IDLE_MINUTES"]
    return minutes * 60


def warning_after_seconds() -> int | None:
    if not current_user.is_authenticated:
        return None
    return max(idle_limit_seconds(current_user.role) - WARNING_SECONDS, 30)


def enforce_session_limits():
    """before_request: end sessions that were idle too long or are older than the absolute limit."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = int(time.time())
    started = session.setdefault("started_at", now)
    last_seen = session.get("last_seen", now)
    too_idle = now - last_seen > idle_limit_seconds(current_user.role)
    too_old = now - started > current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    if too_idle or too_old:
        # Only this session ends: its times are in its own signed cookie, so a copy of it stays idle (or
        # old) for good, while the user's other sessions go on. Ending them all here would let anyone
        # holding an old cookie sign the user out everywhere at will (docs/rules/accounts.md#ac6).
        logout_user()
        session.clear()
        flash(_("You were signed out after a period of inactivity.") if too_idle
              else _("You were signed out because the session reached its 8-hour limit."), "info")
        if is_htmx_request():
            return "", 401, {"HX-Redirect": url_for("auth.login")}
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    session["last_seen"] = now
    return None


def require_password_change():
    """before_request: an account with an initial or reset password must change it first."""
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS):
        flash(_("Please choose your own password before you continue."), "info")
        if is_htmx_request():
            return "", 401, {"HX-Redirect": url_for("auth.change_password")}
        return redirect(url_for("auth.change_password"))
    return None


def require_mfa():
    """before_request: an account that needs two-step sign-in has no session without it (defence in depth:
    only the code step sets the mark, so a session made any other way is ended)."""
    if request.endpoint == "static" or not current_user.is_authenticated or session.get("mfa"):
        return None
    if not requires_mfa(current_user):
        return None
    logout_user()
    session.clear()
    if is_htmx_request():
        return "", 401, {"HX-Redirect": url_for("auth.login")}
    return redirect(url_for("auth.login"))
