"""Error pages that work for full-page and htmx requests alike."""
from flask import Flask, current_app, g, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, SecurityError

from .extensions import db
from .forms import STALE_KEY, StaleEdit
from .htmx import is_fragment_request, is_htmx_request
from .params import BadParameter

MESSAGES = {
    400: lambda: _("The request could not be understood."),
    403: lambda: _("You do not have permission to do this."),
    404: lambda: _("The page or record you asked for does not exist."),
    405: lambda: _("This action is not available here."),
    409: lambda: _("Someone else changed this record while you were editing it."),
    413: lambda: _("The upload is too large."),
    422: lambda: _("Please correct the marked fields."),
    429: lambda: _("Too many attempts. Please wait a few minutes and try again."),
    500: lambda: _("Something went wrong on our side. Please try again later."),
}


# app.extensions key: {path prefix: handler(error) -> response}. A machine interface (the API, portal/api) answers
# its own errors under its prefix, also those raised before any of its views is found (unknown path, wrong method).
PREFIX_HANDLERS = "error_prefix_handlers"


def by_prefix(error):
    """The response of the handler registered for the request's path prefix, or None."""
    for prefix, handler in current_app.extensions.get(PREFIX_HANDLERS, {}).items():
        if request.path.startswith(prefix):
            return handler(error)
    return None


def render_error(code: int, message=None):
    """The error page (or htmx alert) of `code`; `message`: a specific one, e.g. which value was refused."""
    message = message or MESSAGES.get(code, MESSAGES[500])()
    if is_fragment_request():
        return render_template("errors/_alert.html", code=code, message=message), code
    return render_template("errors/error.html", code=code, message=message), code


def init_app(app: Flask):
    for code in (400, 403, 404, 405, 409, 413, 429):
        app.register_error_handler(code, lambda e, code=code: by_prefix(e) or render_error(code))

    @app.errorhandler(BadParameter)
    def bad_parameter(error):
        return render_error(400, error.message)

    @app.errorhandler(StaleEdit)
    def stale_edit(error):
        """409 with the same form again, the user's input kept and the stored values shown (forms.StaleEdit).
        Only once per request; a view that cannot show its form again answers the plain 409 page."""
        db.session.rollback()
        if g.get(STALE_KEY) is not None or request.endpoint not in current_app.view_functions:
            return render_error(409)
        setattr(g, STALE_KEY, error)
        try:
            response = make_response(current_app.view_functions[request.endpoint](**(request.view_args or {})))
        except HTTPException:
            db.session.rollback()
            return render_error(409)
        if response.status_code not in (200, 422):   # a redirect or another error: no form to show
            return render_error(409)
        response.status_code = 409
        return response

    @app.errorhandler(SecurityError)
    def untrusted_host(error):
        # Nothing that builds a URL may run: the Host header itself is what is refused.
        return "400 Bad Request: unknown host", 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(500)
    def internal_error(error):
        db.session.rollback()
        return by_prefix(error) or render_error(500)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if is_htmx_request():
            # The page's token is stale (new session): reload it rather than fail silently.
            return "", 400, {"HX-Refresh": "true"}
        return render_error(400)

    @app.errorhandler(StaleDataError)
    def stale(error):
        db.session.rollback()
        return render_error(409)
