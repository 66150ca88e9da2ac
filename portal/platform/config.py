"""Configuration read from the environment, with safe defaults for the embedded setup."""
import os
import secrets
from datetime import timedelta
from pathlib import Path


def database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'portal.db'}"
    # Hosting platforms hand out plain postgres:// URLs; we always talk psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    return url


def secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else one generated once and kept under instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


def from_environment(instance_path: str) -> dict:
    redis_url = os.environ.get("REDIS_URL")
    return {
        "SECRET_KEY": secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR") or str(Path(instance_path) / "uploads"),
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        # Printed in QR codes of issued documents; the request's host when unset.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", ""),
        # "thread" (in-process) or "rq" (Redis); rq by default when REDIS_URL is set.
        "JOBS_BACKEND": os.environ.get("JOBS_BACKEND", ""),
        "JOBS_QUEUE": os.environ.get("JOBS_QUEUE", "portal"),
        # Host names the portal answers to; any other Host header gets 400 (poisoned links, caches).
        "TRUSTED_HOSTS": [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()] or None,
        # Reverse proxies in front of the app (e.g. 1 for nginx). Only that many X-Forwarded-For hops
        # are believed, so a client cannot pick the address that rate limits and the audit log see.
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0") or 0),
    }


DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
    "REMEMBER_COOKIE_DURATION": timedelta(days=0),
    # Bound to the session instead of one hour: hx-boost never refreshes <body hx-headers>.
    "WTF_CSRF_TIME_LIMIT": None,
    "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
    "MAX_FORM_PARTS": 1000,
    "BABEL_DEFAULT_LOCALE": "zh_TW",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Taipei",
    "RATELIMIT_HEADERS_ENABLED": False,
    "LOGIN_LOCK_FAILURES": 5,
    "MFA_REQUIRED": True,  # two-step sign-in for authority and admin accounts (docs/rules/accounts.md#ac5)
    "LOGIN_LOCK_MINUTES": 15,
    "LOGIN_RATE_LIMIT": "30 per 10 minutes",
    "PAGE_SIZE": 25,
    "IDLE_MINUTES": 30,
    "IDLE_MINUTES_AUTHORITY": 15,
    "SESSION_ABSOLUTE_HOURS": 8,
}
