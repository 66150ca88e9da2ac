"""Configuration read from the environment, with safe defaults for the embedded setup.

One machine on SQLite needs no settings at all; docs/deployment.md lists every variable for the
larger set-ups (PostgreSQL, Redis, several web hosts, workers, a read replica).
"""
import os
import secrets
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

# Printed as is (no translation machinery runs before the app exists), so it carries both languages.
SECRET_KEY_MISSING = (
    "SECRET_KEY must be set in the environment when the database is not SQLite: every web host and "
    "worker has to sign sessions with the same key, so none is generated. "
    "資料庫不是 SQLite 時，必須以環境變數 SECRET_KEY 提供金鑰：所有網站主機與背景工作程序須以同一把"
    "金鑰簽署登入狀態，因此系統不會自行產生金鑰。"
)


class ConfigurationError(RuntimeError):
    """A setting the portal refuses to start without."""


def normalised_url(url: str) -> str:
    # Hosting platforms hand out plain postgres:// URLs; we always talk psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def database_url(instance_path: str) -> str:
    return normalised_url(os.environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'portal.db'}")


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def secret_key(instance_path: str, database_uri: str | None = None) -> str | None:
    """SECRET_KEY from the environment; else, on SQLite only, one generated once and kept under instance/.

    Outside SQLite the portal may run on several hosts, and a key generated on each would sign
    sessions the others reject, so there it answers None and check_secret_key() refuses to start.
    """
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    if database_uri is not None and not is_sqlite(database_uri):
        return None
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


def check_secret_key(config) -> None:
    """Refuse to start on a non-SQLite database without a configured SECRET_KEY (never a default one)."""
    if not config.get("SECRET_KEY") and not is_sqlite(config["SQLALCHEMY_DATABASE_URI"]):
        raise ConfigurationError(SECRET_KEY_MISSING)


def _int(name: str) -> int:
    return int(os.environ.get(name) or DEFAULTS[name])


def from_environment(instance_path: str) -> dict:
    redis_url = os.environ.get("REDIS_URL")
    url = database_url(instance_path)
    return {
        "SECRET_KEY": secret_key(instance_path, url),
        "SQLALCHEMY_DATABASE_URI": url,
        # Read-mostly views marked @database.reads_from_replica query this database (a PostgreSQL standby).
        "DATABASE_REPLICA_URL": normalised_url(os.environ.get("DATABASE_REPLICA_URL") or "") or None,
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR") or str(Path(instance_path) / "uploads"),
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        # Printed in QR codes of issued documents; the request's host when unset.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", ""),
        # Passkeys (WebAuthn): the host name they are bound to and the address the browser shows; the
        # request's when unset. Set both in production (docs/deployment.md): a passkey made for one host
        # name never works on another.
        "WEBAUTHN_RP_ID": os.environ.get("WEBAUTHN_RP_ID", ""),
        "WEBAUTHN_ORIGIN": os.environ.get("WEBAUTHN_ORIGIN", ""),
        # "thread" (in-process) or "rq" (Redis); rq by default when REDIS_URL is set.
        "JOBS_BACKEND": os.environ.get("JOBS_BACKEND", ""),
        "JOBS_QUEUE": os.environ.get("JOBS_QUEUE", "portal"),
        # E-mail (Flask-Mailman, SMTP). No MAIL_SERVER: e-mails are written to the log ("portal.mail") and
        # count as sent (development); the inbox gets every notification either way (docs/notifications.md).
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": _int("MAIL_PORT"),
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "0") == "1",
        "MAIL_USE_SSL": os.environ.get("MAIL_USE_SSL", "0") == "1",
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER") or DEFAULTS["MAIL_DEFAULT_SENDER"],
        # Text messages: "console" writes them to the log (portal/notifications/sms.py lists the providers).
        "SMS_PROVIDER": os.environ.get("SMS_PROVIDER", "console"),
        # The outbox: a failed send waits 1, 2, 4 ... minutes (at most NOTIFY_BACKOFF_CAP_MINUTES) and fails
        # for good after NOTIFY_MAX_ATTEMPTS tries; after a commit that queued messages the delivery is
        # started as a job ("job"), at once ("inline") or left to `flask notify send` ("off").
        "NOTIFY_MAX_ATTEMPTS": _int("NOTIFY_MAX_ATTEMPTS"),
        "NOTIFY_BACKOFF_CAP_MINUTES": _int("NOTIFY_BACKOFF_CAP_MINUTES"),
        "NOTIFY_SEND_AFTER_COMMIT": os.environ.get("NOTIFY_SEND_AFTER_COMMIT", "job"),
        # A running job whose worker has not reported for this long is taken to be dead: it is queued
        # again while it has had fewer than JOB_MAX_ATTEMPTS runs, else it fails (jobs.reap_stale).
        "JOB_STALE_SECONDS": _int("JOB_STALE_SECONDS"),
        "JOB_MAX_ATTEMPTS": _int("JOB_MAX_ATTEMPTS"),
        # After a write, the same browser reads from the primary for this long (replication lag).
        "REPLICA_STICKY_SECONDS": _int("REPLICA_STICKY_SECONDS"),
        # How long a worker keeps the dashboards' figures of past years (portal/stats/memo.py); 0: never.
        "STATS_PAST_SECONDS": _int("STATS_PAST_SECONDS"),
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
    "JOB_STALE_SECONDS": 300,
    "JOB_MAX_ATTEMPTS": 2,
    "REPLICA_STICKY_SECONDS": 15,
    "STATS_PAST_SECONDS": 600,
    "MAIL_SERVER": "",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_DEFAULT_SENDER": "志願服務紀錄入口 <no-reply@localhost>",
    "MAIL_TIMEOUT": 30,
    "SMS_PROVIDER": "console",
    "NOTIFY_MAX_ATTEMPTS": 12,
    "NOTIFY_BACKOFF_CAP_MINUTES": 60,
    # A claimed message not settled after this long (its deliverer died mid-send) is claimed again.
    "NOTIFY_LEASE_SECONDS": 600,
    "NOTIFY_SEND_AFTER_COMMIT": "job",
}
