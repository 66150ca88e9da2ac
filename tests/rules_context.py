"""An app context for the pure rule tests: no database, no portal app, milliseconds to set up.

The rules word their reasons with gettext and format_date, which need a Flask app context with
Flask-Babel; the `app` fixture would build the whole portal and a database for every test, which
is what makes the rule tests too slow to run once per mutant (make mutation). A test module
imports `english` and marks itself `pytestmark = pytest.mark.usefixtures("english")`; a test that
needs the other language (ROC dates, Chinese field names) runs its lines `with locale("zh_TW"):`.
No catalog is loaded, so messages stay in their English source text in both.
"""
from contextlib import contextmanager

import pytest
from flask import Flask
from flask_babel import Babel


@contextmanager
def locale(name: str):
    app = Flask(__name__)
    Babel(app, locale_selector=lambda: name)
    with app.app_context():
        yield app


@pytest.fixture(scope="module")
def english():
    with locale("en") as app:
        yield app
