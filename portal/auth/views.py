"""Sign-in, sign-out, password change, keeping a session alive."""
import time
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from .. import access
from ..extensions import db, limiter, login_manager
from ..htmx import is_fragment_request
from . import bp
from .forms import ChangePasswordForm, LoginForm
from .models import User
from .operations import authenticate, end_sessions, set_password
from .passwords import policy_problems, verify_password
from .sessions import enforce_session_limits, require_password_change, warning_after_seconds

bp.before_app_request(enforce_session_limits)
bp.before_app_request(require_password_change)
bp.app_context_processor(lambda: {"session_warning_after": warning_after_seconds})
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to continue.")
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(session_id: str):
    user_id, _sep, token = session_id.partition(":")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active or user.session_token != token:
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    login_url = url_for("auth.login", next=request.full_path.rstrip("?"))
    if is_fragment_request() or getattr(request, "htmx", None):
        # A redirect would swap the login page into a table cell; send the whole tab there.
        return "", 401, {"HX-Redirect": login_url}
    flash(login_manager.login_message, "info")
    return redirect(login_url)


def safe_next(target: str | None) -> str | None:
    """Only same-site paths: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@bp.route("/login", methods=["GET", "POST"])
@access.allow(*access.EVERYONE)
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            lang = session.get("lang")
            session.clear()
            if lang and not user.locale:
                user.locale = lang
            login_user(user)
            session.permanent = True
            session["started_at"] = session["last_seen"] = int(time.time())
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
        form.password.errors.append(_("The username or password is incorrect, or the account is "
                                      "locked for 15 minutes after 5 failed attempts."))
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
@access.allow(*access.SIGNED_IN)
def logout():
    end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    response = redirect(url_for("auth.login"))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/password", methods=["GET", "POST"])
@access.allow(*access.SIGNED_IN)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data):
            form.current.errors.append(_("The current password is not correct."))
        else:
            form.new.errors.extend(policy_problems(form.new.data, current_user.role, current_user.username))
        if not form.errors:
            user = current_user._get_current_object()
            set_password(user, form.new.data)
            user.must_change_password = False
            db.session.commit()
            login_user(user)  # this session carries the new token; all others end
            flash(_("Your password has been changed. Other sessions have been signed out."), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form), 422 if form.errors else 200


@bp.post("/session/extend")
@access.allow(*access.SIGNED_IN)
def extend_session():
    """The "stay signed in" button: any request resets the idle clock; nothing else to do."""
    return "", 204
