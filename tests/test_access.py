"""Route policy registry and the role × route × scope matrix (docs/rules/accounts.md#ac2)."""
import io
import re
import zipfile

import pytest
from flask import current_app
from sqlalchemy import func, select

from portal.platform import access
from portal.platform.extensions import db
from tests.conftest import login
from tests.scope_objects import FOREIGN, OBJECTS, foreign

MISSING_ID = 987654
TOKEN = re.compile(r'(csrf_token" value="|X-CSRFToken": ")[^"]+')


def routes():
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint not in access.EXEMPT_ENDPOINTS:
            yield rule


def session_routes():
    """The routes people reach with their signed-in session. The API (/api/v1, endpoints "api.*") is called with
    a bearer token instead; its area rules are tested in tests/test_api.py (outside the client's area: 404)."""
    return (rule for rule in routes() if not rule.endpoint.startswith("api."))


def test_every_route_is_registered_with_its_roles(app):
    unregistered = [r.endpoint for r in routes() if access.allowed_roles(r.endpoint) is None]
    assert unregistered == [], f"routes without @access.allow(...): {unregistered}"


def test_a_route_without_registration_is_refused(app, client):
    app.add_url_rule("/unregistered-probe", "unregistered_probe", lambda: "secret")
    assert client.get("/unregistered-probe").status_code == 403


def test_every_object_parameter_has_scope_fixtures(app):
    params = {name for r in session_routes() for name, conv in r._converters.items() if type(conv).__name__ in ("IntegerConverter", "BoundedInt")}
    assert params - set(OBJECTS) == set(), "register these URL parameters in tests/scope_objects.py"


def table_counts():
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables
            if t.name != "audit_log"}


def normalised(response, url):
    """Status and body with the per-request parts (CSRF token, the URL itself) blanked out."""
    return response.status_code, TOKEN.sub(r"\1", response.get_data(as_text=True)).replace(url, "URL")


def build(rule, object_ids):
    values = {}
    for name, conv in rule._converters.items():
        values[name] = object_ids.get(name, MISSING_ID) if type(conv).__name__ in ("IntegerConverter", "BoundedInt") else "x"
    return rule.build(values)[1]


@pytest.mark.parametrize("persona", sorted(FOREIGN))
def test_objects_outside_scope_answer_exactly_like_missing_ones(app, world, persona):
    client = login(current_app.test_client(), world.users[persona])
    objects = {name: fn(world) for name, fn in OBJECTS.items()}
    before = table_counts()
    checked = 0
    for rule in session_routes():
        params = [n for n in rule.arguments if n in OBJECTS]
        if not params:
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            for htmx in (False, True):
                headers = {"HX-Request": "true"} if htmx else {}
                missing_url = build(rule, {})
                missing = normalised(client.open(missing_url, method=method, headers=headers), missing_url)
                for unit_key in foreign(persona, params):
                    url = build(rule, {n: objects[n][unit_key] for n in params})
                    response = client.open(url, method=method, headers=headers)
                    assert normalised(response, url) == missing, f"{persona} {method} {url}"
                    assert response.status_code in (403, 404), f"{persona} {method} {url}"
                    checked += 1
    assert table_counts() == before
    if FOREIGN[persona]:
        assert checked > 0


def text_of(response) -> str:
    """A page's text; of a zip download (the volunteer's data, docs/rules/my-data.md#md1), its files uncompressed."""
    if response.mimetype == "application/zip":
        archive = zipfile.ZipFile(io.BytesIO(response.data))
        return "".join(archive.read(name).decode("utf-8-sig") for name in archive.namelist())
    return response.get_data(as_text=True)


@pytest.mark.parametrize("persona", sorted(FOREIGN))
def test_pages_never_show_people_outside_scope(app, world, persona):
    client = login(current_app.test_client(), world.users[persona])
    canary = world.people["canary"]
    for rule in session_routes():
        if "GET" not in rule.methods or rule.arguments:
            continue
        body = text_of(client.get(rule.rule))
        if "C" in FOREIGN[persona]:
            assert canary.name not in body, f"{persona} sees the canary on {rule.rule}"
            assert canary.id_number[:6] not in body, f"{persona} sees the canary's ID on {rule.rule}"


@pytest.mark.parametrize("persona,key", [(p, k) for p in sorted(FOREIGN) for k in "ABC" if k not in FOREIGN[p]])
def test_objects_inside_scope_are_reachable_for_allowed_roles(app, world, persona, key):
    client = login(current_app.test_client(), world.users[persona])
    objects = {name: fn(world) for name, fn in OBJECTS.items()}
    role = world.users[persona].role
    for rule in session_routes():
        params = [n for n in rule.arguments if n in OBJECTS]
        if not params or "GET" not in rule.methods or role not in access.allowed_roles(rule.endpoint):
            continue
        if key in foreign(persona, params):
            continue
        url = build(rule, {n: objects[n][key] for n in params})
        status = client.get(url).status_code
        assert status < 400, f"{persona} GET {url} -> {status}"


def test_anonymous_is_sent_to_sign_in_everywhere_but_public_pages(app, world, client):
    for rule in session_routes():
        roles = access.allowed_roles(rule.endpoint)
        if access.ANONYMOUS in roles or "GET" not in rule.methods:
            continue
        url = build(rule, {})
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
        htmx = client.get(url, headers={"HX-Request": "true"})
        assert htmx.status_code == 401 and "/login" in htmx.headers["HX-Redirect"], url
