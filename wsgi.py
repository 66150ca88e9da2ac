"""WSGI entry point: `flask --app wsgi ...` and `gunicorn wsgi:app`.

A setting the portal cannot start without (e.g. SECRET_KEY outside SQLite) ends the process with
its message instead of a traceback, so gunicorn's log and the terminal show what to set."""
from portal import create_app
from portal.platform.config import ConfigurationError

try:
    app = create_app()
except ConfigurationError as exc:
    raise SystemExit(f"portal: {exc}") from None
