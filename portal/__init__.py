"""志願服務紀錄入口 — the volunteer-service records portal."""
import logging
import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .platform import access, config, database, errors, htmx, i18n, params, security
from .platform.extensions import babel, csrf, db, limiter, login_manager, mail, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH") or str(ROOT / "instance"),
                template_folder="../templates")
    app.config.update(config.DEFAULTS)
    if test_config is None:
        app.config.update(config.from_environment(app.instance_path))
    else:
        app.config.update(test_config)
    Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)

    configure_extensions(app)
    configure_jinja(app)
    params.init_app(app)    # the bounded <int:...> converter, before any route is added
    register_blueprints(app)
    errors.init_app(app)
    app.before_request(access.enforce_route_policy)
    app.after_request(security.set_security_headers)
    app.after_request(htmx.add_vary)
    configure_logging(app)
    if app.config.get("PROXY_COUNT"):
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    return app


def configure_extensions(app: Flask):
    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    babel.init_app(app, default_translation_directories=str(ROOT / "translations"),
                   locale_selector=i18n.select_locale)
    i18n.install_template_gettext(app)
    csrf.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)


def configure_jinja(app: Flask):
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    from .registry.labels import JINJA_GLOBALS
    app.jinja_env.globals.update(
        html_lang=i18n.html_lang, localized=i18n.localized_shown, LANGUAGES=i18n.LANGUAGES,
        current_language=i18n.current_language, year_label=i18n.year_label, month_label=i18n.month_label,
        **JINJA_GLOBALS,
    )
    app.jinja_env.filters.update(date=i18n.format_date, datetime=i18n.format_datetime, half_hours=i18n.hours_text,
                                 join_list=i18n.join_list, mark_chinese=i18n.mark_chinese)


def register_blueprints(app: Flask):
    from .accounts import bp as accounts_bp
    from .admin import bp as admin_bp
    from .api import init_app as init_api
    from .auth import bp as auth_bp
    from .awards import bp as awards_bp
    from .certificates import bp as certificates_bp
    from .credentials import bp as credentials_bp
    from .credentials import init_app as init_credentials
    from .demo import bp as demo_bp
    from .honor_cards import bp as honor_cards_bp
    from .hours import bp as hours_bp
    from .imports import bp as imports_bp
    from .insurance import bp as insurance_bp
    from .insurance import init_app as init_insurance
    from .main import bp as main_bp
    from .notifications import bp as notifications_bp
    from .notifications import init_app as init_notifications
    from .platform import audit, numbering  # noqa: F401  (tables registered for migrations)
    from .records import bp as records_bp
    from .registry import bp as units_bp
    from .resolutions import bp as resolutions_bp
    from .stats import bp as stats_bp
    from .synth import bp as synth_bp
    from .training import bp as training_bp
    from .unit_registration import bp as unit_registration_bp
    from .volunteers import bp as volunteers_bp

    for bp in (main_bp, auth_bp, units_bp, volunteers_bp, hours_bp, training_bp, records_bp, insurance_bp,
               honor_cards_bp, awards_bp, certificates_bp, imports_bp, admin_bp, resolutions_bp, stats_bp, demo_bp,
               synth_bp, notifications_bp, accounts_bp, unit_registration_bp, credentials_bp):
        app.register_blueprint(bp)
    init_api(app)             # /api/v1 (its own blueprint, OpenAPI document, token endpoint, JSON errors)
    init_notifications(app)   # account-event receivers, the header's unread count, delivery after commit
    init_credentials(app)     # the documents' credentials follow every flush (portal/credentials/hooks.py)
    init_insurance(app)       # the I6 flags of hours without cover follow every commit (portal/insurance/flag_hooks.py)
    from .kinds import install
    install(app)


def configure_logging(app: Flask):
    if app.testing or app.debug:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("portal")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
