"""Every form on every page, filled with hostile values, answers with a message or stores the
value safely: never a 5xx, never unescaped markup (docs/rules/platform.md#pl4)."""
from html.parser import HTMLParser

import pytest
from flask import current_app

from portal.platform import access
from portal.platform.extensions import db
from tests import security_report
from tests.conftest import login
from tests.hostile_values import HOSTILE, MARKUP, query
from tests.scope_objects import OBJECTS, string_params
from tests.test_i18n import PERSONA_FOR_ROLE

pytestmark = pytest.mark.hostile


class FormCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms, self._current = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._current = {"action": attrs.get("action") or "", "fields": set()}
            self.forms.append(self._current)
        elif tag in ("input", "select", "textarea") and self._current is not None and attrs.get("name"):
            if attrs.get("type") not in ("file", "submit") and attrs["name"] != "csrf_token":
                self._current["fields"].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


# Downloads carry no forms; fetching them (a record-book PDF takes seconds) would only cost time.
DOWNLOADS = (".pdf", "/pdf", ".csv", ".xlsx", ".png", ".jpg", ".css", ".zip", ".json")


def pages_with_forms(world, role):
    objects = {name: fn(world) for name, fn in OBJECTS.items()}
    strings = string_params(world)
    for rule in current_app.url_map.iter_rules():
        roles = access.allowed_roles(rule.endpoint) or set()
        if rule.endpoint == "static" or "GET" not in rule.methods or role not in roles:
            continue
        values = {n: objects[n]["A"] for n in rule.arguments if n in OBJECTS}
        values |= {n: strings[n] for n in rule.arguments if n not in OBJECTS and n not in (rule.defaults or {})}
        url = rule.build(values)[1]
        if not url.endswith(DOWNLOADS):
            yield url


# One test per role (they spread over the xdist workers); each page is fetched once and each distinct form
# (action and field names: the language and session forms of the layout appear on every page) is posted
# once with every hostile value.
@pytest.mark.parametrize("role", sorted(PERSONA_FOR_ROLE))
def test_hostile_values_in_every_form(world, app, role):
    # A form that starts a background job (the outbox's "send now") runs it in the request: the in-memory
    # test database has one connection, which a job thread must not share (SQLite segfaults).
    app.config["JOBS_BACKEND"] = "inline"
    persona = PERSONA_FOR_ROLE[role]
    client = login(app.test_client(), world.users[persona])
    posted, seen = 0, set()
    for url in pages_with_forms(world, role):
        page = client.get(url)
        if page.mimetype != "text/html" or page.status_code != 200:
            continue
        collector = FormCollector()
        collector.feed(page.get_data(as_text=True))
        for form in collector.forms:
            action = form["action"] or url
            key = (action, frozenset(form["fields"]))
            if action.endswith("/logout") or key in seen:
                continue
            seen.add(key)
            for value in HOSTILE:
                # Encoded here (tests/hostile_values.query): a lone surrogate goes out as the bytes a broken
                # client sends.
                response = client.post(action, data=query(dict.fromkeys(sorted(form["fields"]), value)),
                                       content_type="application/x-www-form-urlencoded")
                posted += 1
                assert response.status_code < 500, (persona, action, value)
                body = response.get_data(as_text=True)
                assert not any(m in body for m in MARKUP), (persona, action, value)
                if response.status_code in (302, 303):
                    follow = client.get(response.headers["Location"])
                    assert follow.status_code < 500 and not any(m in follow.get_data(as_text=True) for m in MARKUP)
                db.session.rollback()
            # A form may sign the client out (a password change ends every session): sign in again.
            login(client, world.users[persona])
    assert posted > 20
    security_report.record("form posts with hostile values (each distinct form × value, every role)", posted)
