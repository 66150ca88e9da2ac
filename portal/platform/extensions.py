"""Extension objects, created unbound and initialised in create_app()."""
from flask import current_app, g, has_app_context
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.selectable import GenerativeSelect

# app.extensions key of the read replica's engine (config DATABASE_REPLICA_URL; made by database.init_app).
# Not a Flask-SQLAlchemy bind: a bind key would add a metadata that every app's create_all then expects.
REPLICA = "portal_replica_engine"


class Base(DeclarativeBase):
    # Named constraints keep Alembic's SQLite batch migrations and PostgreSQL in step.
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


class RoutingSession(FlaskSession):
    """db.session. In a view marked @database.reads_from_replica (which sets g.read_replica), plain
    SELECTs go to the replica engine when one is configured; flushes, INSERT/UPDATE/DELETE, text SQL
    and SELECT ... FOR UPDATE always go to the primary."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if (bind is None and not self._flushing and isinstance(clause, GenerativeSelect)
                and clause._for_update_arg is None and has_app_context() and g.get("read_replica")):
            replica = current_app.extensions.get(REPLICA)
            if replica is not None:
                return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# E-mail (SMTP); the notifications' outbox is its only user and reads the MAIL_* settings at each send.
mail = Mail()
